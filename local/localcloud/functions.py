"""The Rust functions as the emulator stores them: debug builds (the same
binaries `cargo lambda watch` runs), zipped as `<bin>/bootstrap.zip`.

The emulator only stores the code (invocations go to cargo lambda watch), so
the quick debug build stands in for `make lambdas`' release zips here.
"""

from __future__ import annotations

import os
import subprocess
import zipfile
from collections.abc import Callable
from pathlib import Path

from . import manifest
from .processes import CloudError


def build_command(functions: tuple[manifest.Function, ...]) -> list[str]:
    """`cargo build` of every function tfgen's manifest lists."""
    return ["cargo", "build", "--quiet", "--bins"] + [f"--package={f.crate}" for f in functions]


def build_and_package(
    repo: Path, zip_dir: Path, progress: Callable[[str], None], functions: tuple[manifest.Function, ...] | None = None
) -> None:
    functions = manifest.load(repo / "terraform" / "manifest.json").functions if functions is None else functions
    progress("==> building the functions (cargo build)")
    if subprocess.run(build_command(functions), cwd=repo).returncode != 0:
        raise CloudError("cargo build failed (see above)")
    target = Path(os.environ.get("CARGO_TARGET_DIR", repo / "target"))
    for function in functions:
        binary = target / "debug" / function.binary
        archive = zip_dir / function.binary / "bootstrap.zip"
        archive.parent.mkdir(parents=True, exist_ok=True)
        if archive.exists() and archive.stat().st_mtime >= binary.stat().st_mtime:
            continue
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
            info = zipfile.ZipInfo("bootstrap")
            info.external_attr = 0o755 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, binary.read_bytes())

"""The Rust functions as the emulator stores them: debug builds (the same
binaries `cargo lambda watch` runs), zipped as `<bin>/bootstrap.zip`.

The emulator only stores the code (invocations go to cargo lambda watch), so
the quick debug build stands in for `make lambdas`' release zips here.
"""

from __future__ import annotations

import os
import subprocess
import zipfile
from pathlib import Path
from typing import Callable

from .processes import CloudError

FUNCTIONS = ("post_lambda", "lambda_a", "lambda_b")


def build_and_package(repo: Path, zip_dir: Path, progress: Callable[[str], None]) -> None:
    progress("==> building the functions (cargo build)")
    command = ["cargo", "build", "--quiet", "--bins"] + [f"--package={f}" for f in FUNCTIONS]
    if subprocess.run(command, cwd=repo).returncode != 0:
        raise CloudError("cargo build failed (see above)")
    target = Path(os.environ.get("CARGO_TARGET_DIR", repo / "target"))
    for function in FUNCTIONS:
        binary = target / "debug" / function
        archive = zip_dir / function / "bootstrap.zip"
        archive.parent.mkdir(parents=True, exist_ok=True)
        if archive.exists() and archive.stat().st_mtime >= binary.stat().st_mtime:
            continue
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
            info = zipfile.ZipInfo("bootstrap")
            info.external_attr = 0o755 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, binary.read_bytes())

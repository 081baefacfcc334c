"""An AWS deploy never takes zips the arm64 functions cannot run (issue 11
finding 4): `make plan ENV=<aws env>` checks the ELF machine of every
`bootstrap` before Terraform runs, and says how to get arm64 zips."""

from __future__ import annotations

import os
import stat
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tools"))

from check_lambda_arch import elf_machine, problems  # noqa: E402

EM_X86_64, EM_AARCH64 = 62, 183
BINS = ["post_lambda", "lambda_a", "lambda_b"]


def elf(machine: int) -> bytes:
    """The first bytes of a 64-bit little-endian ELF executable."""
    header = bytearray(64)
    header[:4] = b"\x7fELF"
    header[4], header[5] = 2, 1
    struct.pack_into("<HH", header, 16, 2, machine)
    return bytes(header)


def zips(root: Path, machine: int) -> Path:
    for name in BINS:
        (root / name).mkdir(parents=True)
        with zipfile.ZipFile(root / name / "bootstrap.zip", "w") as archive:
            archive.writestr("bootstrap", elf(machine) + b"\0" * 128)
    return root


def test_the_elf_machine_is_read_from_the_header() -> None:
    assert elf_machine(elf(EM_AARCH64)) == "aarch64"
    assert elf_machine(elf(EM_X86_64)) == "x86-64"
    assert elf_machine(b"#!/bin/sh\n" + b"\0" * 20) == "not an ELF executable"


def test_aarch64_zips_pass_and_x86_64_zips_are_refused(tmp_path: Path) -> None:
    assert problems(zips(tmp_path / "arm", EM_AARCH64), BINS) == []
    found = problems(zips(tmp_path / "x86", EM_X86_64), BINS)
    assert len(found) == 3 and all("bootstrap is x86-64, not aarch64" in line for line in found)


def fake_terraform(bin_dir: Path, calls: Path) -> None:
    """A `terraform` that only records that it was called."""
    bin_dir.mkdir()
    script = bin_dir / "terraform"
    script.write_text(f"#!/bin/sh\necho called >> {calls}\nexit 0\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)


@pytest.mark.parametrize("zip_state", ["missing", "x86_64"])
def test_make_plan_for_aws_stops_before_terraform_with_the_way_to_arm64(tmp_path: Path, zip_state: str) -> None:
    lambda_dir = tmp_path / "lambda"
    if zip_state == "x86_64":
        zips(lambda_dir, EM_X86_64)
    calls = tmp_path / "terraform-calls"
    fake_terraform(tmp_path / "bin", calls)
    # LAMBDA_ARM64=no: a host without an aarch64 target (the x86_64 laptop
    # of the issue), whatever this machine has installed.
    result = subprocess.run(
        ["make", "--no-print-directory", "plan", "ENV=dev", "LAMBDA_ARM64=no", f"LAMBDA_DIR={lambda_dir}"],
        cwd=REPO,
        env=dict(os.environ, PATH=f"{tmp_path / 'bin'}:{os.environ['PATH']}"),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode != 0
    assert "refusing zips that would fail every call" in result.stderr
    assert "rustup target add aarch64-unknown-linux-gnu" in result.stderr
    assert "CodeBuild" in result.stderr
    assert not calls.exists(), "terraform ran before the architecture check"

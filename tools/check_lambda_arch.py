#!/usr/bin/env python3
"""Refuses Lambda zips whose `bootstrap` is not an aarch64 ELF binary.

The functions run on arm64 (`provided.al2023`); an x86-64 binary deploys
fine and then fails every call (Runtime.InvalidEntrypoint, exec format
error). `make plan` for an AWS environment and the pipeline's Build and Plan
stages run this before Terraform sees the zips.

    tools/check_lambda_arch.py target/lambda [BIN ...]
"""

from __future__ import annotations

import struct
import sys
import zipfile
from pathlib import Path

EM_AARCH64 = 183
MACHINES = {3: "x86 (32-bit)", 40: "arm (32-bit)", 62: "x86-64", EM_AARCH64: "aarch64"}
HOW_TO_BUILD = """\
The functions run on arm64 (aarch64). Build arm64 zips in one of two ways:
  - let CodeBuild build them: push to master; the delivery pipeline builds
    natively on arm64 and deploys (README, "How a change reaches dev and prod");
  - or install an aarch64 Rust target on this machine:
        rustup target add aarch64-unknown-linux-gnu && make lambdas
`make plan ENV=dev TARGET=emulator` rehearses the deploy with host zips."""


def elf_machine(binary: bytes) -> str:
    """The ELF machine of an executable, by name."""
    if len(binary) < 20 or binary[:4] != b"\x7fELF":
        return "not an ELF executable"
    order = "<" if binary[5] == 1 else ">"
    (machine,) = struct.unpack_from(f"{order}H", binary, 18)
    return MACHINES.get(machine, f"ELF machine {machine}")


def problems(zip_dir: Path, names: list[str]) -> list[str]:
    """One line per zip that is missing or not aarch64."""
    found = []
    zips = [zip_dir / name / "bootstrap.zip" for name in names] if names else sorted(zip_dir.glob("*/bootstrap.zip"))
    if not zips:
        return [f"{zip_dir}: no */bootstrap.zip"]
    for path in zips:
        if not path.is_file():
            found.append(f"{path}: missing")
            continue
        with zipfile.ZipFile(path) as archive:
            try:
                head = archive.open("bootstrap").read(64)
            except KeyError:
                found.append(f"{path}: has no bootstrap")
                continue
        machine = elf_machine(head)
        if machine != "aarch64":
            found.append(f"{path}: bootstrap is {machine}, not aarch64")
    return found


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    found = problems(Path(argv[0]), argv[1:])
    if found:
        print("check_lambda_arch: refusing zips that would fail every call once deployed:", file=sys.stderr)
        for line in found:
            print(f"  {line}", file=sys.stderr)
        print(HOW_TO_BUILD, file=sys.stderr)
        return 1
    print(f"check_lambda_arch: every zip in {argv[0]} is aarch64")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

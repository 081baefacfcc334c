"""tfgen's manifest (`terraform/manifest.json`): the functions, environments
and Terraform configurations, listed once in tfgen and read from here by the
local cloud, the Python tests and the Makefile.

As a script it prints one list, space-separated, for make:

    python3 local/localcloud/manifest.py crates|binaries|environments|deployed|validate|scan [MANIFEST]

Standard library only and no relative imports: make runs it with the system
Python, before any virtualenv exists.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEFAULT_PATH = REPO / "terraform" / "manifest.json"


@dataclass(frozen=True)
class Function:
    crate: str
    binary: str
    # The Terraform output holding the deployed function's name.
    output: str
    # Names of the environment variables tfgen sets on the function.
    environment: tuple[str, ...]


@dataclass(frozen=True)
class Environment:
    name: str
    emulated: bool
    deployed: bool


@dataclass(frozen=True)
class Manifest:
    functions: tuple[Function, ...]
    environments: tuple[Environment, ...]
    # Every configuration (`terraform validate`), those the scan covers.
    validate: tuple[str, ...]
    scan: tuple[str, ...]

    @property
    def binaries(self) -> list[str]:
        return [f.binary for f in self.functions]

    @property
    def deployed(self) -> list[str]:
        return [e.name for e in self.environments if e.deployed]


def load(path: Path = DEFAULT_PATH) -> Manifest:
    try:
        raw = json.loads(path.read_text())
        return Manifest(
            functions=tuple(
                Function(f["crate"], f["binary"], f["output"], tuple(f["environment"])) for f in raw["functions"]
            ),
            environments=tuple(Environment(e["name"], e["emulated"], e["deployed"]) for e in raw["environments"]),
            validate=tuple(raw["stacks"]["validate"]),
            scan=tuple(raw["stacks"]["scan"]),
        )
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ManifestError(f"{path}: not a tfgen manifest ({error!r}); run `make synth`") from error


class ManifestError(Exception):
    pass


def lists(manifest: Manifest) -> dict[str, list[str]]:
    return {
        "crates": [f.crate for f in manifest.functions],
        "binaries": manifest.binaries,
        "environments": [e.name for e in manifest.environments],
        "deployed": manifest.deployed,
        "validate": list(manifest.validate),
        "scan": list(manifest.scan),
    }


def main(argv: list[str]) -> int:
    if len(argv) not in (1, 2):
        print(__doc__, file=sys.stderr)
        return 2
    try:
        manifest = load(Path(argv[1]) if len(argv) == 2 else DEFAULT_PATH)
    except ManifestError as error:
        print(f"manifest: {error}", file=sys.stderr)
        return 1
    choices = lists(manifest)
    if argv[0] not in choices:
        print(f"manifest: unknown list {argv[0]!r}; one of {', '.join(choices)}", file=sys.stderr)
        return 2
    print(" ".join(choices[argv[0]]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

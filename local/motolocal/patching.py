"""The one way the launcher changes moto: each patch names its target, and
fails loudly when the pinned moto no longer has it, instead of leaving a
shim silently inactive. Also the moto version check: the shims are written
against one moto release, the one `tools/requirements-local.txt` pins.
"""

from __future__ import annotations

import re
from collections.abc import Callable, MutableMapping
from importlib import metadata
from pathlib import Path
from typing import Any, TypeVar

REQUIREMENTS = Path(__file__).resolve().parents[2] / "tools" / "requirements-local.txt"

V = TypeVar("V")


class PatchDoesNotApply(RuntimeError):
    """moto no longer has what a patch replaces (or has what it adds): the
    shim would silently do nothing."""


class WrongMotoVersion(RuntimeError):
    """The installed moto is not the release the shims are written for."""


def pinned_moto_version(requirements: Path = REQUIREMENTS) -> str:
    """The `moto==X` pin of the local-cloud tools."""
    found = re.search(r"^moto==(\S+)\s*$", requirements.read_text(), re.MULTILINE)
    if found is None:
        raise WrongMotoVersion(f"{requirements} pins no moto version (moto==X)")
    return found[1]


def check_moto_version(requirements: Path = REQUIREMENTS) -> str:
    """The installed moto version, if it is the pinned one; else a clear error."""
    pinned = pinned_moto_version(requirements)
    try:
        installed = metadata.version("moto")
    except metadata.PackageNotFoundError:
        installed = "none"
    if installed != pinned:
        raise WrongMotoVersion(
            f"moto {installed} is installed, but the launcher's patches are written for moto {pinned} "
            f"(pinned in {requirements.name}); run `make tools` to install it, or port the patches in "
            "local/motolocal/ and change the pin"
        )
    return installed


def _name(owner: object) -> str:
    return str(getattr(owner, "__qualname__", None) or getattr(owner, "__name__", None) or type(owner).__name__)


def replace(owner: object, attribute: str, make: Callable[[Any], Any]) -> None:
    """Sets `owner.attribute` (a module function or a class's method) to
    `make(original)`; fails if moto has no such attribute."""
    original = getattr(owner, attribute, None)
    if original is None:
        raise PatchDoesNotApply(f"{_name(owner)}.{attribute} does not exist in this moto: the patch of it cannot apply")
    setattr(owner, attribute, make(original))


def replace_values(mapping: MutableMapping[str, V], old: V, new: V, what: str) -> int:
    """Replaces every value `old` of `mapping` by `new`; fails if none is
    found (moto routes the requests elsewhere now)."""
    keys = [key for key, value in mapping.items() if value == old]
    if not keys:
        raise PatchDoesNotApply(f"{what}: no entry to replace in this moto")
    for key in keys:
        mapping[key] = new
    return len(keys)


def add_entry(mapping: MutableMapping[str, Any], key: str, value: object, what: str) -> None:
    """Adds `key` to one of moto's tables; fails if moto has it already
    (its own version would then be the one to check)."""
    if key in mapping:
        raise PatchDoesNotApply(f"{what}: moto has {key!r} already; the addition would hide it")
    mapping[key] = value

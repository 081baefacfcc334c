"""What CI and CodeBuild download and run is pinned and checked (issue 11
finding 6): actions by commit SHA, no token left in .git/config, nextest by
sha256, pip packages by hash, the AWS provider by the committed lock file,
and Terraform's provider source chosen deliberately and reported."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.yml"))
CONFIGURATIONS = sorted(p.parent for p in (REPO / "terraform").glob("*/versions.tf.json"))


def steps() -> list[dict[str, Any]]:
    return [
        step for path in WORKFLOWS for job in yaml.safe_load(path.read_text())["jobs"].values() for step in job["steps"]
    ]


def test_actions_are_pinned_to_commit_shas_with_the_tag_named() -> None:
    for path in WORKFLOWS:
        for line in path.read_text().splitlines():
            if "uses:" in line:
                assert re.search(r"uses: [\w.-]+/[\w.-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$", line), line


def test_checkout_leaves_no_token_behind() -> None:
    checkouts = [s for s in steps() if str(s.get("uses", "")).startswith("actions/checkout@")]
    assert checkouts
    for step in checkouts:
        assert step.get("with", {}).get("persist-credentials") is False, step


def versions_in_ci() -> set[str]:
    found = {yaml.safe_load(p.read_text())["env"]["NEXTEST_VERSION"] for p in WORKFLOWS}
    found.add(yaml.safe_load((REPO / ".codebuild" / "build.yml").read_text())["env"]["variables"]["NEXTEST_VERSION"])
    return found


def test_nextest_is_checked_against_a_pinned_sha256_before_it_is_unpacked() -> None:
    script = (REPO / ".codebuild" / "install-tools.sh").read_text()
    body = script.split("install_nextest() {", 1)[1].split("\n}", 1)[0]
    assert "| tar" not in body, "nothing downloaded is unpacked before its checksum is verified"
    assert body.index("sha256sum -c") < body.index("tar -xzf")
    for version in versions_in_ci():
        for arch in ("x86_64", "aarch64"):
            assert re.search(rf"{re.escape(version)}-{arch}\) echo [0-9a-f]{{64}} ;;", script), (
                f"no pinned sha256 for {version} {arch}"
            )


def test_a_wrong_nextest_version_is_refused(tmp_path: Path) -> None:
    result = subprocess.run(
        ["bash", str(REPO / ".codebuild" / "install-tools.sh"), "nextest"],
        env=dict(os.environ, NEXTEST_VERSION="0.0.1", BIN_DIR=str(tmp_path), CARGO_HOME=str(tmp_path)),
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0 and "no pinned sha256 for nextest 0.0.1" in result.stderr


def test_pip_installs_only_hash_checked_requirements() -> None:
    makefiles = "\n".join(p.read_text() for p in (REPO / "mk").glob("*.mk"))
    assert "--require-hashes" in makefiles
    code = [line for line in makefiles.splitlines() if not line.lstrip().startswith("#")]
    installs = [line for line in code if "pip install" in line or "$(PIP_INSTALL)" in line]
    assert installs
    for line in installs:
        if "PIP_INSTALL =" in line:
            assert "--require-hashes" in line
        else:
            assert "$(PIP_INSTALL)" in line, f"pip install without hashes: {line}"
    for source in (REPO / "tools").glob("requirements-*.txt"):
        if source.name.endswith(".hashed.txt"):
            continue
        hashed = source.with_name(source.name.replace(".txt", ".hashed.txt"))
        assert hashed.is_file(), hashed
        assert re.search(rf"{re.escape(hashed.name)}", makefiles), f"{hashed.name} is not what make installs"


def test_the_hashed_requirements_match_the_pins() -> None:
    """A branch that adds a pin must run `make requirements-hashes`."""
    result = subprocess.run(
        [sys.executable, str(REPO / "tools" / "hash_requirements.py"), "--check"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    for hashed in (REPO / "tools").glob("requirements-*.hashed.txt"):
        entries = hashed.read_text().split(" \\\n    --hash")
        assert all(re.search(r"sha256:[0-9a-f]{64}", entry) for entry in entries[1:]), hashed


def aws_provider_version() -> str:
    source = (REPO / "tfgen" / "src" / "components" / "providers.rs").read_text()
    match = re.search(r'AWS_PROVIDER_VERSION: &str = "([^"]+)"', source)
    assert match
    return match[1]


@pytest.mark.parametrize("config", CONFIGURATIONS, ids=lambda p: p.name)
def test_every_configuration_commits_its_provider_lock(config: Path) -> None:
    lock = config / ".terraform.lock.hcl"
    assert lock.is_file(), f"{lock} is missing"
    text = lock.read_text()
    assert f'version     = "{aws_provider_version()}"' in text
    assert re.search(r'"h1:[A-Za-z0-9+/=]{44}"', text), "no package hash for the mirror's platform (linux_amd64)"
    assert len(re.findall(r'"zh:[0-9a-f]{64}"', text)) >= 14, (
        "registry zip hashes of every platform (linux_arm64 for CodeBuild)"
    )
    ignored = subprocess.run(["git", "check-ignore", "-q", str(lock)], cwd=REPO)
    assert ignored.returncode == 1, f"{lock} is git-ignored"


def test_terraform_sh_pins_the_same_provider_version() -> None:
    assert f"PROVIDER_VERSION={aws_provider_version()}" in (REPO / "tools" / "terraform.sh").read_text()


def fake_mirror(root: Path) -> Path:
    machine = {"x86_64": "amd64", "aarch64": "arm64"}[os.uname().machine]
    (root / "registry.terraform.io" / "hashicorp" / "aws" / aws_provider_version() / f"linux_{machine}").mkdir(
        parents=True
    )
    return root


def test_terraform_sh_prefers_the_configured_mirror_and_says_so(tmp_path: Path) -> None:
    mirror = fake_mirror(tmp_path / "mirror")
    result = subprocess.run(
        [str(REPO / "tools" / "terraform.sh"), "mirror"],
        env=dict(os.environ, TF_PLUGIN_MIRROR=str(mirror)),
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(mirror), "the plugin directory the local cloud passes to terraform init"
    assert f"the configured mirror TF_PLUGIN_MIRROR={mirror}" in result.stderr


def test_terraform_sh_refuses_a_configured_mirror_without_the_pinned_provider(tmp_path: Path) -> None:
    result = subprocess.run(
        [str(REPO / "tools" / "terraform.sh"), "mirror"],
        env=dict(os.environ, TF_PLUGIN_MIRROR=str(tmp_path)),
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0 and f"holds no hashicorp/aws {aws_provider_version()}" in result.stderr


def test_terraform_sh_no_longer_searches_the_whole_filesystem() -> None:
    assert "find /" not in (REPO / "tools" / "terraform.sh").read_text()

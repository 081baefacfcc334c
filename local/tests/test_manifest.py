"""tfgen's manifest is the one list of functions and environments: a
function or an environment added there reaches the Makefile targets and the
local cloud without another edit (checked on a scratch copy of the manifest
with one more of each)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from conftest import REPO, Launcher, create_role, tiny_zip
from localcloud import CloudSettings, LocalCloud, manifest
from localcloud.functions import build_command
from localcloud.processes import CloudError

COMMITTED = REPO / "terraform" / "manifest.json"
# What the scratch manifest adds: names the committed one does not have.
NEW_FUNCTION = "lambda_extra"
NEW_ENV = "rehearsal"


def scratch_manifest(tmp_path: Path) -> Path:
    """The committed manifest plus one function and one environment
    (deployed, scanned), as tfgen would write them."""
    raw = json.loads(COMMITTED.read_text())
    assert NEW_FUNCTION not in [f["binary"] for f in raw["functions"]]
    assert NEW_ENV not in [e["name"] for e in raw["environments"]]
    raw["functions"].append(
        {"crate": NEW_FUNCTION, "binary": NEW_FUNCTION, "output": f"{NEW_FUNCTION}_function", "environment": ["X"]}
    )
    raw["environments"].append({"name": NEW_ENV, "emulated": False, "deployed": True})
    raw["stacks"]["validate"].insert(-1, NEW_ENV)
    raw["stacks"]["scan"].append(NEW_ENV)
    path = tmp_path / "terraform" / "manifest.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(raw))
    return path


def make_dry_run(*args: str) -> str:
    result = subprocess.run(["make", "--no-print-directory", "-n", *args], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_the_committed_manifest_matches_the_workspace_and_the_generated_stacks() -> None:
    loaded = manifest.load(COMMITTED)
    members = (REPO / "Cargo.toml").read_text()
    for function in loaded.functions:
        assert f'"lambdas/{function.crate}"' in members, f"{function.crate} is no workspace member"
    assert {"post_lambda", "lambda_a", "lambda_b"} <= set(loaded.binaries)
    names = [e.name for e in loaded.environments]
    assert {"local", "dev", "prod"} <= set(names)
    for stack in loaded.validate:
        assert any((REPO / "terraform" / stack).glob("*.tf.json")), f"terraform/{stack} is not generated"
    assert set(names) <= set(loaded.validate)
    # Every environment that reaches AWS is scanned, the emulated ones are
    # not; what the pipeline deploys is scanned.
    for env in loaded.environments:
        assert (env.name in loaded.scan) == (not env.emulated), env.name
    assert set(loaded.scan) <= set(loaded.validate)
    assert set(loaded.deployed) <= set(loaded.scan)


def test_a_new_function_reaches_the_makefile_and_the_local_cloud_build(tmp_path: Path) -> None:
    scratch = scratch_manifest(tmp_path)
    crates = " ".join(f"-p {f.crate}" for f in manifest.load(scratch).functions)
    assert crates.endswith(f"-p {NEW_FUNCTION}")
    assert crates in make_dry_run("lambdas", f"MANIFEST={scratch}")
    assert NEW_FUNCTION in make_dry_run("sizes", f"MANIFEST={scratch}")
    assert f"--package={NEW_FUNCTION}" in build_command(manifest.load(scratch).functions)


def test_a_new_environment_is_validated_scanned_and_deployable(tmp_path: Path) -> None:
    scratch = scratch_manifest(tmp_path)
    loaded = manifest.load(scratch)
    checks = make_dry_run("validate", "checkov", f"MANIFEST={scratch}")
    assert f"for stack in {' '.join(loaded.validate)}; do" in checks
    assert NEW_ENV in loaded.validate
    assert " ".join(f"-d terraform/{env}" for env in loaded.scan) in checks
    assert loaded.scan[-1] == NEW_ENV
    assert loaded.deployed[-1] == NEW_ENV


def test_a_missing_manifest_fails_the_targets_that_need_it_with_a_message() -> None:
    result = subprocess.run(
        ["make", "-n", "validate", "MANIFEST=/nonexistent/manifest.json"], cwd=REPO, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "lists no validate: run `make synth`" in result.stderr


def cloud_on(launcher: Launcher, repo: Path, outputs: dict[str, Any]) -> LocalCloud:
    cloud = LocalCloud(CloudSettings(repo=repo, workdir=repo / "work", moto_port=launcher.port))
    cloud.outputs = outputs
    return cloud


def deploy(launcher: Launcher, functions: dict[str, dict[str, str]]) -> dict[str, Any]:
    role = create_role(launcher)
    for name, variables in functions.items():
        launcher.client("lambda").create_function(
            FunctionName=name,
            Runtime="provided.al2023",
            Handler=name,
            Role=role,
            Code={"ZipFile": tiny_zip()},
            Environment={"Variables": variables},
        )
    return {f"{name}_function": name for name in functions}


def test_the_runtime_gets_the_environment_tfgen_set_on_each_listed_function(launcher: Launcher, tmp_path: Path) -> None:
    scratch_manifest(tmp_path)
    outputs = deploy(
        launcher,
        {
            "post_lambda": {"TABLE_NAME": "orders"},
            "lambda_a": {},
            "lambda_b": {"LOG_BUCKET": "results"},
            NEW_FUNCTION: {"X": "x"},
        },
    )
    cloud = cloud_on(launcher, tmp_path, outputs)
    environments = {f.binary: cloud.environment_of(f) for f in cloud.functions}
    assert environments == {
        "post_lambda": {"TABLE_NAME": "orders"},
        "lambda_a": {},
        "lambda_b": {"LOG_BUCKET": "results"},
        NEW_FUNCTION: {"X": "x"},
    }


def test_a_variable_the_manifest_names_but_the_function_lacks_stops_the_cloud(
    launcher: Launcher, tmp_path: Path
) -> None:
    copy = tmp_path / "terraform" / "manifest.json"
    copy.parent.mkdir(parents=True)
    copy.write_text(COMMITTED.read_text())
    outputs = deploy(launcher, {"post_lambda": {}, "lambda_a": {}, "lambda_b": {"LOG_BUCKET": "results"}})
    cloud = cloud_on(launcher, tmp_path, outputs)
    post_lambda = next(f for f in cloud.functions if f.binary == "post_lambda")
    with pytest.raises(CloudError, match=r"post_lambda lacks \['TABLE_NAME'\]"):
        cloud.environment_of(post_lambda)

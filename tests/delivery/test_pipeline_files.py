"""The delivery files (GitHub workflow, CodeBuild buildspecs) only call
things that exist, and CI runs everything `make test` runs."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.yml"))
BUILDSPECS = sorted((REPO / ".codebuild").glob("*.yml"))
SCRIPT = re.compile(r"^(\./)?(tools|\.codebuild|local|bench)/[\w./-]+$")


def workflow_commands(path: Path) -> list[str]:
    doc = yaml.safe_load(path.read_text())
    return [step["run"] for job in doc["jobs"].values() for step in job["steps"] if "run" in step]


def buildspec_commands(path: Path) -> list[str]:
    doc = yaml.safe_load(path.read_text())
    return [command for phase in doc["phases"].values() for command in phase.get("commands", [])]


def all_commands() -> list[tuple[str, str]]:
    found = [(p.name, c) for p in WORKFLOWS for c in workflow_commands(p)]
    return found + [(p.name, c) for p in BUILDSPECS for c in buildspec_commands(p)]


def make_targets(command: str) -> list[str]:
    targets = []
    for line in command.splitlines():
        words = shlex.split(line, comments=True)
        for i, word in enumerate(words):
            if word == "make":
                targets += [w for w in words[i + 1 :] if "=" not in w and not w.startswith("-")]
    return targets


def scripts(command: str) -> list[str]:
    return [word for line in command.splitlines() for word in shlex.split(line, comments=True) if SCRIPT.match(word)]


def test_there_is_a_workflow_and_a_buildspec_per_stage() -> None:
    assert [p.name for p in WORKFLOWS] == ["ci.yml"]
    assert [p.name for p in BUILDSPECS] == ["apply.yml", "build.yml", "plan.yml"]


@pytest.mark.parametrize(("source", "command"), all_commands())
def test_every_make_target_called_exists(source: str, command: str) -> None:
    for target in make_targets(command):
        result = subprocess.run(["make", "-n", target], cwd=REPO, capture_output=True, text=True)
        assert "No rule to make target" not in result.stderr, f"{source}: make {target}: {result.stderr}"


@pytest.mark.parametrize(("source", "command"), all_commands())
def test_every_script_called_exists_and_is_executable(source: str, command: str) -> None:
    for script in scripts(command):
        path = REPO / script.removeprefix("./")
        assert path.is_file(), f"{source}: {script} does not exist"
        assert os.access(path, os.X_OK), f"{source}: {script} is not executable"


def test_ci_runs_everything_make_test_runs() -> None:
    recipe = (REPO / "Makefile").read_text().split("\ntest:", 1)[1].split("\n\n", 1)[0]
    required = {t for line in recipe.splitlines() if "$(MAKE)" in line for t in line.split()[2:]}
    assert required >= {
        "fmt-check",
        "clippy",
        "rust-tests",
        "py-tests",
        "synth-check",
        "validate",
        "checkov",
        "actionlint",
    }
    in_ci = {t for p in WORKFLOWS for c in workflow_commands(p) for t in make_targets(c)}
    assert required <= in_ci, f"make test runs {sorted(required - in_ci)} but CI does not"


def test_ci_needs_no_aws_credentials() -> None:
    for path in WORKFLOWS:
        text = path.read_text()
        assert "AWS_ACCESS_KEY_ID" not in text and "aws-actions/configure-aws-credentials" not in text


def test_the_generated_codebuild_projects_use_these_buildspecs_and_set_env() -> None:
    delivery = json.loads((REPO / "terraform" / "delivery" / "deploy_roles.tf.json").read_text())
    projects = delivery["resource"]["aws_codebuild_project"]
    assert sorted(p["source"]["buildspec"] for p in projects.values()) == [
        ".codebuild/apply.yml",
        ".codebuild/apply.yml",
        ".codebuild/build.yml",
        ".codebuild/plan.yml",
        ".codebuild/plan.yml",
    ]
    for name, project in projects.items():
        assert (REPO / project["source"]["buildspec"]).is_file()
        variables = {v["name"]: v["value"] for v in project["environment"]["environment_variable"]}
        assert variables["TF_IN_AUTOMATION"] == "1"
        if name != "delivery_build":
            assert variables["ENV"] == name.split("_")[0], name
        assert project["environment"]["type"] == "ARM_CONTAINER"


def test_apply_uses_exactly_the_saved_plan_of_the_plan_stage() -> None:
    plan = " ".join(buildspec_commands(REPO / ".codebuild" / "plan.yml"))
    apply = " ".join(buildspec_commands(REPO / ".codebuild" / "apply.yml"))
    assert 'tools/terraform.sh plan "terraform/$ENV" "$ENV.tfplan"' in plan
    assert 'tools/terraform.sh apply "terraform/$ENV" "$ENV.tfplan"' in apply
    artifacts = yaml.safe_load((REPO / ".codebuild" / "plan.yml").read_text())["artifacts"]["files"]
    assert "terraform/*/*.tfplan" in artifacts and "target/lambda/**/*" in artifacts

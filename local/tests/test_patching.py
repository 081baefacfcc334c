"""The guards around the moto patches: the launcher runs only on the pinned
moto, and a patch whose target moto no longer has stops the install with
its name, instead of leaving a shim silently inactive."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest
from moto.awslambda.models import LambdaFunction
from moto.codebuild import responses as codebuild_responses
from moto.core.authorization import ActionAuthenticatorMixin
from moto.core.responses import BaseResponse
from moto.dynamodb.responses import DynamoHandler
from moto.iam import policy_conditions
from moto.iam.access_control import IAMPolicyStatement
from moto.moto_api._internal import urls as moto_api_urls
from moto.s3.models import FakeBucket
from moto.s3.responses import S3Response
from moto.stepfunctions import urls as sfn_urls
from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils
from moto.stepfunctions.parser.backend.execution import Execution

from conftest import LAUNCHER
from motolocal import codebuild, faults, iam_enforce, lambda_forward, s3_policy, sfn_credentials, stepfunctions
from motolocal.ledger import Ledger
from motolocal.patching import (
    PatchDoesNotApply,
    WrongMotoVersion,
    check_moto_version,
    pinned_moto_version,
    replace,
)

# Every (shim install, patched owner, attribute) the launcher applies.
Install = Callable[[], object]
TARGETS: list[tuple[Install, object, str]] = [
    (codebuild.install, codebuild_responses, "_validate_required_params_source"),
    (codebuild.install, codebuild_responses, "_validate_required_params_artifacts"),
    (lambda: lambda_forward.install("http://127.0.0.1:9", 1), LambdaFunction, "invoke"),
    (s3_policy.install, BaseResponse, "setup_class"),
    (s3_policy.install, IAMPolicyStatement, "is_action_permitted"),
    (s3_policy.install, FakeBucket, "get_permission"),
    (stepfunctions.install, Execution, "get_start_execution_details"),
    (faults.install, DynamoHandler, "batch_write_item"),
    (faults.install, S3Response, "put_object"),
    (lambda: iam_enforce.install(Ledger(None)), ActionAuthenticatorMixin, "_authenticate_and_authorize_action"),
    (sfn_credentials.install, lambda_eval_utils, "boto_client_for"),
]
TABLES: list[tuple[ModuleType, str]] = [
    (policy_conditions, "CONDITION_OPERATIONS"),
    (sfn_urls, "url_paths"),
    (moto_api_urls, "url_paths"),
]


@pytest.fixture
def moto_restored(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """Whatever an install changes in this process's moto is undone after
    the test (monkeypatch puts back what it first set)."""
    for _, owner, attribute in TARGETS:
        monkeypatch.setattr(owner, attribute, getattr(owner, attribute))
    for module, name in TABLES:
        monkeypatch.setattr(module, name, dict(getattr(module, name)))
    return monkeypatch


def test_the_installed_moto_is_the_pinned_one() -> None:
    assert check_moto_version() == pinned_moto_version()


def test_another_moto_version_is_refused_with_a_message(tmp_path: Path) -> None:
    # A moto distribution found before the real one: what an unpinned
    # upgrade would leave installed.
    dist = tmp_path / "moto-4.0.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: moto\nVersion: 4.0.0\n")
    result = subprocess.run(
        [sys.executable, str(LAUNCHER), "--port", "0"],
        env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "moto ready" not in result.stdout
    assert f"moto 4.0.0 is installed, but the launcher's patches are written for moto {pinned_moto_version()}" in (
        result.stderr
    )
    assert "make tools" in result.stderr


def test_a_requirements_file_without_a_moto_pin_is_an_error(tmp_path: Path) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("boto3==1.0\n")
    with pytest.raises(WrongMotoVersion, match="pins no moto version"):
        check_moto_version(requirements)


def test_replace_fails_when_the_target_is_missing() -> None:
    owner = SimpleNamespace(present=lambda: 1)
    replace(owner, "present", lambda original: lambda: original() + 1)
    assert owner.present() == 2
    with pytest.raises(PatchDoesNotApply, match=r"SimpleNamespace\.gone does not exist in this moto"):
        replace(owner, "gone", lambda original: original)


@pytest.mark.parametrize(
    ("install", "owner", "attribute"), TARGETS, ids=[f"{getattr(o, '__name__', o)}.{a}" for _, o, a in TARGETS]
)
def test_each_shim_fails_to_install_without_its_target(
    moto_restored: pytest.MonkeyPatch, install: Install, owner: Any, attribute: str
) -> None:
    moto_restored.delattr(owner, attribute)
    with pytest.raises(PatchDoesNotApply, match=attribute):
        install()


def test_step_functions_routes_moved_fail_the_install(moto_restored: pytest.MonkeyPatch) -> None:
    sfn_urls.url_paths.clear()
    with pytest.raises(PatchDoesNotApply, match="Step Functions routes"):
        stepfunctions.install()


def test_a_condition_operator_moto_now_has_fails_the_install(moto_restored: pytest.MonkeyPatch) -> None:
    policy_conditions.CONDITION_OPERATIONS["Bool"] = lambda expected_value, actual_value: True
    with pytest.raises(PatchDoesNotApply, match="moto has 'Bool' already"):
        s3_policy.install()


def test_every_shim_installs_on_the_pinned_moto(moto_restored: pytest.MonkeyPatch) -> None:
    before = {(id(owner), attribute): getattr(owner, attribute) for _, owner, attribute in TARGETS}
    for install in dict.fromkeys(install for install, _, _ in TARGETS):
        install()
    for _, owner, attribute in TARGETS:
        assert getattr(owner, attribute) is not before[(id(owner), attribute)], f"{attribute} was not replaced"

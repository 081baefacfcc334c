"""`terraform apply` against the launcher finishes, and a second plan is empty.

Against plain moto 5.2.5 the AWS provider (5.100.0) hangs on an
`aws_sfn_state_machine`: it calls ValidateStateMachineDefinition during plan
and ListStateMachineVersions on create, and retries for minutes on the
"not implemented" answers. Every terraform call here has a timeout, so a
regression fails the test instead of blocking it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from conftest import FakeRuntime, Launcher, note_timing, ok, tiny_zip

PROVIDER = Path("registry.terraform.io/hashicorp/aws")
SEARCH_ROOTS = ["/opt", "/usr/local/share", "/usr/share", "~/.terraform.d", "~/.local/share/terraform"]
SEARCH_DEPTH = 4  # directories below a root where the mirror's own root may sit


def find_provider_mirror() -> Path:
    """The filesystem mirror holding hashicorp/aws: $TF_PLUGIN_MIRROR, else a
    bounded search of the usual places."""
    if os.environ.get("TF_PLUGIN_MIRROR"):
        mirror = Path(os.environ["TF_PLUGIN_MIRROR"]).expanduser()
        assert (mirror / PROVIDER).is_dir(), f"TF_PLUGIN_MIRROR={mirror} has no {PROVIDER}"
        return mirror
    for root in SEARCH_ROOTS:
        base = Path(root).expanduser()
        if not base.is_dir():
            continue
        for directory, subdirs, _ in os.walk(base):
            here = Path(directory)
            if (here / PROVIDER).is_dir():
                return here
            if len(here.relative_to(base).parts) >= SEARCH_DEPTH:
                subdirs.clear()
    pytest.fail(f"no terraform provider mirror with {PROVIDER}: set TF_PLUGIN_MIRROR")


def terraform(workdir: Path, *args: str, timeout: float) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TF_"))}
    env.update(
        TF_IN_AUTOMATION="1",
        TF_INPUT="0",
        CHECKPOINT_DISABLE="1",
        TF_CLI_CONFIG_FILE=str(workdir / "terraformrc"),  # empty: no user config
    )
    started = time.monotonic()
    try:
        result = subprocess.run(
            ["terraform", *args, "-no-color"],
            cwd=workdir,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired as expired:
        output = [o.decode() if isinstance(o, bytes) else o for o in (expired.stdout, expired.stderr)]
        pytest.fail(f"terraform {args[0]} did not finish in {timeout} s (hang?):\n{output[0]}\n{output[1]}")
    note_timing(f"terraform {args[0]}: {time.monotonic() - started:.1f} s")
    return result


def configuration(endpoint: str, zip_path: Path) -> dict[str, Any]:
    def assume(service: str) -> str:
        return json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}],
            }
        )

    definition = {
        "StartAt": "Archive",
        "States": {
            "Archive": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": "${aws_lambda_function.b.arn}", "Payload.$": "$"},
                "ResultSelector": {"archived.$": "$.Payload"},
                "TimeoutSeconds": 30,
                "End": True,
            }
        },
    }
    return {
        "terraform": {"required_providers": {"aws": {"source": "hashicorp/aws", "version": "5.100.0"}}},
        "provider": {
            "aws": {
                "region": "eu-west-1",
                "access_key": "test",
                "secret_key": "test",
                "skip_credentials_validation": True,
                "skip_requesting_account_id": True,
                "skip_metadata_api_check": True,
                "endpoints": {name: endpoint for name in ("sfn", "iam", "lambda", "sts", "sns", "sqs")},
            }
        },
        "resource": {
            "aws_iam_role": {
                "lambda": {"name": "tf-lambda-b", "assume_role_policy": assume("lambda.amazonaws.com")},
                "sfn": {"name": "tf-pipeline", "assume_role_policy": assume("states.amazonaws.com")},
            },
            # The emulator enforces IAM for the state machine's tasks: its
            # role may invoke the function, as in AWS.
            "aws_iam_role_policy": {
                "sfn_invokes_b": {
                    "name": "invoke-lambda-b",
                    "role": "${aws_iam_role.sfn.id}",
                    "policy": json.dumps(
                        {
                            "Version": "2012-10-17",
                            "Statement": [
                                {
                                    "Effect": "Allow",
                                    "Action": "lambda:InvokeFunction",
                                    "Resource": "${aws_lambda_function.b.arn}",
                                }
                            ],
                        }
                    ),
                }
            },
            "aws_lambda_function": {
                "b": {
                    "function_name": "orders-tf-lambda-b",
                    "role": "${aws_iam_role.lambda.arn}",
                    "handler": "lambda_b",
                    "runtime": "provided.al2023",
                    "architectures": ["arm64"],
                    "filename": str(zip_path),
                    "source_code_hash": f'${{filebase64sha256("{zip_path}")}}',
                }
            },
            "aws_sfn_state_machine": {
                "pipeline": {
                    "name": "orders-tf-pipeline",
                    "role_arn": "${aws_iam_role.sfn.arn}",
                    "type": "STANDARD",
                    "definition": json.dumps(definition),
                    "logging_configuration": {"level": "OFF", "include_execution_data": False},
                    "tracing_configuration": {"enabled": False},
                }
            },
        },
        "output": {"state_machine_arn": {"value": "${aws_sfn_state_machine.pipeline.arn}"}},
    }


@pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform is not on PATH")
def test_terraform_apply_then_plan_shows_no_changes(
    launcher: Launcher, fake_runtime: FakeRuntime, tmp_path: Path
) -> None:
    mirror = find_provider_mirror()
    zip_path = tmp_path / "lambda_b.zip"
    zip_path.write_bytes(tiny_zip())
    (tmp_path / "terraformrc").write_text("")
    (tmp_path / "main.tf.json").write_text(json.dumps(configuration(launcher.endpoint, zip_path), indent=2))

    init = terraform(tmp_path, "init", "-input=false", f"-plugin-dir={mirror}", timeout=120)
    assert init.returncode == 0, init.stderr

    apply = terraform(tmp_path, "apply", "-auto-approve", "-input=false", timeout=180)
    assert apply.returncode == 0, apply.stdout + apply.stderr
    assert "Apply complete! Resources: 5 added" in apply.stdout

    plan = terraform(tmp_path, "plan", "-detailed-exitcode", "-input=false", timeout=120)
    assert plan.returncode == 0, f"expected no changes (exit 0), got {plan.returncode}:\n{plan.stdout}{plan.stderr}"
    assert "No changes." in plan.stdout

    # The applied state machine runs, its task reaching the runtime by handler name.
    fake_runtime.on("lambda_b", lambda event, n: ok({"archived": event}))
    outputs = terraform(tmp_path, "output", "-json", timeout=60)
    arn = json.loads(outputs.stdout)["state_machine_arn"]["value"]
    sfn = launcher.client("stepfunctions")
    execution = sfn.start_execution(stateMachineArn=arn, input=json.dumps({"status": "accepted", "power": 1}))
    deadline = time.monotonic() + 30
    while (described := sfn.describe_execution(executionArn=execution["executionArn"]))["status"] == "RUNNING":
        assert time.monotonic() < deadline
        time.sleep(0.2)
    assert described["status"] == "SUCCEEDED", described.get("cause")
    assert json.loads(described["output"]) == {"archived": {"archived": {"status": "accepted", "power": 1}}}

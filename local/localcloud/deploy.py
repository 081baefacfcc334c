"""A dry run of the deploy path against the emulator.

It runs what CodeBuild runs (`tools/terraform.sh plan` then `apply` of that
saved plan, `.codebuild/plan.yml` and `apply.yml`) for a real environment's
committed configuration, with two differences only the emulator needs:

- the S3 backend points at the emulator's S3 (a backend config file); the
  state bucket there is made by the committed bootstrap configuration first,
  so bootstrap, remote state and S3-native locking are all exercised;
- an override file points the AWS provider at the emulator with dummy
  credentials, and the plan targets what the emulator supports: every
  resource except those of types moto lacks (CodeConnections, CodeStar
  Notifications, Chatbot) and those that refer to them, directly or not.

What it cannot prove is listed in the README ("What only AWS can check").
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import boto3

from . import deploy_roles, roles
from .functions import build_and_package
from .processes import CloudError, Supervisor, free_port
from .stack import REGION, start_launcher

# Resource types moto 5.2.5 does not implement.
UNSUPPORTED_TYPES = {
    "aws_chatbot_slack_channel_configuration",
    "aws_codeconnections_connection",
    "aws_codestarnotifications_notification_rule",
}
# Services the local configuration does not use but an AWS environment does
# (delivery, Chatbot): their endpoints point at the emulator too, so no call
# can ever leave this machine for a real AWS endpoint.
DELIVERY_SERVICES = ("chatbot", "codebuild", "codeconnections", "codepipeline", "codestarnotifications")
REFERENCE = re.compile(r"\$\{(aws_[a-z0-9_]+\.[a-z0-9_]+)\.")


@dataclass
class DryRun:
    env: str
    applied: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    state_object: str = ""
    seconds: float = 0.0
    # Every call the deploy roles made, as the emulator checked it.
    ledger: Path | None = None
    # What the plan role's plan after the apply said.
    second_plan: str = ""

    def describe(self) -> str:
        return "\n".join([
            f"deploy dry run of {self.env} against the emulator: {len(self.applied)} resources applied "
            f"from a saved plan in {self.seconds:.0f} s",
            f"  remote state: {self.state_object} (S3 backend, use_lockfile; no lock left behind)",
            f"  not applied (the emulator lacks them): {', '.join(self.skipped) or 'nothing'}",
            f"  planned as auction-{self.env}-deploy-plan, applied as auction-{self.env}-deploy-apply "
            f"(IAM enforced; calls recorded in {self.ledger})",
        ])


def resources(config_dir: Path) -> dict[str, set[str]]:
    """Every managed resource of a configuration and what it refers to."""
    found: dict[str, set[str]] = {}
    for path in sorted(config_dir.glob("*.tf.json")):
        doc = json.loads(path.read_text())
        for kind, by_name in doc.get("resource", {}).items():
            for name, body in by_name.items():
                found[f"{kind}.{name}"] = set(REFERENCE.findall(json.dumps(body)))
    return found


def supported(graph: dict[str, set[str]]) -> tuple[list[str], list[str]]:
    """(targets, left out): a resource is left out when its type is missing
    from the emulator or anything it refers to is left out (Terraform would
    plan those dependencies of a target too)."""
    left_out: set[str] = set()
    changed = True
    while changed:
        changed = False
        for address, refs in graph.items():
            if address in left_out:
                continue
            if address.split(".")[0] in UNSUPPORTED_TYPES or refs & left_out:
                left_out.add(address)
                changed = True
    return sorted(set(graph) - left_out), sorted(left_out)


def emulator_provider(repo: Path, endpoint: str, as_role: bool = False) -> dict[str, Any]:
    """The local configuration's provider settings (its services, dummy
    credentials, skipped checks), pointed at `endpoint`. `as_role`: no
    credentials of its own (the role's come from the environment), and the
    account is asked for, so `allowed_account_ids` is really checked."""
    local = json.loads((repo / "terraform" / "local" / "providers.tf.json").read_text())["provider"]["aws"]
    dropped = {"default_tags", *(("access_key", "secret_key", "skip_requesting_account_id") if as_role else ())}
    settings = {k: v for k, v in local.items() if k not in dropped}
    settings["endpoints"] = {service: endpoint for service in [*local["endpoints"], *DELIVERY_SERVICES]}
    return {"provider": {"aws": settings}}


def account_of(config_dir: Path) -> str:
    """The account a configuration is pinned to (`allowed_account_ids`)."""
    provider = json.loads((config_dir / "providers.tf.json").read_text())["provider"]["aws"]
    return str(provider["allowed_account_ids"][0])


def backend_of(config_dir: Path) -> dict[str, Any]:
    return dict(json.loads((config_dir / "versions.tf.json").read_text())["terraform"]["backend"]["s3"])


class Deployer:
    def __init__(self, repo: Path, workdir: Path, endpoint: str, progress: Callable[[str], None]) -> None:
        self.repo, self.workdir, self.endpoint, self.progress = repo, workdir, endpoint, progress

    def copy(self, name: str, as_role: bool = False) -> Path:
        """A private copy of terraform/<name> with the emulator override."""
        target = self.workdir / name
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        for file in (self.repo / "terraform" / name).glob("*.tf.json"):
            shutil.copy(file, target / file.name)
        (target / "emulator_override.tf.json").write_text(json.dumps(emulator_provider(self.repo, self.endpoint, as_role), indent=2))
        return target

    def terraform_sh(self, command: str, config_dir: Path, plan_file: str, extra_env: dict[str, str]) -> str:
        """Runs it; returns its summary line (`Plan: ...`, `No changes...`)."""
        env = dict(os.environ, TF_WORK_DIR=str(self.workdir / f"tfdata-{config_dir.name}"), **extra_env)
        self.progress(f"==> tools/terraform.sh {command} {config_dir.name} {plan_file}")
        result = subprocess.run(
            [str(self.repo / "tools" / "terraform.sh"), command, str(config_dir), plan_file],
            cwd=self.repo, env=env, capture_output=True, text=True,
        )
        summary = [line for line in result.stdout.splitlines() if line.startswith(("Plan:", "Apply complete", "No changes"))]
        for line in summary:
            self.progress(f"    {line}")
        if result.returncode != 0:
            raise CloudError(f"terraform.sh {command} {config_dir.name} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
        return summary[0] if summary else ""


def deploy_dry_run(env: str, repo: Path, workdir: Path, progress: Callable[[str], None] = print) -> DryRun:
    started = time.monotonic()
    # Every dry run starts from nothing but the packaged functions: a fresh
    # emulator has no state, so neither may the Terraform working data.
    for leftover in workdir.glob("*"):
        if leftover.name != "lambda":
            shutil.rmtree(leftover) if leftover.is_dir() else leftover.unlink()
    workdir.mkdir(parents=True, exist_ok=True)
    supervisor = Supervisor(workdir / "logs")
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    report = DryRun(env)
    try:
        build_and_package(repo, workdir / "lambda", progress)
        progress(f"==> starting the AWS emulator on {endpoint}")
        # The emulator is the environment's account (its allowed_account_ids),
        # and enforces IAM for the deploy roles, recording every call.
        account = account_of(repo / "terraform" / env)
        report.ledger = workdir / "iam-ledger.jsonl"
        start_launcher(supervisor, repo, port, free_port(), iam_ledger=report.ledger, extra_env={"MOTO_ACCOUNT_ID": account})
        deployer = Deployer(repo, workdir, endpoint, progress)
        # The administrator's credentials: bootstrap and the delivery roles.
        dummy_credentials = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_REGION": REGION}

        # 1. The one-time bootstrap, as the README tells an engineer to run it.
        bootstrap = deployer.copy("bootstrap")
        deployer.terraform_sh("plan", bootstrap, "bootstrap.tfplan", dummy_credentials)
        deployer.terraform_sh("apply", bootstrap, "bootstrap.tfplan", dummy_credentials)

        # 2. The deploy roles and boundaries, as the administrator makes them
        #    from the generated delivery configuration.
        made = deploy_roles.create(endpoint, repo, account)

        # 3. The environment, planned with the plan role's credentials and
        #    applied with the apply role's: remote state in the bootstrapped
        #    bucket, and every call checked against those roles' policies.
        config = deployer.copy(env, as_role=True)
        backend_file = workdir / f"{env}-emulator.s3.tfbackend"
        backend_file.write_text("\n".join([
            f'endpoints = {{ s3 = "{endpoint}" }}',
            "use_path_style = true",
            "skip_credentials_validation = true",
            "skip_requesting_account_id = true",
            "skip_metadata_api_check = true",
        ]) + "\n")
        targets, report.skipped = supported(resources(config))
        report.applied = targets
        settings = dict(
            AWS_REGION=REGION,
            TF_INIT_ARGS=f"-backend-config={backend_file}",
            TF_PLAN_ARGS=" ".join(f"-target={t}" for t in targets),
            TF_VAR_lambda_zip_dir=str(workdir / "lambda"),
        )
        as_plan = roles.as_environment(roles.assume(endpoint, made.arn(env, "plan"), "plan"))
        as_apply = roles.as_environment(roles.assume(endpoint, made.arn(env, "apply"), "apply"))
        deployer.terraform_sh("plan", config, f"{env}.tfplan", {**settings, **as_plan})
        deployer.terraform_sh("apply", config, f"{env}.tfplan", {**settings, **as_apply})
        # The next deploy's Plan stage: the plan role reads everything it
        # manages, and nothing is left to change.
        report.second_plan = deployer.terraform_sh("plan", config, f"{env}-again.tfplan", {**settings, **as_plan})

        # 4. The state is where the backend says, and no lock was left.
        backend = backend_of(config)
        s3 = boto3.client("s3", endpoint_url=endpoint, region_name=REGION, aws_access_key_id="test", aws_secret_access_key="test")
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket=backend["bucket"]).get("Contents", [])]
        if backend["key"] not in keys:
            raise CloudError(f"no state at s3://{backend['bucket']}/{backend['key']}; the bucket holds {keys}")
        if any(key.endswith(".tflock") for key in keys):
            raise CloudError(f"a state lock was left behind: {keys}")
        report.state_object = f"s3://{backend['bucket']}/{backend['key']}"
    finally:
        supervisor.stop_all()
    report.seconds = time.monotonic() - started
    return report

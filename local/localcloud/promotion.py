"""The delivery pipeline's promotion path, rehearsed against the emulator.

It walks the stages of the generated pipeline (`terraform/delivery/
pipeline.tf.json`) in order and does what each CodeBuild stage does, with
the same scripts (`tools/terraform.sh`, `tools/plan-digest.sh`):

- first, as an administrator does once: the bootstrap and the delivery
  configuration (deploy roles, boundaries, artifact bucket; not the
  pipeline, which needs CodeConnections);
- Source: every stage starts from a fresh checkout of the commit (the
  committed configuration and lock file), never from an earlier stage's
  output;
- Build: the zips, once (host architecture: the emulator runs them);
- Plan-<env>: the saved plan of <env> from those same zips, and its digest,
  kept as the pipeline keeps its output variable (not in the artifact);
- Approve-<env>: the approver sees that digest; then someone rewrites the
  approved plan in the artifact store, and Apply refuses it with a clear
  message before Terraform runs;
- Apply-<env>: the untampered plan, verified and applied; the state lands in
  the bootstrapped bucket with no lock left behind.

Plan and Apply run with the credentials of the stage's deploy role
(`auction-<env>-deploy-plan` / `-deploy-apply`, from the emulator's STS, as
CodeBuild gets its role's), and the emulator enforces IAM for them: an
AccessDenied fails the rehearsal, and every call goes to the IAM ledger the
tests compare with the roles' policies. After the last Apply, the next
run's Plan of the first environment checks that the plan role can read all
that was applied and that nothing is left to change.

The emulator-only differences are those of `deploy.py`: the S3 backend and
the provider point at the emulator, the emulator plays the environments'
account, and resource types moto lacks are left out of the plan.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import boto3

from . import roles
from .deploy import Deployer, account_of, backend_of, emulator_provider, resources, supported
from .functions import build_and_package
from .processes import CloudError, Supervisor, free_port
from .stack import REGION, start_launcher

DUMMY_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_REGION": REGION}


class PlanRefused(CloudError):
    """Apply refused a plan whose digest is not the approved one."""


@dataclass
class Promotion:
    stages: list[str] = field(default_factory=list)
    digests: dict[str, str] = field(default_factory=dict)
    applied: dict[str, list[str]] = field(default_factory=dict)
    skipped: dict[str, list[str]] = field(default_factory=dict)
    state_objects: dict[str, str] = field(default_factory=dict)
    refused: str = ""
    # Every call the deploy roles made, as the emulator checked it.
    ledger: Path | None = None
    # The summary of the next run's Plan of the first environment.
    next_plan: str = ""
    seconds: float = 0.0

    def describe(self) -> str:
        lines = [
            f"promotion rehearsal against the emulator ({self.seconds:.0f} s): {' -> '.join(self.stages)}",
        ]
        for env, applied in self.applied.items():
            digest = self.digests.get(env)
            how = f"the plan with digest {digest[:16]}…" if digest else "an administrator's plan"
            lines.append(f"  {env}: {len(applied)} resources applied from {how}, state {self.state_objects[env]}")
            if self.skipped.get(env):
                lines.append(f"    not applied (the emulator lacks them): {', '.join(self.skipped[env])}")
        lines.append(
            "  every Plan-<env> ran as auction-<env>-deploy-plan and every Apply-<env> as auction-<env>-deploy-apply,"
            f" IAM enforced (calls recorded in {self.ledger})"
        )
        if self.next_plan:
            lines.append(f"  the next run's plan, as the plan role: {self.next_plan}")
        if self.refused:
            lines.append("  a tampered plan was refused before Terraform ran:")
            lines.extend(f"    {line}" for line in self.refused.splitlines())
        return "\n".join(lines)


def first_deployed(repo: Path) -> str:
    """The environment the pipeline deploys first (its Plan stage comes first)."""
    for stage in pipeline_stages(repo):
        kind, _, env = stage.partition("-")
        if kind == "Plan":
            return env
    raise CloudError("the generated pipeline has no Plan stage")


def pipeline_stages(repo: Path) -> list[str]:
    """The stage names of the generated pipeline, in order."""
    doc = json.loads((repo / "terraform" / "delivery" / "pipeline.tf.json").read_text())
    (pipeline,) = doc["resource"]["aws_codepipeline"].values()
    return [stage["name"] for stage in pipeline["stage"]]


class Rehearsal:
    """One emulator, one bootstrapped state bucket, the stages in order."""

    def __init__(self, repo: Path, workdir: Path, endpoint: str, progress: Callable[[str], None]) -> None:
        self.repo, self.workdir, self.endpoint, self.progress = repo, workdir, endpoint, progress
        self.deployer = Deployer(repo, workdir, endpoint, progress)
        # The account the emulator plays: the environments' (env.rs).
        self.account = account_of(repo / "terraform" / first_deployed(repo))
        self.artifacts = workdir / "artifacts"
        # CodePipeline's output variables: kept by the pipeline, not in the
        # artifact store, so whoever rewrites artifacts cannot change them.
        self.variables: dict[str, str] = {}
        self.backend_file = workdir / "emulator.s3.tfbackend"
        self.backend_file.write_text(
            "\n".join(
                [
                    f'endpoints = {{ s3 = "{endpoint}" }}',
                    "use_path_style = true",
                    "skip_credentials_validation = true",
                    "skip_requesting_account_id = true",
                    "skip_metadata_api_check = true",
                ]
            )
            + "\n"
        )

    def checkout(self, stage: str, env: str) -> Path:
        """A fresh copy of the commit's configuration of `env`, laid out as
        in the source artifact (terraform/<env>/, target/lambda/)."""
        root = self.workdir / "stages" / stage
        shutil.rmtree(root, ignore_errors=True)
        config = root / "terraform" / env
        config.mkdir(parents=True)
        source = self.repo / "terraform" / env
        for file in [*source.glob("*.tf.json"), source / ".terraform.lock.hcl"]:
            shutil.copy(file, config / file.name)
        # No credentials of its own: the stage's role's come from the environment.
        override = emulator_provider(self.repo, self.endpoint, as_role=True)
        (config / "emulator_override.tf.json").write_text(json.dumps(override, indent=2))
        return root

    def terraform_env(self, config: Path, role: str | None = None) -> tuple[dict[str, str], list[str]]:
        """Terraform's environment: the administrator's credentials, or those
        of the deploy role `role` (`auction-dev-deploy-plan`)."""
        targets, skipped = supported(resources(config))
        credentials = self.role_credentials(role) if role else DUMMY_CREDENTIALS
        extra = dict(credentials, AWS_REGION=REGION, TF_INIT_ARGS=f"-backend-config={self.backend_file}")
        if skipped:
            extra["TF_PLAN_ARGS"] = " ".join(f"-target={t}" for t in targets)
        return extra, skipped

    def role_credentials(self, role: str) -> dict[str, str]:
        arn = f"arn:aws:iam::{self.account}:role/{role}"
        return roles.as_environment(roles.assume(self.endpoint, arn, role.rsplit("-", 1)[-1]))

    def digest(self, command: str, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.repo / "tools" / "plan-digest.sh"), command, *args],
            cwd=self.repo,
            capture_output=True,
            text=True,
            check=False,
        )

    def build(self) -> None:
        zips = self.workdir / "lambda"
        build_and_package(self.repo, zips, self.progress)
        built = self.artifacts / "built" / "target" / "lambda"
        shutil.rmtree(built, ignore_errors=True)
        shutil.copytree(zips, built)

    def plan(self, env: str, report: Promotion) -> None:
        root = self.checkout(f"Plan-{env}", env)
        shutil.copytree(self.artifacts / "built" / "target" / "lambda", root / "target" / "lambda")
        config = root / "terraform" / env
        extra, report.skipped[env] = self.terraform_env(config, f"auction-{env}-deploy-plan")
        self.deployer.terraform_sh("plan", config, f"{env}.tfplan", extra)
        recorded = self.digest("record", str(config / f"{env}.tfplan"), str(root / "target" / "lambda"))
        if recorded.returncode != 0:
            raise CloudError(f"plan-digest.sh record failed: {recorded.stderr}")
        digest = recorded.stdout.strip()
        self.variables[f"plan_{env}.PLAN_SHA256"] = report.digests[env] = digest
        self.progress(f"    plan digest (sha256 of the plan and the zips it uploads) = {digest}")
        # The plan artifact: the saved plan and exactly the zips it uploads.
        artifact = self.artifacts / f"plan_{env}"
        shutil.rmtree(artifact, ignore_errors=True)
        (artifact / "terraform" / env).mkdir(parents=True)
        shutil.copy(config / f"{env}.tfplan", artifact / "terraform" / env)
        shutil.copytree(root / "target" / "lambda", artifact / "target" / "lambda")

    def apply(self, env: str, artifact: Path, stage: str) -> list[str]:
        """Apply stage: verify the plan it received, then apply it. Raises
        PlanRefused (nothing applied) when the digest differs."""
        root = self.checkout(stage, env)
        config = root / "terraform" / env
        shutil.copytree(artifact / "target" / "lambda", root / "target" / "lambda")
        shutil.copy(artifact / "terraform" / env / f"{env}.tfplan", config)
        expected = self.variables.get(f"plan_{env}.PLAN_SHA256", "")
        verified = self.digest("verify", str(config / f"{env}.tfplan"), str(root / "target" / "lambda"), expected)
        if verified.returncode != 0:
            raise PlanRefused(verified.stderr.strip())
        self.progress(f"    {verified.stdout.strip()}")
        extra, _ = self.terraform_env(config, f"auction-{env}-deploy-apply")
        self.deployer.terraform_sh("apply", config, f"{env}.tfplan", extra)
        return sorted(supported(resources(config))[0])

    def approve_then_tamper(self, env: str, report: Promotion) -> None:
        """After approval, someone rewrites the approved plan in the artifact
        store: Apply must refuse it, and apply nothing."""
        self.progress(f"==> Approve-{env}: the approver sees plan digest {self.variables[f'plan_{env}.PLAN_SHA256']}")
        tampered = self.workdir / "artifacts" / f"plan_{env}-tampered"
        shutil.rmtree(tampered, ignore_errors=True)
        shutil.copytree(self.artifacts / f"plan_{env}", tampered)
        with (tampered / "terraform" / env / f"{env}.tfplan").open("ab") as plan:
            plan.write(b"rewritten after approval")
        self.progress(f"==> Apply-{env} of a plan rewritten after approval")
        try:
            self.apply(env, tampered, f"Apply-{env}-tampered")
        except PlanRefused as refusal:
            report.refused = str(refusal)
            self.progress(f"    refused: {report.refused.splitlines()[0]}")
        else:
            raise CloudError(f"Apply-{env} applied a plan rewritten after approval")
        if self.state_keys(backend_of(self.repo / "terraform" / env))[1]:
            raise CloudError(f"the refused Apply-{env} wrote state")

    def next_plan(self, env: str) -> str:
        """The next run's Plan of `env`: the plan role reads everything that
        was applied; returns Terraform's summary line."""
        self.progress(f"==> the next run's Plan-{env}")
        root = self.checkout(f"Plan-{env}-next", env)
        shutil.copytree(self.artifacts / "built" / "target" / "lambda", root / "target" / "lambda")
        config = root / "terraform" / env
        extra, _ = self.terraform_env(config, f"auction-{env}-deploy-plan")
        return self.deployer.terraform_sh("plan", config, f"{env}-next.tfplan", extra)

    def state_keys(self, backend: dict[str, str]) -> tuple[list[str], bool]:
        s3 = boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket=backend["bucket"]).get("Contents", [])]
        return keys, backend["key"] in keys

    def check_state(self, env: str, report: Promotion) -> None:
        backend = backend_of(self.repo / "terraform" / env)
        keys, present = self.state_keys(backend)
        if not present:
            raise CloudError(f"no state at s3://{backend['bucket']}/{backend['key']}; the bucket holds {keys}")
        if any(key.endswith(".tflock") for key in keys):
            raise CloudError(f"a state lock was left behind: {keys}")
        report.state_objects[env] = f"s3://{backend['bucket']}/{backend['key']}"


def rehearse_promotion(repo: Path, workdir: Path, progress: Callable[[str], None] = print) -> Promotion:
    started = time.monotonic()
    for leftover in workdir.glob("*"):
        if leftover.name != "lambda":
            shutil.rmtree(leftover) if leftover.is_dir() else leftover.unlink()
    workdir.mkdir(parents=True, exist_ok=True)
    report = Promotion(stages=pipeline_stages(repo))
    supervisor = Supervisor(workdir / "logs")
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    try:
        progress(f"==> starting the AWS emulator on {endpoint}")
        report.ledger = workdir / "iam-ledger.jsonl"
        account = account_of(repo / "terraform" / first_deployed(repo))
        start_launcher(
            supervisor, repo, port, free_port(), iam_ledger=report.ledger, extra_env={"MOTO_ACCOUNT_ID": account}
        )
        rehearsal = Rehearsal(repo, workdir, endpoint, progress)
        # The one-time bootstrap, as the README tells an administrator to run it.
        bootstrap = rehearsal.deployer.copy("bootstrap")
        rehearsal.deployer.terraform_sh("plan", bootstrap, "bootstrap.tfplan", DUMMY_CREDENTIALS)
        rehearsal.deployer.terraform_sh("apply", bootstrap, "bootstrap.tfplan", DUMMY_CREDENTIALS)
        # The delivery configuration, as an administrator applies it: the
        # deploy roles and the boundaries exist before any environment.
        delivery = rehearsal.deployer.copy("delivery")
        extra, report.skipped["delivery"] = rehearsal.terraform_env(delivery)
        rehearsal.deployer.terraform_sh("plan", delivery, "delivery.tfplan", extra)
        rehearsal.deployer.terraform_sh("apply", delivery, "delivery.tfplan", extra)
        report.applied["delivery"] = sorted(supported(resources(delivery))[0])
        rehearsal.check_state("delivery", report)
        approved = {s.removeprefix("Approve-") for s in report.stages if s.startswith("Approve-")}
        for stage in report.stages:
            kind, _, env = stage.partition("-")
            progress(f"==> {stage}")
            if kind == "Source":
                continue  # every stage checks out the commit itself
            if kind == "Build":
                rehearsal.build()
            elif kind == "Plan":
                rehearsal.plan(env, report)
            elif kind == "Approve":
                rehearsal.approve_then_tamper(env, report)
            elif kind == "Apply":
                report.applied[env] = rehearsal.apply(env, rehearsal.artifacts / f"plan_{env}", stage)
                rehearsal.check_state(env, report)
            else:
                raise CloudError(f"the rehearsal does not know stage {stage}")
        if approved and not report.refused:
            raise CloudError("no tampered plan was tried")
        report.next_plan = rehearsal.next_plan(first_deployed(repo))
    finally:
        supervisor.stop_all()
    report.seconds = time.monotonic() - started
    return report

"""What a deploy against the emulator needs (the promotion rehearsal,
`promotion.py`, uses it): running `tools/terraform.sh` as CodeBuild runs it
on a real configuration's committed files, with two differences only the
emulator needs:

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
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .processes import CloudError

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
        (target / "emulator_override.tf.json").write_text(
            json.dumps(emulator_provider(self.repo, self.endpoint, as_role), indent=2)
        )
        return target

    def terraform_sh(self, command: str, config_dir: Path, plan_file: str, extra_env: dict[str, str]) -> str:
        """Runs it; returns its summary line (`Plan: ...`, `No changes...`)."""
        env = dict(os.environ, TF_WORK_DIR=str(self.workdir / f"tfdata-{config_dir.name}"), **extra_env)
        self.progress(f"==> tools/terraform.sh {command} {config_dir.name} {plan_file}")
        result = subprocess.run(
            [str(self.repo / "tools" / "terraform.sh"), command, str(config_dir), plan_file],
            cwd=self.repo,
            env=env,
            capture_output=True,
            text=True,
        )
        summary = [
            line for line in result.stdout.splitlines() if line.startswith(("Plan:", "Apply complete", "No changes"))
        ]
        for line in summary:
            self.progress(f"    {line}")
        if result.returncode != 0:
            raise CloudError(
                f"terraform.sh {command} {config_dir.name} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
            )
        return summary[0] if summary else ""

"""The project's additions to moto server (the release pinned in
tools/requirements-local.txt; see local/README.md). Every change to moto
goes through `patching`, which fails loudly when its target is missing.

moto is imported only by `install`, so the launcher can check the moto
version (`patching.check_moto_version`) before anything of moto loads.
"""

from __future__ import annotations

import os
from pathlib import Path


def install(
    port: int,
    lambda_runtime_url: str,
    invoke_timeout: float,
    iam_ledger: Path | None = None,
    lambda_routes: dict[str, str] | None = None,
) -> None:
    """Apply every addition; call before the server takes its first request."""
    from moto.core.config import default_user_config

    from . import codebuild, faults, iam_enforce, lambda_forward, s3_policy, sfn_credentials, stepfunctions
    from .ledger import Ledger

    # moto's Step Functions interpreter (a port of LocalStack's) is off by
    # default; it reaches Lambda and SNS through http://localhost:$MOTO_PORT.
    default_user_config["stepfunctions"] = {"execute_state_machine": True}
    os.environ["MOTO_PORT"] = str(port)
    # ... and no HTTP(S)_PROXY from the environment may get in between.
    for name in ("NO_PROXY", "no_proxy"):
        os.environ[name] = ",".join(filter(None, [os.environ.get(name), "localhost", "127.0.0.1"]))
    stepfunctions.install()
    s3_policy.install()
    codebuild.install()
    lambda_forward.install(lambda_runtime_url, invoke_timeout, lambda_routes or {})
    # IAM for every request signed by an assumed role (iam_enforce.py).
    iam_enforce.install(Ledger(iam_ledger))
    sfn_credentials.install()
    # Off unless LOCAL_FAULTS or the control endpoint turns it on.
    faults.install()

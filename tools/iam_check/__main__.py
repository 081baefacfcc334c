"""`python -m iam_check [terraform-dir]`: run the static checks over every
generated configuration; exit 1 with each finding when there is one."""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1] / "local"))  # the shared evaluator (motolocal.iam_policy)

from iam_check.checks import run  # noqa: E402
from iam_check.policies import load_all  # noqa: E402


def main(argv: list[str]) -> int:
    terraform = Path(argv[0]) if argv else HERE.parents[1] / "terraform"
    configs = load_all(terraform)
    findings = run(configs)
    roles = sum(len(c.roles) for c in configs)
    policies = sum(len(c.policies) for c in configs)
    statements = sum(len(p.statements()) for c in configs for p in c.policies)
    for finding in findings:
        print(f"FINDING {finding}")
    print(
        f"iam-check: {len(configs)} configurations, {roles} roles, {policies} policy documents, "
        f"{statements} statements: {len(findings)} finding(s)"
    )
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

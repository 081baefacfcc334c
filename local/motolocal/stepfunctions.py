"""Step Functions actions that moto 5.2.5 lacks and the AWS Terraform provider calls.

- ValidateStateMachineDefinition: hashicorp/aws calls it while planning an
  `aws_sfn_state_machine`; moto answers "not implemented" and the provider
  retries for minutes, so `terraform plan` seems to hang.
- ListStateMachineVersions: the provider calls it when it creates/reads one.

Both are added on a subclass of moto's response class, which then replaces
moto's in `moto.stepfunctions.urls` (the table moto's server builds its routes
from on the first Step Functions request).

moto's ASL parser checks the grammar of a definition but not where its
transitions lead (a `Next` to a missing state passes), which AWS rejects with
MISSING_TRANSITION_TARGET. `transition_problems` adds that check, for
validation and for Create/UpdateStateMachine alike (whose InvalidDefinition
error moto sends with an empty error code; ours carries it).

moto's interpreter puts `$$.Execution.StartTime` in the context object as a
`datetime`, not as the ISO 8601 string AWS gives: copied into the state (an
ItemSelector does) it makes DescribeExecution fail with "Object of type
datetime is not JSON serializable". `_start_time_as_aws_string` fixes it.

StartExecution without a name (EventBridge Scheduler's way) leaves moto's
interpreter with a `None` name; AWS generates a UUID, and so does ours.
"""

from __future__ import annotations

import json
import logging
import uuid
from datetime import UTC, datetime
from typing import Any

from moto.core.exceptions import AWSError
from moto.core.responses import ActionResult
from moto.stepfunctions import urls as sfn_urls
from moto.stepfunctions.exceptions import InvalidArn
from moto.stepfunctions.parser.asl.static_analyser.express_static_analyser import (
    ExpressStaticAnalyser,
)
from moto.stepfunctions.parser.asl.static_analyser.static_analyser import (
    StaticAnalyser,
)
from moto.stepfunctions.parser.backend.execution import Execution
from moto.stepfunctions.responses import StepFunctionResponse

from .patching import replace, replace_values

LOG = logging.getLogger("motolocal.stepfunctions")

Diagnostic = dict[str, str]

# States that must say where they go next (`Next`) or that they end (`End`).
_NEEDS_NEXT_OR_END = {"Task", "Pass", "Wait", "Parallel", "Map"}


def _diagnostic(code: str, message: str, location: str | None = None) -> Diagnostic:
    diag = {"severity": "ERROR", "code": code, "message": message}
    if location is not None:
        diag["location"] = location
    return diag


def _targets(state: dict[str, Any], here: str) -> list[tuple[str, Any]]:
    """(location, target state name) of every transition out of a state."""
    targets = [(f"{here}/{key}", state[key]) for key in ("Next", "Default") if key in state]
    for field in ("Choices", "Catch"):
        for i, rule in enumerate(state.get(field) or []):
            targets.append((f"{here}/{field}[{i}]/Next", rule.get("Next")))
    return targets


def _reachable(start: str, edges: dict[str, list[str]]) -> set[str]:
    seen: set[str] = set()
    todo = [start]
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo += edges.get(name, [])
    return seen


def transition_problems(definition: dict[str, Any], at: str = "") -> list[Diagnostic]:
    """Missing transition targets, unreachable states, no way to end, in
    this state list and in every nested one (Parallel branches, Map
    processors), worded and located as AWS does."""
    states = definition.get("States")
    if not isinstance(states, dict):
        return []  # the grammar check reports this one
    problems: list[Diagnostic] = []
    start = definition.get("StartAt")
    if start not in states:
        problems.append(_diagnostic("MISSING_TRANSITION_TARGET", f"Missing 'StartAt' target: {start}", f"{at}/StartAt"))
    edges: dict[str, list[str]] = {}
    for name, state in states.items():
        here = f"{at}/States/{name}"
        targets = _targets(state, here)
        for location, target in targets:
            if target not in states:
                problems.append(_diagnostic("MISSING_TRANSITION_TARGET", f"Missing 'Next' target: {target}", location))
        edges[name] = [target for _, target in targets if target in states]
        if state.get("Type") in _NEEDS_NEXT_OR_END and "Next" not in state and state.get("End") is not True:
            problems.append(
                _diagnostic("SCHEMA_VALIDATION_FAILED", "State must have either 'Next' or 'End': true", here)
            )
        for i, branch in enumerate(state.get("Branches") or []):
            problems += transition_problems(branch, f"{here}/Branches[{i}]")
        for key in ("ItemProcessor", "Iterator"):
            if isinstance(state.get(key), dict):
                problems += transition_problems(state[key], f"{here}/{key}")
    if not any(s.get("End") is True or s.get("Type") in ("Succeed", "Fail") for s in states.values()):
        # AWS reports this alone, without walking for unreachable states.
        problems.append(_diagnostic("MISSING_END_STATE", "Workflow has no terminal state"))
    elif isinstance(start, str) and start in states:
        reachable = _reachable(start, edges)
        problems += [
            _diagnostic("MISSING_TRANSITION_TARGET", f'State "{name}" is not reachable.', f"{at}/States/{name}")
            for name in states
            if name not in reachable
        ]
    return problems


def validate_definition(definition: str, sm_type: str = "STANDARD") -> list[Diagnostic]:
    """Every problem found in a definition: first moto's own ASL parser and
    static analysers (grammar, intrinsic functions), then the transitions."""
    analyser = ExpressStaticAnalyser() if sm_type == "EXPRESS" else StaticAnalyser()
    try:
        analyser.analyse(definition)
    except Exception as error:  # moto's parser raises many kinds
        message = str(error) or repr(error)
        return [_diagnostic("SCHEMA_VALIDATION_FAILED", f"{type(error).__name__}: {message}")]
    return transition_problems(json.loads(definition))


def _warn_if_not_runnable(definition: str | None) -> None:
    # moto's interpreter fails JSONata and Variables at run time with a bare
    # TypeError; say so in the launcher's log when such a definition arrives.
    if definition and ('"JSONata"' in definition or '"Assign"' in definition):
        LOG.warning(
            "this state machine uses JSONata or Variables (Assign): moto's "
            "interpreter cannot run them, executions will fail"
        )


class ProjectStepFunctionResponse(StepFunctionResponse):
    """moto's Step Functions API plus the actions this project needs."""

    def validate_state_machine_definition(self) -> ActionResult:
        definition = self._get_param("definition")
        sm_type = self._get_param("type") or "STANDARD"
        max_results = self._get_int_param("maxResults") or 100
        diagnostics = validate_definition(definition, sm_type)
        return ActionResult(
            {
                "result": "FAIL" if diagnostics else "OK",
                "diagnostics": diagnostics[:max_results],
                "truncated": len(diagnostics) > max_results,
            }
        )

    def list_state_machine_versions(self) -> ActionResult:
        arn = self._get_param("stateMachineArn")
        max_results = self._get_int_param("maxResults") or 100
        try:
            start = int(self._get_param("nextToken") or 0)
        except ValueError:
            raise AWSError("Invalid token", "InvalidToken") from None
        state_machine = self.stepfunction_backend.describe_state_machine(arn)
        if not hasattr(state_machine, "versions"):  # a version's own ARN
            raise InvalidArn(f"Invalid Arn: '{arn}'")
        versions = sorted(state_machine.versions.values(), key=lambda v: v.version, reverse=True)
        page = versions[start : start + max_results]
        response: dict[str, Any] = {
            "stateMachineVersions": [{"stateMachineVersionArn": v.arn, "creationDate": v.creation_date} for v in page]
        }
        if start + max_results < len(versions):
            response["nextToken"] = str(start + max_results)
        return ActionResult(response)

    def start_execution(self) -> ActionResult:
        # AWS names an execution started without a name (as EventBridge
        # Scheduler starts them) with a UUID. moto's interpreter backend keeps
        # None: the ARN ends in ":None" and `$$.Execution.Name` is null, which
        # lambda_b rightly refuses as a run identity.
        name = self._get_param("name") or str(uuid.uuid4())
        execution = self.stepfunction_backend.start_execution(
            self._get_param("stateMachineArn"), name, self._get_param("input", if_none="{}")
        )
        return ActionResult({"executionArn": execution.execution_arn, "startDate": execution.start_date})

    def create_state_machine(self) -> ActionResult:
        self._reject_invalid_definition(self._get_param("type") or "STANDARD")
        return super().create_state_machine()

    def update_state_machine(self) -> ActionResult:
        self._reject_invalid_definition("STANDARD")
        return super().update_state_machine()

    def _reject_invalid_definition(self, sm_type: str) -> None:
        # Checked here, as AWS does, rather than left to moto: its parser
        # lets bad transitions through (the run fails later, far from the
        # cause), and its own InvalidDefinition error has an empty code.
        definition = self._get_param("definition")
        _warn_if_not_runnable(definition)
        if definition is None:
            return  # an update that keeps the definition
        problems = validate_definition(definition, sm_type)
        if problems:
            text = ", ".join(
                f"{p['code']}: {p['message']}" + (f" at {p['location']}" if "location" in p else "") for p in problems
            )
            raise AWSError(f"Invalid State Machine Definition: '{text}'", "InvalidDefinition")


def aws_timestamp(moment: datetime) -> str:
    """`2026-11-21T05:39:20.123Z`, as in AWS's context object."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def _start_time_as_aws_string(original: Any) -> Any:
    def get_start_execution_details(self: Execution) -> Any:
        details = original(self)
        if isinstance(details.start_time, datetime):
            details.start_time = aws_timestamp(details.start_time)
        return details

    return get_start_execution_details


def install() -> None:
    """Route moto server's Step Functions requests to our response class, and
    give the interpreter's context object a string StartTime."""
    replace_values(
        sfn_urls.url_paths,
        StepFunctionResponse.dispatch,
        ProjectStepFunctionResponse.dispatch,
        "moto's Step Functions routes",
    )
    # The one place the interpreter reads the start time for $$.Execution.
    replace(Execution, "get_start_execution_details", _start_time_as_aws_string)

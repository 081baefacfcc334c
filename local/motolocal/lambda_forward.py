"""Lambda invocation without Docker: forward to the local Lambda runtime.

moto runs a function by starting a Docker container; this project's functions
run under `cargo lambda watch` instead, which serves the Lambda Invoke API
(`POST /2015-03-31/functions/<name>/invocations`). `install` replaces moto's
`LambdaFunction.invoke` (the one method that every way of invoking goes
through: the Invoke API, the Step Functions interpreter's Lambda tasks, which
call moto over HTTP, and moto's own event sources) with a forward there.

What the forward translates, because cargo lambda watch is not Lambda:
- the name: the runtime knows binaries, not functions. The project sets each
  `provided.al2023` function's `Handler` (ignored by AWS for custom runtimes)
  to its binary name; without a handler (or with the conventional
  `bootstrap`) the function name is used. A full ARN would give 404.
- function errors: the runtime answers HTTP 500 with `{"errorType",
  "errorMessage"}` and no `X-Amz-Function-Error`; Lambda answers 200 with
  `X-Amz-Function-Error: Unhandled` and that payload, which is what lets a
  state machine's Retry/Catch see the function's own errorType.
- an unreachable runtime or one that does not know the function: a Lambda
  service error (`ServiceException`, `ResourceNotFoundException`) with the
  reason, logged; never a silent success.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import quote

from moto.awslambda.models import LambdaFunction
from moto.core.exceptions import AWSError

from .patching import replace

LOG = logging.getLogger("motolocal.lambda")


class LambdaServiceException(AWSError):
    """Lambda's own failure (the function did not run): HTTP 500."""

    TYPE = "ServiceException"
    STATUS = 500


class FunctionNotInRuntime(AWSError):
    TYPE = "ResourceNotFoundException"
    STATUS = 404


def runtime_name(fn: LambdaFunction) -> str:
    """The name the local runtime knows this function by."""
    handler = (fn.handler or "").strip()
    return handler if handler and handler != "bootstrap" else fn.function_name


def _headers(headers: Any) -> dict[str, str]:
    # moto passes werkzeug headers from the API, plain dicts from elsewhere
    items = headers.items() if hasattr(headers, "items") else []
    return {str(k).lower(): str(v) for k, v in items}


def _is_error_payload(payload: bytes) -> bool:
    try:
        body = json.loads(payload)
    except ValueError:
        return False
    return isinstance(body, dict) and "errorType" in body


class RuntimeForward:
    """Calls one local Lambda runtime; installed as `LambdaFunction.invoke`."""

    def __init__(self, runtime_url: str, timeout: float, routes: dict[str, str] | None = None) -> None:
        self.runtime_url = runtime_url.rstrip("/")
        # runtime name -> its own runtime's URL (one per function)
        self.routes = {name: url.rstrip("/") for name, url in (routes or {}).items()}
        self.timeout = timeout
        # The runtime is local: never through an HTTP(S)_PROXY from the env.
        self.opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def invoke(
        self,
        fn: LambdaFunction,
        body: str | bytes | None,
        request_headers: Any,
        response_headers: dict[str, Any],
    ) -> bytes:
        headers = _headers(request_headers)
        payload = (body.encode() if isinstance(body, str) else body) or b"{}"
        invocation_type = headers.get("x-amz-invocation-type", "RequestResponse")
        if invocation_type == "DryRun":
            return b""
        if invocation_type == "Event":
            # Lambda queues the event and answers 202 at once; errors only
            # show in the logs, as with an asynchronous invocation on AWS.
            threading.Thread(target=self._call_logged, args=(fn, payload, headers), daemon=True).start()
            return b""
        result, function_error = self._call(fn, payload, headers)
        if function_error:
            response_headers["x-amz-function-error"] = function_error
        return result

    def _call_logged(self, fn: LambdaFunction, payload: bytes, headers: dict[str, str]) -> None:
        try:
            self._call(fn, payload, headers)
        except AWSError as error:
            LOG.error("asynchronous invocation of %s failed: %s", fn.function_name, error.message)

    def _call(self, fn: LambdaFunction, payload: bytes, headers: dict[str, str]) -> tuple[bytes, str | None]:
        """(payload, function error or None); raises AWSError when the
        function did not run."""
        name = runtime_name(fn)
        base = self.routes.get(name, self.runtime_url)
        url = f"{base}/2015-03-31/functions/{quote(name, safe='')}/invocations"
        forward_headers = {"Content-Type": "application/json"}
        if "x-amz-client-context" in headers:
            forward_headers["X-Amz-Client-Context"] = headers["x-amz-client-context"]
        request = urllib.request.Request(url, data=payload, headers=forward_headers, method="POST")
        started = time.monotonic()
        try:
            with self.opener.open(request, timeout=self.timeout) as answer:
                status, result = answer.status, answer.read()
                function_error = answer.headers.get("X-Amz-Function-Error")
        except urllib.error.HTTPError as answer:
            status, result = answer.code, answer.read()
            function_error = answer.headers.get("X-Amz-Function-Error")
        except TimeoutError:
            LOG.error("lambda %s (%s): no answer from %s within %s s", fn.function_name, name, url, self.timeout)
            message = f"Task timed out after {self.timeout:.2f} seconds (local runtime {base})"
            return json.dumps({"errorType": "Sandbox.Timedout", "errorMessage": message}).encode(), "Unhandled"
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            LOG.error(
                "lambda %s (%s): local Lambda runtime %s unreachable: %s",
                fn.function_name,
                name,
                base,
                reason,
            )
            raise LambdaServiceException(
                f"Local Lambda runtime {base} unreachable for function "
                f"'{fn.function_name}' (runtime name '{name}'): {reason}"
            ) from error
        elapsed_ms = (time.monotonic() - started) * 1000
        if status == 200 and not function_error:
            LOG.info("lambda %s (%s): ok in %.0f ms", fn.function_name, name, elapsed_ms)
            return result, None
        if function_error or (status >= 500 and _is_error_payload(result)):
            LOG.info(
                "lambda %s (%s): function error in %.0f ms: %s",
                fn.function_name,
                name,
                elapsed_ms,
                result[:300].decode(errors="replace"),
            )
            return result, function_error or "Unhandled"
        snippet = result[:300].decode(errors="replace")
        LOG.error("lambda %s (%s): local runtime answered HTTP %s: %s", fn.function_name, name, status, snippet)
        if status == 404:
            raise FunctionNotInRuntime(
                f"Function '{fn.function_name}' not found in the local Lambda runtime "
                f"{base} as '{name}' (set its Handler to the binary name)"
            )
        raise LambdaServiceException(
            f"Local Lambda runtime {base} answered HTTP {status} for "
            f"'{fn.function_name}' (runtime name '{name}'): {snippet}"
        )


def install(runtime_url: str, timeout: float, routes: dict[str, str] | None = None) -> RuntimeForward:
    forward = RuntimeForward(runtime_url, timeout, routes)

    def invoke(self: LambdaFunction, body: Any, request_headers: Any, response_headers: Any) -> bytes:
        return forward.invoke(self, body, request_headers, response_headers)

    # One method replaced: the Docker-based LambdaFunction.invoke.
    replace(LambdaFunction, "invoke", lambda _docker_invoke: invoke)
    return forward

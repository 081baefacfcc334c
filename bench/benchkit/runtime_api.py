"""A minimal Lambda Runtime API, and a function URL in front of it.

`RuntimeApi` implements what a function's runtime calls (AWS's interface
`2018-06-01`): `GET /runtime/invocation/next` hands out queued events,
`POST /runtime/invocation/<id>/response` and `/error` settle them,
`POST /runtime/init/error` reports a failed start. Any Lambda runtime (the
Rust `lambda_runtime` crate, AWS's `awslambdaric` for Python) runs against
it unchanged, as it would in Lambda, with `AWS_LAMBDA_RUNTIME_API` set.

`FunctionUrl` turns an HTTP request into an API Gateway (HTTP API, payload
2.0) event, invokes it through a `RuntimeApi` and answers with the
function's response, as `cargo lambda watch` serves `/lambda-url/<name>/`:
the same front for the Python reference and for the Rust binary, so their
end-to-end figures differ only by the function.
"""

from __future__ import annotations

import base64
import json
import queue
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Self

PREFIX = "/2018-06-01/runtime"
EVENT_TEMPLATE = Path(__file__).resolve().parents[2] / "lambdas/post_lambda/tests/fixtures/apigw_v2_post_orders.json"


class InvocationFailed(Exception):
    """The function reported an error, or did not answer in time."""


@dataclass
class Invocation:
    request_id: str
    payload: bytes
    done: threading.Event = field(default_factory=threading.Event)
    # "response" | "error" | "init_error"
    outcome: str = ""
    body: bytes = b""
    # time.perf_counter() when the runtime answered
    answered_at: float = 0.0


def _read_body(handler: BaseHTTPRequestHandler) -> bytes:
    """The request body, by Content-Length or chunked (hyper may chunk)."""
    if handler.headers.get("Transfer-Encoding", "").lower() == "chunked":
        chunks: list[bytes] = []
        while True:
            size = int(handler.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while handler.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return b"".join(chunks)
            chunks.append(handler.rfile.read(size))
            handler.rfile.readline()
    return handler.rfile.read(int(handler.headers.get("Content-Length") or 0))


class _Handler(BaseHTTPRequestHandler):
    """Keep-alive (as Lambda's own endpoints), quiet, JSON by default."""

    protocol_version = "HTTP/1.1"

    def reply(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in (headers if headers is not None else {"Content-Type": "application/json"}).items():
            if name.lower() != "content-length":
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: Any) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A function process killed between invocations drops its
        # connection: expected here, not worth a traceback.
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)


class _Background:
    """A loopback HTTP server on a free port, served from a thread while
    used as a context manager."""

    def _serve(self, handler: type[BaseHTTPRequestHandler]) -> None:
        self.server = _Server(("127.0.0.1", 0), handler)
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def __enter__(self) -> Self:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.server.shutdown()
        self.server.server_close()


class RuntimeApi(_Background):
    """One function's Runtime API on a free loopback port."""

    def __init__(self, function_arn: str = "arn:aws:lambda:eu-west-1:123456789012:function:bench") -> None:
        self.function_arn = function_arn
        self.pending: queue.Queue[Invocation] = queue.Queue()
        self.in_flight: dict[str, Invocation] = {}
        self.lock = threading.Lock()
        self.init_error: bytes | None = None
        self.closed = threading.Event()
        self._serve(self._handler_class())

    @property
    def address(self) -> str:
        """What AWS_LAMBDA_RUNTIME_API holds: host:port."""
        return f"127.0.0.1:{self.port}"

    def __exit__(self, *_: object) -> None:
        # Long-polling runtimes get None from next_invocation() and stop.
        self.closed.set()
        super().__exit__()

    def next_invocation(self) -> Invocation | None:
        """The next queued event; None once closed. The runtime long-polls
        for it, as in Lambda."""
        while not self.closed.is_set():
            try:
                return self.pending.get(timeout=0.1)
            except queue.Empty:
                continue
        return None

    def submit(self, payload: bytes) -> Invocation:
        invocation = Invocation(str(uuid.uuid4()), payload)
        with self.lock:
            self.in_flight[invocation.request_id] = invocation
        self.pending.put(invocation)
        return invocation

    def invoke(self, payload: bytes, timeout: float = 300) -> Invocation:
        invocation = self.submit(payload)
        if not invocation.done.wait(timeout):
            raise InvocationFailed(f"no answer from the function within {timeout:.0f} s")
        if invocation.outcome != "response":
            raise InvocationFailed(f"function {invocation.outcome}: {invocation.body[:500]!r}")
        return invocation

    def _settle(self, request_id: str | None, outcome: str, body: bytes) -> None:
        answered_at = time.perf_counter()
        with self.lock:
            targets = (
                [self.in_flight.pop(request_id)]
                if request_id in self.in_flight
                else list(self.in_flight.values())
                if request_id is None
                else []
            )
            if request_id is None:
                self.in_flight.clear()
        for invocation in targets:
            invocation.outcome, invocation.body, invocation.answered_at = outcome, body, answered_at
            invocation.done.set()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class Handler(_Handler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                if self.path != f"{PREFIX}/invocation/next":
                    return self.reply(404, b'{"errorMessage": "not found"}')
                invocation = api.next_invocation()
                if invocation is None:
                    return self.reply(410, b'{"errorMessage": "the Runtime API is closed"}')
                deadline_ms = int(time.time() * 1000) + 900_000
                self.reply(
                    200,
                    invocation.payload,
                    {
                        "Content-Type": "application/json",
                        "Lambda-Runtime-Aws-Request-Id": invocation.request_id,
                        "Lambda-Runtime-Deadline-Ms": str(deadline_ms),
                        "Lambda-Runtime-Invoked-Function-Arn": api.function_arn,
                        "Lambda-Runtime-Trace-Id": "Root=1-00000000-000000000000000000000000;Sampled=0",
                    },
                )

            def do_POST(self) -> None:  # noqa: N802
                body = _read_body(self)
                parts = self.path.removeprefix(PREFIX).strip("/").split("/")
                if parts == ["init", "error"]:
                    api.init_error = body
                    api._settle(None, "init_error", body)
                elif len(parts) == 3 and parts[0] == "invocation" and parts[2] in ("response", "error"):
                    api._settle(parts[1], parts[2], body)
                else:
                    return self.reply(404, b'{"errorMessage": "not found"}')
                self.reply(202, b'{"status": "OK"}')

        return Handler


def http_api_event(path: str, headers: dict[str, str], body: bytes) -> bytes:
    """An API Gateway HTTP API (payload 2.0) event for a POST, built on a
    real captured event so every field a runtime library reads is there."""
    event = json.loads(EVENT_TEMPLATE.read_text())
    event["rawPath"] = path
    event["headers"] = {k.lower(): v for k, v in headers.items() if k.lower() not in ("content-length", "host")}
    event["requestContext"]["http"]["path"] = path
    event["requestContext"]["requestId"] = str(uuid.uuid4())
    event["requestContext"]["timeEpoch"] = int(time.time() * 1000)
    try:
        event["body"], event["isBase64Encoded"] = body.decode(), False
    except UnicodeDecodeError:
        event["body"], event["isBase64Encoded"] = base64.b64encode(body).decode(), True
    return json.dumps(event).encode()


class FunctionUrl(_Background):
    """`POST http://127.0.0.1:<port>/<anything>` → the function behind `api`.
    One request at a time, as one Lambda instance serves them."""

    def __init__(self, api: RuntimeApi) -> None:
        self.api = api
        self.lock = threading.Lock()
        self._serve(self._handler_class())

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/orders"

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        front = self

        class Handler(_Handler):
            def do_POST(self) -> None:  # noqa: N802
                event = http_api_event(self.path, dict(self.headers), _read_body(self))
                with front.lock:
                    try:
                        answer = json.loads(front.api.invoke(event).body)
                    except (InvocationFailed, ValueError) as error:
                        return self.reply(502, json.dumps({"errorMessage": str(error)}).encode())
                body = answer.get("body") or ""
                data = base64.b64decode(body) if answer.get("isBase64Encoded") else body.encode()
                self.reply(int(answer.get("statusCode", 200)), data, answer.get("headers") or {})

        return Handler

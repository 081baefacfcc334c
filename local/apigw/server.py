"""The local API's HTTP server: the API (every other path), the token
endpoint (`POST /oauth2/token`) and the published contract
(`GET /openapi.json`), on one loopback port."""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
from botocore.config import Config

from .gateway import MAX_PAYLOAD_BYTES, Answer, Gateway, Request
from .tokens import REGION, OAuthError, issue, signing_key

LOG = logging.getLogger("apigw")


def clients_for(emulator: str) -> Any:
    def client(service: str) -> Any:
        return boto3.client(
            service,
            endpoint_url=emulator,
            region_name=REGION,
            aws_access_key_id="test",
            aws_secret_access_key="test",
            config=Config(retries={"max_attempts": 1}, read_timeout=60, max_pool_connections=32),
        )

    return client


def make_server(port: int, api_id: str, emulator: str, openapi: Path | None) -> ThreadingHTTPServer:
    clients = clients_for(emulator)
    gateway = Gateway(api_id, clients, emulator)
    cognito = clients("cognito-idp")
    key = signing_key()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_: Any) -> None:
            pass  # the access log is the gateway's

        def send(self, answer: Answer) -> None:
            self.send_response(answer.status)
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(answer.body)

        def read_body(self) -> bytes | None:
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_PAYLOAD_BYTES:
                # Read and dropped, so the client gets its 413 and not a reset.
                while length > 0:
                    length -= len(self.rfile.read(min(length, 1 << 16)) or b"x" * length)
                return None
            return self.rfile.read(length) if length else b""

        def handle_any(self) -> None:
            parts = urlsplit(self.path)
            body = self.read_body()
            if parts.path == "/oauth2/token" and self.command == "POST":
                return self.token(body or b"")
            if parts.path == "/openapi.json" and self.command == "GET" and openapi is not None:
                return self.send(Answer(200, {"Content-Type": "application/json"}, openapi.read_bytes()))
            headers = {k.lower(): v for k, v in self.headers.items()}
            request = Request(
                self.command,
                parts.path,
                parts.query,
                headers,
                body or b"",
                self.client_address[0],
                oversized=body is None,
            )
            try:
                answer = gateway.handle(request)
            except Exception:
                LOG.exception("the local API failed on %s %s", self.command, parts.path)
                answer = Answer.message(500, "Internal Server Error")
            self.send(answer)

        def token(self, form: bytes) -> None:
            try:
                result = issue(cognito, self.headers.get("Authorization", ""), form, key)
                self.send(Answer(200, {"Content-Type": "application/json"}, json.dumps(result).encode()))
            except OAuthError as e:
                self.send(Answer(e.status, {"Content-Type": "application/json"}, json.dumps(e.body()).encode()))

        def __getattr__(self, name: str) -> Any:
            # Every method reaches the API (an unknown route or method is its 404).
            if name.startswith("do_"):
                return self.handle_any
            raise AttributeError(name)

    return _Server(("127.0.0.1", port), Handler)


class _Server(ThreadingHTTPServer):
    # A burst of clients must reach the throttle (429), not a full backlog.
    request_queue_size = 128
    daemon_threads = True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--api-id", required=True, help="the applied HTTP API's id")
    parser.add_argument("--emulator", required=True, help="the emulator's endpoint URL")
    parser.add_argument("--openapi", type=Path, default=None, help="the published OpenAPI document")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    server = make_server(args.port, args.api_id, args.emulator, args.openapi)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"local API ready on http://127.0.0.1:{args.port}", flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Every request body is read before moto sees the request.

werkzeug's server, after answering, drains whatever body the handler left
unread, and that read waits for the client to close. moto answers some
requests without reading their body (its own API, errors, GETs); a client
whose body arrived in a later segment than the head, now waiting for the end
of the answer, stalls until one side times out. Reading every body first, in
one place, closes that gap for all of them. moto holds whole bodies in
memory anyway.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from typing import Any

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def read_whole_body(app: WsgiApp) -> WsgiApp:
    def with_body_read(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        stream = environ["wsgi.input"]
        if environ.get("wsgi.input_terminated"):
            # Chunked: werkzeug de-chunks and ends the stream itself.
            body = stream.read()
        else:
            try:
                length = int(environ.get("CONTENT_LENGTH") or 0)
            except ValueError:
                return app(environ, start_response)  # moto answers the bad header
            body = stream.read(length) if length > 0 else b""
        environ["wsgi.input"] = io.BytesIO(body)
        return app(environ, start_response)

    return with_body_read

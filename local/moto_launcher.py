"""Run moto server (the pinned release only) with what this project's local cloud needs.

    .tools/venv/bin/python local/moto_launcher.py --host 127.0.0.1 --port 4566 \
        --lambda-runtime http://127.0.0.1:9000

Prints `moto ready on http://<host>:<port>` once the server answers requests,
and stops cleanly on SIGINT/SIGTERM (it starts no child processes). The
additions to moto live in `local/motolocal/`; local/README.md lists them.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

LOG = logging.getLogger("motolocal")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    env = os.environ.get
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--host",
        default=env("LOCAL_MOTO_HOST", "127.0.0.1"),
        help="address to bind (env LOCAL_MOTO_HOST; default 127.0.0.1)",
    )
    parser.add_argument(
        "--port",
        type=int,
        default=int(env("LOCAL_MOTO_PORT", "4566")),
        help="port to serve on, 0 for any free one (env LOCAL_MOTO_PORT; default 4566)",
    )
    parser.add_argument(
        "--lambda-runtime",
        default=env("LOCAL_LAMBDA_RUNTIME", "http://127.0.0.1:9000"),
        help="base URL of the local Lambda runtime, `cargo lambda watch` "
        "(env LOCAL_LAMBDA_RUNTIME; default http://127.0.0.1:9000)",
    )
    parser.add_argument(
        "--invoke-timeout",
        type=float,
        default=float(env("LOCAL_LAMBDA_TIMEOUT", "900")),
        help="seconds to wait for one invocation; generous because cargo lambda "
        "watch compiles a function on its first call (env LOCAL_LAMBDA_TIMEOUT; default 900)",
    )
    parser.add_argument(
        "--lambda-route",
        action="append",
        default=[],
        metavar="FUNCTION=URL",
        help="serve this runtime name from its own runtime (one `cargo lambda watch` per "
        "function, so each runs with its own role's credentials); repeatable",
    )
    parser.add_argument(
        "--iam-ledger",
        type=Path,
        default=Path(ledger) if (ledger := env("LOCAL_IAM_LEDGER")) else None,
        help="append every IAM-checked request here, one JSON line each (env LOCAL_IAM_LEDGER)",
    )
    parser.add_argument(
        "--verbose",
        action="store_true",
        default=env("LOCAL_MOTO_VERBOSE", "") not in ("", "0"),
        help="log every request (env LOCAL_MOTO_VERBOSE=1)",
    )
    return parser.parse_args(argv)


def wait_until_answering(host: str, port: int, deadline_s: float = 30.0) -> None:
    """Block until the server answers an HTTP request on its own API."""
    probe_host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)
    if ":" in probe_host:
        probe_host = f"[{probe_host}]"
    url = f"http://{probe_host}:{port}/moto-api/"
    give_up = time.monotonic() + deadline_s
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # no proxy
    while True:
        try:
            with opener.open(url, timeout=5) as answer:
                answer.read()
                return
        except OSError:
            if time.monotonic() > give_up:
                raise
            time.sleep(0.05)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("werkzeug").setLevel(logging.INFO if args.verbose else logging.WARNING)

    stop = threading.Event()

    def on_signal(signum: int, _frame: object) -> None:
        LOG.info("received %s, stopping", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)

    started = time.monotonic()
    # Before moto loads: the patches are written for one moto release.
    from motolocal.patching import WrongMotoVersion, check_moto_version

    try:
        LOG.info("moto %s (the pinned release)", check_moto_version())
    except WrongMotoVersion as error:
        LOG.error("%s", error)
        return 2

    # Imported here: moto takes about a second to import, after the signal
    # handlers are in place.
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    import motolocal
    from motolocal.whole_body import read_whole_body

    app = read_whole_body(DomainDispatcherApplication(create_backend_app))
    try:
        server = make_server(args.host, args.port, app, threaded=True, request_handler=MotoRequestHandler)
    except (OSError, SystemExit) as error:  # werkzeug exits on "address in use"
        LOG.error("cannot serve on %s:%s: %s", args.host, args.port, error)
        return 2
    port = server.socket.getsockname()[1]  # the real one when --port 0
    routes = dict(route.split("=", 1) for route in args.lambda_route)
    motolocal.install(port, args.lambda_runtime, args.invoke_timeout, args.iam_ledger, routes)

    serving = threading.Thread(target=server.serve_forever, args=(0.1,), name="moto-server", daemon=True)
    serving.start()
    try:
        wait_until_answering(args.host, port)
    except OSError as error:
        LOG.error("moto server does not answer on %s:%s: %s", args.host, port, error)
        server.shutdown()
        return 2
    LOG.info(
        "started in %.2f s; Lambda invocations go to %s",
        time.monotonic() - started,
        args.lambda_runtime,
    )
    print(f"moto ready on http://{args.host}:{port}", flush=True)

    while not stop.wait(timeout=1.0):
        pass
    server.shutdown()
    server.server_close()
    # Step Functions executions and request handlers run on daemon threads:
    # they end with the process.
    LOG.info("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())

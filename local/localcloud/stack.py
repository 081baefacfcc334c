"""Bringing the local cloud up and down: build, emulator, Terraform, runtime."""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from . import manifest, roles
from .functions import build_and_package
from .processes import Child, CloudError, Supervisor, free_port, port_open, tail

REGION = "eu-west-1"


@dataclass
class CloudSettings:
    repo: Path
    workdir: Path
    moto_port: int = 4566
    lambda_port: int = 9000
    # The orders API as API Gateway serves it, and its token endpoint.
    api_port: int = 8080
    # Extra environment for the functions, e.g. RESULTS_READY_PROBABILITY.
    runtime_env: dict[str, str] = field(default_factory=dict)
    # `cargo lambda watch --release`: optimised functions (`make bench`),
    # at the cost of a release build; debug builds otherwise.
    release_functions: bool = False

    @property
    def venv_bin(self) -> Path:
        return self.repo / ".tools" / "venv" / "bin"

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.moto_port}"


class LocalCloud:
    """The running local cloud. Use as a context manager: it always cleans up."""

    def __init__(self, settings: CloudSettings, progress: Callable[[str], None] = print) -> None:
        self.settings = settings
        self.progress = progress
        self.supervisor = Supervisor(settings.workdir / "logs")
        self.outputs: dict[str, Any] = {}
        # One `cargo lambda watch` per function, each with its own role's
        # credentials; post_lambda keeps `lambda_port` (the orders URL).
        self.runtimes: list[Child] = []
        self.function_ports = {
            f.binary: settings.lambda_port if f.binary == "post_lambda" else free_port() for f in self.functions
        }

    # -- lifecycle -------------------------------------------------------

    def __enter__(self) -> LocalCloud:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

    def start(self) -> None:
        s = self.settings
        if not (s.venv_bin / "python").exists():
            raise CloudError("the local-cloud tools are missing: run `make tools`")
        for port in (s.moto_port, s.lambda_port, s.api_port):
            if port_open(port):
                raise CloudError(
                    f"port {port} is in use (another `make local`?); "
                    "choose ports with MOTO_PORT / LAMBDA_PORT / API_PORT"
                )
        s.workdir.mkdir(parents=True, exist_ok=True)
        self.build_functions()
        self.start_emulator()
        self.apply_terraform()
        self.start_runtime()
        self.start_api()

    def stop(self) -> None:
        self.supervisor.stop_all()
        self.runtimes = []

    @property
    def iam_ledger(self) -> Path:
        """Every request the emulator checked against a role's policies."""
        return self.settings.workdir / "iam-ledger.jsonl"

    # -- steps -----------------------------------------------------------

    def build_functions(self) -> None:
        build_and_package(self.settings.repo, self.zip_dir, self.progress)

    @property
    def zip_dir(self) -> Path:
        return self.settings.workdir / "lambda"

    def start_emulator(self) -> None:
        s = self.settings
        self.progress(f"==> starting the AWS emulator on {s.endpoint}")
        routes = {name: f"http://127.0.0.1:{port}" for name, port in self.function_ports.items()}
        start_launcher(self.supervisor, s.repo, s.moto_port, s.lambda_port, routes=routes, iam_ledger=self.iam_ledger)

    def terraform(self, *args: str, on_line: Callable[[str], None] | None = None) -> str:
        env = dict(os.environ, TF_IN_AUTOMATION="1", TF_INPUT="0", TF_DATA_DIR=str(self.settings.workdir / "tfdata"))
        if env.get("TF_CLI_CONFIG_FILE") and not Path(env["TF_CLI_CONFIG_FILE"]).exists():
            del env["TF_CLI_CONFIG_FILE"]
        command = ["terraform", f"-chdir={self.tf_dir}", *args]
        process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        lines = []
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            if on_line:
                on_line(line.rstrip())
        if process.wait() != 0:
            raise CloudError(f"terraform {args[0]} failed:\n{''.join(lines[-40:])}")
        return "".join(lines)

    @property
    def tf_dir(self) -> Path:
        return self.settings.workdir / "terraform"

    def apply_terraform(self) -> None:
        """Applies the committed `local` configuration into the emulator, in a
        private copy so its state never lands in the repository."""
        s = self.settings
        source = s.repo / "terraform" / "local"
        if not any(source.glob("*.tf.json")):
            raise CloudError("terraform/local is empty: run `make synth`")
        if self.tf_dir.exists():
            shutil.rmtree(self.tf_dir)
        self.tf_dir.mkdir(parents=True)
        for file in source.glob("*.tf.json"):
            shutil.copy(file, self.tf_dir / file.name)
        mirror = plugin_mirror(s.repo)
        self.progress("==> terraform init")
        self.terraform("init", "-no-color", *([f"-plugin-dir={mirror}"] if mirror else []))
        self.progress("==> terraform apply of the local configuration (about a minute)")
        started = time.monotonic()
        done = 0

        def show(line: str) -> None:
            nonlocal done
            if "Creation complete" in line:
                done += 1
                self.progress(f"    [{done:>2}] {line.split(' [id=')[0]}")

        self.terraform(
            "apply",
            "-auto-approve",
            "-no-color",
            f"-var=emulator_endpoint={s.endpoint}",
            f"-var=lambda_zip_dir={self.zip_dir}",
            on_line=show,
        )
        self.progress(f"    applied {done} resources in {time.monotonic() - started:.0f} s")
        raw = json.loads(self.terraform("output", "-json"))
        self.outputs = {name: item["value"] for name, item in raw.items()}

    def runtime_env(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        """What every function gets, credentials apart."""
        s = self.settings
        env = dict(os.environ)
        env.update(
            {
                "PATH": f"{s.venv_bin}{os.pathsep}{env.get('PATH', '')}",
                "AWS_ENDPOINT_URL": s.endpoint,
                "AWS_REGION": REGION,
                "AWS_DEFAULT_REGION": REGION,
                "S3_FORCE_PATH_STYLE": "true",
            }
        )
        env.update(s.runtime_env)
        env.update(extra or {})
        return env

    @functools.cached_property
    def functions(self) -> tuple[manifest.Function, ...]:
        """The functions tfgen's manifest lists (read once)."""
        return manifest.load(self.settings.repo / "terraform" / "manifest.json").functions

    def environment_of(self, function: manifest.Function) -> dict[str, str]:
        """The environment tfgen gave one function, as the emulator holds it
        after the apply (never re-declared here)."""
        name = self.outputs[function.output]
        config = self.client("lambda").get_function_configuration(FunctionName=name)
        variables: dict[str, str] = config.get("Environment", {}).get("Variables", {})
        missing = set(function.environment) - variables.keys()
        if missing:
            raise CloudError(f"{name} lacks {sorted(missing)} in the emulator: is terraform/local current?")
        return variables

    def role_credentials(self, function: manifest.Function) -> dict[str, str]:
        """Credentials of the function's own role, from the emulator's STS
        (as Lambda gets them): the emulator enforces that role's policies."""
        name = self.outputs[function.output]
        role_arn = self.client("lambda").get_function_configuration(FunctionName=name)["Role"]
        return roles.as_environment(roles.assume(self.settings.endpoint, role_arn, name))

    def start_runtime(self, extra_env: dict[str, str] | None = None) -> None:
        s = self.settings
        self.progress(
            "==> starting the Rust functions (one cargo lambda watch each, with its role's credentials: "
            + ", ".join(f"{name} on {port}" for name, port in self.function_ports.items())
            + ")"
        )
        for function in self.functions:
            port = self.function_ports[function.binary]
            runtime = self.supervisor.start(
                f"lambda-{function.binary}",
                # Each watch could serve any binary; the launcher routes only
                # this function's invocations here.
                ["cargo", "lambda", "watch", "-A", "127.0.0.1", "-P", str(port), "--ignore-changes"]
                + (["--release"] if s.release_functions else []),
                env={
                    **self.runtime_env(extra_env),
                    **self.environment_of(function),
                    **self.role_credentials(function),
                },
                cwd=s.repo,
            )
            self.runtimes.append(runtime)
        for runtime, port in zip(self.runtimes, self.function_ports.values(), strict=True):
            self.supervisor.wait_until(runtime, functools.partial(port_open, port), 120, "listening")

    def start_api(self) -> None:
        """The HTTP API as applied to the emulator, with its token endpoint
        (local/apigw): routes, JWT authorizer, scopes, throttling, limits."""
        s = self.settings
        self.progress(f"==> starting the orders API as API Gateway serves it (port {s.api_port})")
        openapi = s.repo / "terraform" / "local" / "openapi.json"
        child = self.supervisor.start(
            "local-api",
            [
                str(s.venv_bin / "python"),
                "-m",
                "apigw.server",
                "--port",
                str(s.api_port),
                "--api-id",
                self.api_id,
                "--emulator",
                s.endpoint,
            ]
            + (["--openapi", str(openapi)] if openapi.exists() else []),
            env=dict(os.environ),
            cwd=s.repo / "local",
        )
        self.supervisor.wait_until(child, lambda: port_open(s.api_port), 30, "listening")

    @property
    def api_id(self) -> str:
        """The applied API, named by the invoke URL Terraform output."""
        found = re.match(r"^https://([a-z0-9]+)\.execute-api\.", self.outputs["orders_url"])
        if not found:
            raise CloudError(f"cannot tell the API id from orders_url {self.outputs['orders_url']}")
        return found[1]

    def restart_runtime(self, extra_env: dict[str, str]) -> None:
        """Restarts the functions with different settings (e.g. a lambda_a
        that is never ready)."""
        for runtime in self.runtimes:
            self.supervisor.stop(runtime)
        self.runtimes = []
        self.start_runtime(extra_env)

    # -- using it ----------------------------------------------------------

    def client(self, service: str) -> Any:
        return boto3.client(
            service,
            endpoint_url=self.settings.endpoint,
            region_name=REGION,
            aws_access_key_id="test",
            aws_secret_access_key="test",
            config=Config(retries={"max_attempts": 2}, s3={"addressing_style": "path"}),
        )

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.settings.api_port}"

    @property
    def orders_url(self) -> str:
        """POST /orders through the local API (a token is needed, as in AWS)."""
        return f"{self.api_url}/orders"

    @property
    def token_url(self) -> str:
        return f"{self.api_url}/oauth2/token"

    @property
    def function_url(self) -> str:
        """post_lambda straight through cargo lambda, for debugging only: no
        authorizer, so post_lambda refuses it (no client_id claim)."""
        return f"http://127.0.0.1:{self.settings.lambda_port}/lambda-url/post_lambda/orders"

    def client_secret(self) -> str:
        """The generated app client's secret, as the emulator holds it."""
        cognito = self.client("cognito-idp")
        client_id = self.outputs["client_id"]
        for pool in cognito.list_user_pools(MaxResults=60)["UserPools"]:
            ids = [c["ClientId"] for c in cognito.list_user_pool_clients(UserPoolId=pool["Id"])["UserPoolClients"]]
            if client_id in ids:
                described = cognito.describe_user_pool_client(UserPoolId=pool["Id"], ClientId=client_id)
                return str(described["UserPoolClient"]["ClientSecret"])
        raise CloudError(f"app client {client_id} is not in the emulator")

    def state(self) -> dict[str, Any]:
        """What `make pipeline` and `make results` need from another shell."""
        return {
            "endpoint": self.settings.endpoint,
            "orders_url": self.orders_url,
            "token_url": self.token_url,
            "outputs": self.outputs,
        }


def start_launcher(
    supervisor: Supervisor,
    repo: Path,
    moto_port: int,
    lambda_port: int,
    routes: dict[str, str] | None = None,
    iam_ledger: Path | None = None,
    extra_env: dict[str, str] | None = None,
) -> Child:
    """The project's moto launcher on loopback; returns once it answers.
    `routes`: runtime URL per function; `iam_ledger`: where the launcher
    records every IAM-checked request."""
    child = supervisor.start(
        "moto",
        [
            str(repo / ".tools" / "venv" / "bin" / "python"),
            str(repo / "local" / "moto_launcher.py"),
            "--host",
            "127.0.0.1",
            "--port",
            str(moto_port),
            "--lambda-runtime",
            f"http://127.0.0.1:{lambda_port}",
            *[f"--lambda-route={name}={url}" for name, url in (routes or {}).items()],
            *([f"--iam-ledger={iam_ledger}"] if iam_ledger else []),
        ],
        env={**os.environ, **(extra_env or {})},
        cwd=repo,
    )
    supervisor.wait_until(child, lambda: "moto ready on" in tail(child.log, 200), 60, "ready")
    return child


def plugin_mirror(repo: Path) -> str:
    """The provider mirror directory `tools/terraform.sh` would use, or ""
    when Terraform installs providers itself (the script prints the
    directory on stdout and where it comes from on stderr)."""
    return subprocess.run(
        [str(repo / "tools" / "terraform.sh"), "mirror"], capture_output=True, text=True, check=True
    ).stdout.strip()


def running_cloud_state(repo: Path) -> dict[str, Any]:
    path = repo / ".local" / "cloud.json"
    if not path.exists():
        raise CloudError("no local cloud is running: start one with `make local` in another terminal")
    return json.loads(path.read_text())


def clients_for(state: dict[str, Any]) -> Callable[[str], Any]:
    def client(service: str) -> Any:
        return boto3.client(
            service,
            endpoint_url=state["endpoint"],
            region_name=REGION,
            aws_access_key_id="test",
            aws_secret_access_key="test",
            config=Config(s3={"addressing_style": "path"}),
        )

    return client


if __name__ == "__main__":  # pragma: no cover - use local/cloud.py
    sys.exit("run local/cloud.py")

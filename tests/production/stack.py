"""The production shape on one machine: nginx (TLS) in front of two scripts/serve.sh instances
on one PostgreSQL schema and one Redis, with the mail worker, each a real process."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import requests

from ..smtp import free_port
from . import nginx
from .certificates import ServerCertificate, make_server_certificate

ROOT = nginx.ROOT
STARTUP_SECONDS = 90


@dataclass
class Process:
    name: str
    popen: subprocess.Popen
    log: Path

    def stop(self) -> None:
        """Stop this process and its children (its own session), politely first."""
        if self.popen.poll() is not None:
            return
        os.killpg(self.popen.pid, signal.SIGTERM)
        try:
            self.popen.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(timeout=10)

    def tail(self, lines: int = 30) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


@dataclass
class Stack:
    folder: Path
    certificate: ServerCertificate
    issuer: str
    https_port: int
    http_port: int
    instances: list[str]
    env: dict[str, str]
    processes: list[Process] = field(default_factory=list)

    # -- operator's commands, with the servers' settings -------------------------------------

    def flask(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "flask", "--app", "wsgi", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, f"flask {' '.join(args)}: {done.stderr[-2000:]}"
        return done.stdout

    def flask_json(self, *args: str) -> dict:
        return json.loads(self.flask(*args, "--json").strip().splitlines()[-1])

    # -- processes --------------------------------------------------------------------------

    def start(self, name: str, argv: list[str], env: dict[str, str] | None = None) -> Process:
        log = self.folder / f"{name}.log"
        with log.open("wb") as out:
            popen = subprocess.Popen(
                argv,
                cwd=ROOT,
                env=env or self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        process = Process(name, popen, log)
        self.processes.append(process)
        return process

    def stop(self) -> None:
        for process in reversed(self.processes):
            process.stop()

    def logs(self) -> str:
        texts = [p.log.read_text(errors="replace") for p in self.processes if p.log.exists()]
        texts += [f.read_text(errors="replace") for f in (self.folder / "nginx").glob("*.log")]
        return "\n".join(texts)

    def wait_until_answering(self, url: str, process: Process) -> None:
        """Poll a starting server (a separate process: no clock of ours to move)."""
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            if process.popen.poll() is not None:
                raise AssertionError(f"{process.name} exited:\n{process.tail()}")
            try:
                if requests.get(url, timeout=5, verify=self.certificate.ca_file).ok:
                    return
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"{process.name} did not answer {url}:\n{process.tail()}")
            time.sleep(0.2)

    def tls_context(self):
        import ssl

        return ssl.create_default_context(cafile=str(self.certificate.ca_file))


def server_settings(
    *, issuer: str, database_url: str, smtp_port: int, redis_url: str, key_prefix: str
) -> dict[str, str]:
    """What /etc/idp/idp.env holds on every server (README, "Running in production")."""
    return {
        "IDP_ISSUER": issuer,
        "IDP_DATABASE_URL": database_url,
        "IDP_SECRET_KEY": uuid.uuid4().hex + uuid.uuid4().hex,
        "IDP_RATELIMIT_STORAGE_URL": redis_url,
        "IDP_RATELIMIT_KEY_PREFIX": key_prefix,
        "IDP_PROXY_FIX": "1",
        "IDP_MAIL_SERVER": "127.0.0.1",
        "IDP_MAIL_PORT": str(smtp_port),
        "IDP_MAIL_SENDER": "Espace Client <no-reply@mutuelle.test>",
        # Only the worker delivers, so the test shows it does.
        "IDP_MAIL_SEND_AFTER_REQUEST": "0",
        "IDP_LOGIN_LIMIT_PER_IP": "5/hour",
        # Cheap hashing on a shared machine; the production parameters have their own bench.
        "IDP_ARGON2_TIME_COST": "1",
        "IDP_ARGON2_MEMORY_COST": "1024",
        "IDP_ARGON2_PARALLELISM": "1",
    }


def start_stack(folder: Path, *, database_url: str, redis_url: str, smtp_port: int) -> Stack:
    """Certificate, migrations, two app servers, the mail worker, then nginx in front."""
    certificate = make_server_certificate(folder)
    https_port, http_port = free_port(), free_port()
    issuer = f"https://localhost:{https_port}"
    instances = [f"127.0.0.1:{free_port()}", f"127.0.0.1:{free_port()}"]
    env = {key: value for key, value in os.environ.items() if not key.startswith("IDP_")}
    env.update(
        server_settings(
            issuer=issuer,
            database_url=database_url,
            smtp_port=smtp_port,
            redis_url=redis_url,
            key_prefix=f"idp-test-{uuid.uuid4().hex}",
        )
    )
    stack = Stack(folder, certificate, issuer, https_port, http_port, instances, env)
    try:
        stack.flask("db", "upgrade")
        servers = []
        for number, address in enumerate(instances, start=1):
            servers.append(
                stack.start(
                    f"app-{number}",
                    ["bash", "scripts/serve.sh"],
                    {**env, "IDP_BIND": address, "IDP_WORKERS": "1"},
                )
            )
        worker = stack.start(
            "mail-worker",
            [
                sys.executable,
                "-m",
                "flask",
                "--app",
                "wsgi",
                "idp",
                "send-mail",
                "--loop",
                "--interval",
                "0.2",
            ],
        )
        for address, server in zip(instances, servers, strict=True):
            stack.wait_until_answering(f"http://{address}/.well-known/openid-configuration", server)
        if worker.popen.poll() is not None:
            raise AssertionError(f"the mail worker exited:\n{worker.tail()}")
        _start_nginx(stack)
    except BaseException:
        stack.stop()
        raise
    return stack


def _start_nginx(stack: Stack) -> None:
    prefix = stack.folder / "nginx"
    config = nginx.write_config(
        prefix,
        https_port=stack.https_port,
        http_port=stack.http_port,
        upstreams=stack.instances,
        certificate=stack.certificate,
    )
    process = stack.start("nginx", nginx.command(prefix, config, "-g", "daemon off;"))
    stack.wait_until_answering(f"{stack.issuer}/.well-known/openid-configuration", process)

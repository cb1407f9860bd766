"""The shipped deploy/ files: Kubernetes manifests load and carry what the provider needs, the
systemd units pass systemd's own check, the example settings start the application, and nginx
accepts the site. (The site also runs, in front of two instances, in test_behind_nginx.py.)"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from idp_extension import create_app
from idp_extension.cli import idp_group
from idp_extension.config import DEFAULTS, load_environment

from . import nginx
from .certificates import make_server_certificate

ROOT = nginx.ROOT
DEPLOY = ROOT / "deploy"
KUBERNETES = DEPLOY / "kubernetes"
SYSTEMD = DEPLOY / "systemd"
# Read by scripts/serve.sh rather than by the application.
SERVE_SETTINGS = {"IDP_BIND", "IDP_WORKERS", "IDP_ACCESS_LOG"}
INSTALLED_AT = "/srv/idp"


def manifests() -> list[dict]:
    documents = []
    for path in sorted(KUBERNETES.glob("*.yaml")):
        documents += [doc for doc in yaml.safe_load_all(path.read_text()) if doc]
    return documents


def one(kind: str, name: str) -> dict:
    found = [d for d in manifests() if d["kind"] == kind and d["metadata"]["name"] == name]
    assert len(found) == 1, f"expected one {kind} {name}, found {len(found)}"
    return found[0]


def pod_spec(workload: dict) -> dict:
    spec = workload["spec"]
    if workload["kind"] == "CronJob":
        spec = spec["jobTemplate"]["spec"]
    return spec["template"]["spec"]


def runs(command: list[str]) -> None:
    """A container's command names a shipped script or an existing `flask` command."""
    if command[0].endswith("/scripts/serve.sh"):
        assert command[0] == f"{INSTALLED_AT}/scripts/serve.sh"
        assert (ROOT / "scripts" / "serve.sh").is_file()
        return
    assert command[:3] == [f"{INSTALLED_AT}/.venv/bin/flask", "--app", "wsgi"], command
    if command[3] == "db":
        assert command[4:] == ["upgrade"]
    else:
        assert command[3] == "idp" and command[4] in idp_group.commands, command


def test_every_workload_of_the_shape_is_there():
    kinds = {(d["kind"], d["metadata"]["name"]) for d in manifests()}
    assert {
        ("ConfigMap", "idp-config"),
        ("Secret", "idp-secrets"),
        ("Deployment", "idp-app"),
        ("Service", "idp-app"),
        ("Deployment", "idp-mail-worker"),
        ("CronJob", "idp-purge"),
    } <= kinds
    assert any(kind == "Job" and name.startswith("idp-migrate") for kind, name in kinds)


def test_every_pod_gets_the_settings_and_runs_a_real_command():
    for workload in manifests():
        if workload["kind"] not in ("Deployment", "Job", "CronJob"):
            continue
        (container,) = pod_spec(workload)["containers"]
        sources = {
            next(iter(source)): next(iter(source.values()))["name"]
            for source in container["envFrom"]
        }
        assert sources == {"configMapRef": "idp-config", "secretRef": "idp-secrets"}
        runs(container["command"])
        assert container["securityContext"]["allowPrivilegeEscalation"] is False
        assert pod_spec(workload)["securityContext"]["runAsNonRoot"] is True


def test_the_service_reaches_the_app_pods():
    app, service = one("Deployment", "idp-app"), one("Service", "idp-app")
    labels = app["spec"]["template"]["metadata"]["labels"]
    assert app["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert service["spec"]["selector"].items() <= labels.items()
    (container,) = pod_spec(app)["containers"]
    ports = {port["name"]: port["containerPort"] for port in container["ports"]}
    assert service["spec"]["ports"][0]["targetPort"] in ports
    assert app["spec"]["replicas"] >= 2
    assert container["readinessProbe"]["httpGet"]["path"] == "/.well-known/openid-configuration"
    settings = one("ConfigMap", "idp-config")["data"]
    assert settings["IDP_BIND"].endswith(f":{ports['http']}")


def test_the_worker_and_the_schedules_run_the_right_commands():
    (worker,) = pod_spec(one("Deployment", "idp-mail-worker"))["containers"]
    assert worker["command"][3:6] == ["idp", "send-mail", "--loop"]
    purge = one("CronJob", "idp-purge")
    assert pod_spec(purge)["containers"][0]["command"][3:5] == ["idp", "purge"]
    assert len(purge["spec"]["schedule"].split()) == 5
    assert purge["spec"]["concurrencyPolicy"] == "Forbid"
    (migrate,) = [d for d in manifests() if d["kind"] == "Job"]
    assert pod_spec(migrate)["containers"][0]["command"][3:] == ["db", "upgrade"]
    assert pod_spec(migrate)["restartPolicy"] == "Never"


def production_settings(values: dict[str, str], tmp_path: Path) -> dict:
    """The example's settings, with a database and a secret this machine has."""
    unknown = set(values) - set(DEFAULTS) - SERVE_SETTINGS
    assert not unknown, f"not settings of the provider: {unknown}"
    for key in (
        "IDP_ISSUER",
        "IDP_SECRET_KEY",
        "IDP_DATABASE_URL",
        "IDP_RATELIMIT_STORAGE_URL",
        "IDP_PROXY_FIX",
        "IDP_MAIL_SERVER",
        "IDP_SMS_GATEWAY_URL",
    ):
        assert values.get(key), f"{key} must be set in production"
    assert values["IDP_ISSUER"].startswith("https://")
    assert values["IDP_DATABASE_URL"].startswith("postgresql+psycopg://")
    assert values["IDP_RATELIMIT_STORAGE_URL"].startswith("redis://")
    settings = load_environment(values)
    settings["IDP_DATABASE_URL"] = f"sqlite:///{tmp_path / 'idp.sqlite3'}"
    return settings


def test_the_kubernetes_settings_start_the_provider(tmp_path):
    values = {
        **one("ConfigMap", "idp-config")["data"],
        **one("Secret", "idp-secrets")["stringData"],
    }
    app = create_app(production_settings(values, tmp_path))
    assert app.config["IDP_PROXY_FIX"] == 1
    assert app.config["SESSION_COOKIE_SECURE"] is True


def sourced(path: Path) -> dict[str, str]:
    """The IDP_* settings a shell gets from ``set -a; . FILE`` (README's instruction)."""
    done = subprocess.run(
        ["bash", "-c", 'set -a; . "$1"; set +a; exec "$2" -c "$3"', "bash", str(path)]
        + [sys.executable, "import json, os; print(json.dumps(dict(os.environ)))"],
        env={"PATH": os.environ["PATH"]},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0 and not done.stderr, done.stderr
    return {k: v for k, v in json.loads(done.stdout).items() if k.startswith("IDP_")}


def test_the_systemd_settings_start_the_provider(tmp_path):
    values = sourced(DEPLOY / "idp.env.example")
    assert values["IDP_MAIL_SENDER"] == "Espace Client <no-reply@example-mutuelle.fr>"
    app = create_app(production_settings(values, tmp_path))
    assert app.config["RATELIMIT_STORAGE_URI"].startswith("redis://")


def unit_lines(path: Path, key: str) -> list[str]:
    return re.findall(rf"^{key}=(.*)$", path.read_text(), flags=re.M)


def test_the_systemd_units_run_real_commands_with_the_settings():
    services = sorted(SYSTEMD.glob("*.service"))
    assert {p.name for p in services} >= {"idp.service", "idp-mail.service", "idp-purge.service"}
    for service in services:
        assert unit_lines(service, "EnvironmentFile") == ["/etc/idp/idp.env"]
        assert unit_lines(service, "WorkingDirectory") == [INSTALLED_AT]
        (start,) = unit_lines(service, "ExecStart")
        runs(start.split())
    for timer in SYSTEMD.glob("*.timer"):
        assert (SYSTEMD / f"{timer.stem}.service").is_file()
        assert unit_lines(timer, "OnCalendar")
    (mail,) = unit_lines(SYSTEMD / "idp-mail.service", "ExecStart")
    assert "send-mail --loop" in mail
    (purge,) = unit_lines(SYSTEMD / "idp-purge.service", "ExecStart")
    assert " idp purge" in purge


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze is not installed")
def test_systemd_accepts_the_units(tmp_path):
    """systemd's own parser, on the units as installed in a checkout at this repository."""
    env_file = tmp_path / "idp.env"
    env_file.write_text((DEPLOY / "idp.env.example").read_text())
    units = []
    for unit in sorted(SYSTEMD.glob("*.service")) + sorted(SYSTEMD.glob("*.timer")):
        text = unit.read_text().replace(INSTALLED_AT, str(ROOT))
        text = text.replace("/etc/idp/idp.env", str(env_file))
        copy = tmp_path / unit.name
        copy.write_text(text)
        units.append(str(copy))
    if not (ROOT / ".venv" / "bin" / "flask").is_file():
        pytest.skip("the checkout has no .venv/bin/flask for the units to point at")
    checked = subprocess.run(
        ["systemd-analyze", "verify", *units], capture_output=True, text=True, timeout=60
    )
    assert checked.returncode == 0 and not checked.stderr.strip(), checked.stderr


@pytest.mark.skipif(not nginx.NGINX.is_file(), reason="nginx is not installed (scripts/setup.sh)")
def test_nginx_accepts_the_site(tmp_path):
    nginx.write_config(
        tmp_path / "nginx",
        https_port=8443,
        http_port=8080,
        upstreams=["127.0.0.1:8000", "127.0.0.1:8001"],
        certificate=make_server_certificate(tmp_path),
    )

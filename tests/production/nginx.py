"""The shipped nginx site (deploy/nginx/) run by a test: same file, local ports and paths.

Only what names this machine is replaced (listen addresses, server name, certificate, upstream
servers, log folder, the snippet's path); each replacement must match exactly as often as the
shipped file has it, so a change to the site that this test would no longer run fails here.
A header naming the upstream that answered is added beside the snippet, for the test only.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from .certificates import ServerCertificate

ROOT = Path(__file__).resolve().parents[2]
SITE = ROOT / "deploy" / "nginx" / "idp.conf"
SNIPPET = ROOT / "deploy" / "nginx" / "idp-proxy.conf"
NGINX = Path("/usr/sbin/nginx")
UPSTREAM_HEADER = "X-Upstream"


def _replace(text: str, pattern: str, replacement: str, count: int) -> str:
    new, made = re.subn(pattern, lambda _: replacement, text)
    assert made == count, f"deploy/nginx/idp.conf: expected {count} x {pattern!r}, found {made}"
    return new


def local_site(
    *,
    https_port: int,
    http_port: int,
    upstreams: list[str],
    certificate: ServerCertificate,
    log_folder: Path,
    server_name: str = "localhost",
) -> str:
    text = SITE.read_text(encoding="utf-8")
    text = _replace(text, r"listen 80;", f"listen 127.0.0.1:{http_port};", 1)
    text = _replace(text, r"\n *listen \[::\]:80;", "", 1)
    text = _replace(text, r"listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;", 1)
    text = _replace(text, r"\n *listen \[::\]:443 ssl http2;", "", 1)
    text = _replace(
        text, r"server_name login\.example-mutuelle\.fr;", f"server_name {server_name};", 2
    )
    text = _replace(
        text,
        r"ssl_certificate /etc/ssl/idp/fullchain\.pem;",
        f"ssl_certificate {certificate.cert_file};",
        1,
    )
    text = _replace(
        text,
        r"ssl_certificate_key /etc/ssl/idp/privkey\.pem;",
        f"ssl_certificate_key {certificate.key_file};",
        1,
    )
    servers = "".join(
        f"    server {address} max_fails=3 fail_timeout=10s;\n" for address in upstreams
    )
    text = _replace(text, r"(?:    server 10\.0\.0\.\d+:8000 [^;\n]*;\n)+", servers, 1)
    text = _replace(text, r"/var/log/nginx/", f"{log_folder}/", 2)
    text = _replace(
        text,
        r"include /etc/nginx/snippets/idp-proxy\.conf;",
        f"include {SNIPPET};\n        add_header {UPSTREAM_HEADER} $upstream_addr always;",
        1,
    )
    return text


def main_config(prefix: Path, site: Path) -> str:
    """nginx.conf for a private nginx under ``prefix`` (never the system's service)."""
    temp = {name: prefix / name for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi")}
    for folder in temp.values():
        folder.mkdir(parents=True, exist_ok=True)
    # As root nginx would run its workers as "nobody", who cannot enter pytest's private tmp.
    user = "user root;\n" if os.geteuid() == 0 else ""
    return f"""{user}worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 256; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    client_body_temp_path {temp["body"]};
    proxy_temp_path {temp["proxy"]};
    fastcgi_temp_path {temp["fastcgi"]};
    uwsgi_temp_path {temp["uwsgi"]};
    scgi_temp_path {temp["scgi"]};
    include {site};
}}
"""


def command(prefix: Path, config: Path, *extra: str) -> list[str]:
    return [str(NGINX), "-p", f"{prefix}/", "-e", f"{prefix}/error.log", "-c", str(config), *extra]


def write_config(prefix: Path, **site) -> Path:
    """The shipped site made local (``local_site`` arguments) under ``prefix``, checked with
    ``nginx -t``; returns the main configuration file to start nginx with."""
    prefix.mkdir(parents=True, exist_ok=True)
    site_file = prefix / "idp.conf"
    site_file.write_text(local_site(log_folder=prefix, **site))
    config = prefix / "nginx.conf"
    config.write_text(main_config(prefix, site_file))
    checked = subprocess.run(
        command(prefix, config, "-t"), capture_output=True, text=True, timeout=30
    )
    assert checked.returncode == 0, f"nginx -t refused the shipped site:\n{checked.stderr}"
    return config

"""The built wheel works outside the checkout: templates and migrations ship inside it.

Builds the wheel, installs it (without its dependencies, which come from this virtualenv's
site-packages through a ``.pth`` file, so no network is needed) into a fresh virtualenv in a
temporary folder, then, from that folder: ``flask idp upgrade-db`` and the sign-up page served
by a real HTTP server. Marked ``wheel`` (``-m "not wheel"`` skips it); CI runs it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import time
import venv
from pathlib import Path

import pytest
import requests

from .smtp import free_port

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.wheel


def run(*args, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(args, check=True, capture_output=True, text=True, timeout=300, **kwargs)


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """A fresh virtualenv outside the checkout holding only the built wheel."""
    base = tmp_path_factory.mktemp("wheel")
    dist = base / "dist"
    run(
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "--no-deps",
        "--no-build-isolation",
        "--quiet",
        "--wheel-dir",
        str(dist),
        str(ROOT),
    )
    [wheel] = dist.glob("idp_extension-*.whl")
    env_dir = base / "venv"
    venv.create(env_dir, with_pip=False)
    python = env_dir / "bin" / "python"
    site = Path(
        run(
            str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"
        ).stdout.strip()
    )
    # The dependencies, from this virtualenv (its idp_extension is an editable install whose
    # hook lives in a .pth file: a directory added by a .pth line has its own .pth files
    # ignored, so that hook stays out).
    (site / "deps.pth").write_text(sysconfig.get_path("purelib") + "\n")
    run(
        sys.executable,
        "-m",
        "pip",
        "--python",
        str(python),
        "install",
        "--no-deps",
        "--no-index",
        "--no-compile",
        "--quiet",
        str(wheel),
    )
    return base, python


def test_wheel_upgrades_the_database_and_serves_the_sign_up_page(installed):
    base, python = installed
    workdir = base / "elsewhere"
    workdir.mkdir()
    env = {
        **{key: value for key, value in os.environ.items() if not key.startswith("IDP_")},
        "PYTHONPATH": "",
        "IDP_DATABASE_URL": f"sqlite:///{workdir / 'idp.sqlite3'}",
        "IDP_SECRET_KEY": "w" * 40,
        "IDP_RATELIMIT_STORAGE_URL": "memory://",
        "FLASK_APP": "idp_extension:create_app",
    }
    where = run(
        str(python),
        "-c",
        "import idp_extension, idp_extension.resources as r;"
        "print(idp_extension.__file__); print(r.resource_folder('templates'));"
        "print(r.resource_folder('migrations'))",
        cwd=workdir,
        env=env,
    ).stdout.split()
    package = Path(where[0]).parent
    assert str(ROOT) not in where[0], "the checkout was imported, not the wheel"
    assert Path(where[1]) == package / "templates" and Path(where[2]) == package / "migrations"
    assert (package / "templates" / "enrollment").is_dir()
    assert (package / "migrations" / "versions").is_dir()

    upgraded = run(str(python), "-m", "flask", "idp", "upgrade-db", cwd=workdir, env=env)
    assert "provider database at head" in upgraded.stdout

    port = free_port()
    server = subprocess.Popen(
        [str(python), "-m", "flask", "run", "--port", str(port)],
        cwd=workdir,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        page = None
        for _ in range(100):
            try:
                page = requests.get(f"http://127.0.0.1:{port}/inscription", timeout=5)
                break
            except requests.ConnectionError:
                time.sleep(0.2)  # the server is starting; not a wait for an expiry
        assert page is not None, "the installed server did not start"
        assert page.status_code == 200
        assert 'name="member_number"' in page.text
        assert "/assets/" in page.text  # its stylesheet, served by the package itself
    finally:
        server.terminate()
        server.wait(10)

"""Real parts for the distributed tests, started once per session: a PostgreSQL server and a local Ray.

A part that cannot start skips its tests, and says why (the reason is also issued as a warning, so it
shows in the summary of a plain ``pytest -q`` run). Nothing here is mocked.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import warnings
from pathlib import Path

import pytest


def _skip(reason: str):
    warnings.warn(reason, stacklevel=2)
    pytest.skip(reason)


def _postgres_bin() -> Path | None:
    found = shutil.which("initdb")
    candidates = ([Path(found).parent] if found else []) + [Path(p) for p in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)]
    return next((c for c in candidates if (c / "initdb").is_file() and (c / "pg_ctl").is_file()), None)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def postgres_url():
    """``postgresql://postgres@127.0.0.1:PORT/sizeup`` on a throw-away data directory.

    PostgreSQL refuses to run as root (CI runs as root), so there the server runs as the ``postgres`` user
    that Debian's package creates.
    """
    bindir = _postgres_bin()
    if bindir is None:
        _skip("PostgreSQL is not installed (Debian: apt-get install postgresql); its tests are skipped")
    try:
        import psycopg2
    except ImportError:
        _skip("psycopg2 is not installed (pip install 'sizeup[distributed]'); the PostgreSQL tests are skipped")
    as_user: list[str] = []
    root = Path(tempfile.mkdtemp(prefix="sizeup-pg-"))
    if os.geteuid() == 0:
        if shutil.which("runuser") is None or subprocess.run(["id", "postgres"], capture_output=True).returncode:
            _skip("running as root without a 'postgres' user to run PostgreSQL as; its tests are skipped")
        shutil.chown(root, "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    data, port = root / "data", _free_port()
    try:
        subprocess.run([*as_user, bindir / "initdb", "-D", data, "-U", "postgres", "--auth=trust", "-N", "-E", "UTF8"],
                       check=True, capture_output=True, timeout=120)
        subprocess.run([*as_user, bindir / "pg_ctl", "-D", data, "-l", root / "log", "-w", "-t", "60", "-o",
                        f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off", "start"],
                       check=True, capture_output=True, timeout=120)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        shutil.rmtree(root, ignore_errors=True)
        _skip(f"PostgreSQL did not start ({exc}); its tests are skipped")
    conn = psycopg2.connect(host="127.0.0.1", port=port, user="postgres", dbname="postgres")
    conn.autocommit = True
    conn.cursor().execute("CREATE DATABASE sizeup")
    conn.close()
    yield f"postgresql://postgres@127.0.0.1:{port}/sizeup"
    subprocess.run([*as_user, bindir / "pg_ctl", "-D", data, "-m", "immediate", "stop"], capture_output=True, timeout=60)
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def ray_local():
    """A local Ray with 2 CPUs; sizeup joins it instead of starting its own."""
    try:
        import ray
    except ImportError:
        _skip("ray is not installed (pip install 'sizeup[distributed]'); the Ray tests are skipped")
    try:
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, object_store_memory=100 * 2**20)
    except Exception as exc:  # noqa: BLE001 - whatever stops Ray from starting here, the tests cannot run
        _skip(f"a local Ray did not start ({type(exc).__name__}: {exc}); the Ray tests are skipped")
    yield ray
    ray.shutdown()

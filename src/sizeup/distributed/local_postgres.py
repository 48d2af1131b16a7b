"""A throw-away PostgreSQL server on this machine, for trying ``--storage postgresql://`` out, for the tests and
for the benchmarks: a temporary data directory, a free port on 127.0.0.1, trust authentication, no fsync.

    with local_postgres() as url:          # postgresql://postgres@127.0.0.1:PORT/sizeup
        sizeup.search("examples/digits.toml", storage=url, trials=10)

It uses the server binaries of the Debian/Ubuntu package (``apt-get install postgresql``) or any ``initdb`` on
the PATH. PostgreSQL refuses to run as root, so as root the server runs as the package's ``postgres`` user.
Not for data you want to keep: the directory is deleted when the block ends.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

from sizeup.errors import SizeupError

__all__ = ["local_postgres", "postgres_bindir"]


def postgres_bindir() -> Path | None:
    """The folder holding ``initdb`` and ``pg_ctl``, or None when PostgreSQL is not installed."""
    found = shutil.which("initdb")
    candidates = [Path(found).parent] if found else []
    candidates += [Path(p) for p in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)]
    return next((c for c in candidates if (c / "initdb").is_file() and (c / "pg_ctl").is_file()), None)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run_as() -> list[str]:
    if os.geteuid() != 0:
        return []
    if shutil.which("runuser") is None or subprocess.run(["id", "postgres"], capture_output=True).returncode:
        raise SizeupError("PostgreSQL refuses to run as root, and there is no 'postgres' user to run it as "
                          "(the Debian package creates one: apt-get install postgresql)")
    return ["runuser", "-u", "postgres", "--"]


@contextlib.contextmanager
def local_postgres(database: str = "sizeup") -> Iterator[str]:
    """Start a server, create ``database``, yield its URL; stop the server and delete its files afterwards."""
    bindir = postgres_bindir()
    if bindir is None:
        raise SizeupError("PostgreSQL is not installed (Debian: apt-get install postgresql)")
    psycopg2 = __import__("psycopg2")
    as_user = _run_as()
    root = Path(tempfile.mkdtemp(prefix="sizeup-pg-"))
    if as_user:
        shutil.chown(root, "postgres")
    data, port = root / "data", _free_port()
    ctl = [*as_user, str(bindir / "pg_ctl"), "-D", str(data)]
    try:
        subprocess.run([*as_user, str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-N",
                        "-E", "UTF8"], check=True, capture_output=True, timeout=180)
        subprocess.run([*ctl, "-l", str(root / "log"), "-w", "-t", "90", "-o",
                        f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off", "start"],
                       check=True, capture_output=True, timeout=180)
        conn = psycopg2.connect(host="127.0.0.1", port=port, user="postgres", dbname="postgres")
        conn.autocommit = True
        conn.cursor().execute(f'CREATE DATABASE "{database}"')
        conn.close()
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, psycopg2.Error) as exc:
        subprocess.run([*ctl, "-m", "immediate", "stop"], capture_output=True, timeout=60)
        shutil.rmtree(root, ignore_errors=True)
        detail = getattr(exc, "stderr", b"") or b""
        raise SizeupError(f"PostgreSQL did not start: {exc} {detail.decode(errors='replace')[-300:]}".strip()) from None
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/{database}"
    finally:
        subprocess.run([*ctl, "-m", "immediate", "stop"], capture_output=True, timeout=60)
        shutil.rmtree(root, ignore_errors=True)

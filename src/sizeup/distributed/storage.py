"""Where a study lives: a storage URL checked once, opened as an Optuna storage, with a lock for claiming trials.

    sqlite:///PATH              one machine (the default: runs/<name>/study.db)
    postgresql://USER@HOST/DB   any number of machines (also postgresql+psycopg2://)
    mysql://USER@HOST/DB        any number of machines (mysql+pymysql:// with PyMySQL)
    journal:PATH                Optuna's JournalFileBackend: machines that share a file system (NFS)

Optuna's RDBStorage documentation "would never recommend SQLite3 for parallel optimization", and SQLite's
FAQ warns that its locks are broken on many NFS implementations; a SQLite file on a network file system is
therefore refused, with the two storages that work there named in the message.
"""

from __future__ import annotations

import contextlib
import os
import threading
import zlib
from collections.abc import Iterator
from importlib.util import find_spec
from dataclasses import dataclass
from pathlib import Path

import optuna

from sizeup._imports import optional_import
from sizeup.errors import SizeupError

__all__ = ["StorageURL", "parse_storage", "open_storage", "claim_lock", "describe_url"]

FORMS = "sqlite:///PATH, postgresql://USER@HOST/DB, mysql://USER@HOST/DB or journal:PATH"
NETWORK_FS = {"nfs", "nfs4", "cifs", "smb3", "smbfs", "afs", "9p", "fuse.sshfs", "lustre", "glusterfs", "ceph"}
# SQLAlchemy dialect+driver -> (module to import, how to install it)
DRIVERS = {
    "postgresql": ("psycopg", "pip install 'sizeup[distributed]'"),  # SQLAlchemy 2.1's default driver: psycopg 3
    "postgresql+psycopg": ("psycopg", "pip install 'psycopg[binary]'"),
    "postgresql+psycopg2": ("psycopg2", "pip install 'sizeup[distributed]'"),
    "mysql": ("MySQLdb", "pip install mysqlclient, or use mysql+pymysql:// with pip install PyMySQL"),
    "mysql+mysqldb": ("MySQLdb", "pip install mysqlclient"),
    "mysql+pymysql": ("pymysql", "pip install PyMySQL"),
}


@dataclass(frozen=True)
class StorageURL:
    """A checked storage URL: ``kind`` is sqlite, postgresql, mysql or journal; ``path`` is the file, if any."""

    url: str
    kind: str
    path: Path | None = None

    @property
    def shared_across_machines(self) -> bool:
        return self.kind != "sqlite"


def describe_url(url: str) -> str:
    """The URL as messages show it: any password replaced by ***."""
    if "://" not in url or url.startswith("sqlite"):
        return url
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - an unparsable URL is reported by the caller; never echo a secret
        return url.split("://", 1)[0] + "://…"


def parse_storage(url: str, *, option: str = "--storage") -> StorageURL:
    """Check a storage URL's form and, for files, that their folder exists; raise one line naming the fix."""
    url = url.strip()
    if url.startswith("journal:"):
        return StorageURL(url, "journal", _existing_parent(url[len("journal:"):], url, option))
    if url.startswith("sqlite:"):
        if not url.startswith("sqlite:///") or len(url) == len("sqlite:///"):
            raise SizeupError(f"{option} {url!r}: an in-memory SQLite study can be neither shared nor resumed; "
                              "name a file: sqlite:///runs/NAME/study.db")
        path = _existing_parent(url[len("sqlite:///"):], url, option)
        _refuse_network_fs(path, url, option)
        return StorageURL(url, "sqlite", path)
    scheme = url.split("://", 1)[0] if "://" in url else ""
    if scheme == "postgres":
        raise SizeupError(f"{option} {describe_url(url)!r}: SQLAlchemy names PostgreSQL 'postgresql://', not 'postgres://'")
    if scheme == "postgresql" and find_spec("psycopg") is None and find_spec("psycopg2") is not None:
        url, scheme = "postgresql+psycopg2://" + url.split("://", 1)[1], "postgresql+psycopg2"  # the extra's driver
    if scheme in DRIVERS:
        module, fix = DRIVERS[scheme]
        optional_import(module, extra=None, feature=f"{option} {scheme}://", hint=fix)
        return StorageURL(url, scheme.split("+")[0])
    raise SizeupError(f"{option} {describe_url(url)!r} is not a storage sizeup knows; give {FORMS}")


def _existing_parent(raw: str, url: str, option: str) -> Path:
    if not raw:
        raise SizeupError(f"{option} {url!r} names no file; give a path after the colon, e.g. journal:/shared/study.log")
    path = Path(raw).expanduser().resolve()
    if not path.parent.is_dir():
        raise SizeupError(f"{option} {url!r}: the folder {path.parent} does not exist; create it first")
    return path


def filesystem_type(path: Path, mounts: str | None = None) -> str | None:
    """The type of the file system holding ``path`` (the longest mount point above it in /proc/mounts)."""
    if mounts is None:
        try:
            mounts = Path("/proc/mounts").read_text()
        except OSError:
            return None
    best, kind = "", None
    target = str(path)
    for line in mounts.splitlines():
        fields = line.split()
        if len(fields) < 3:
            continue
        point = fields[1].replace("\\040", " ")
        inside = target == point or target.startswith(point.rstrip("/") + "/")
        if inside and len(point) >= len(best):
            best, kind = point, fields[2]
    return kind


def _refuse_network_fs(path: Path, url: str, option: str) -> None:
    kind = filesystem_type(path.parent)
    if kind in NETWORK_FS:
        raise SizeupError(f"{option} {url!r} is on a network file system ({kind}), where SQLite's locks are "
                          "unreliable; use journal:PATH there, or postgresql://")


def open_storage(spec: StorageURL) -> optuna.storages.BaseStorage:
    """The Optuna storage for ``spec``; a server that cannot be reached ends in one line, not a traceback."""
    if spec.kind == "journal":
        from optuna.storages import JournalStorage
        from optuna.storages.journal import JournalFileBackend

        return JournalStorage(JournalFileBackend(str(spec.path)))
    if spec.kind == "sqlite":
        # A generous busy timeout lets parallel workers share one SQLite file without "database is locked".
        engine = {"connect_args": {"timeout": 120}}
    else:
        engine = {"pool_pre_ping": True}  # trials outlast idle-connection timeouts of servers and proxies
    try:
        return optuna.storages.RDBStorage(spec.url, engine_kwargs=engine)
    except Exception as exc:  # noqa: BLE001 - SQLAlchemy raises one of many driver errors; all mean "cannot open"
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise SizeupError(f"--storage {describe_url(spec.url)!r}: cannot open the study storage ({first[:200]}); "
                          "is the server running, and does the database exist?") from None


_LOCAL = threading.Lock()  # in-memory studies: threads of this process are the only claimants


@contextlib.contextmanager
def claim_lock(storage: optuna.storages.BaseStorage, study_name: str) -> Iterator[None]:
    """Serialise claiming and re-queueing of one study's trials across every worker that shares it.

    Optuna's own pop of a WAITING trial is a read, then an update. PostgreSQL and MySQL lock the row
    (``SELECT ... FOR UPDATE``), and the journal rejects a second claim when it replays the log, but SQLite
    ignores ``FOR UPDATE``: two processes can both "claim" one trial (Optuna issue #4002; sizeup's test
    reproduces it). So claims take a lock the storage offers: ``flock`` beside a SQLite file, a lock file
    beside a journal (Optuna's own NFS-safe ``JournalFileOpenLock``), an advisory lock on a database server.
    """
    backend = getattr(storage, "_backend", storage)  # Optuna wraps RDBStorage in a _CachedStorage
    key = zlib.crc32(f"sizeup-claim:{study_name}".encode())
    if isinstance(backend, optuna.storages.RDBStorage):
        dialect = backend.engine.dialect.name
        if dialect == "sqlite":
            with _flock(Path(backend.engine.url.database).with_suffix(".claim.lock")):
                yield
            return
        with _server_lock(backend.engine, dialect, key):
            yield
        return
    journal = getattr(backend, "_backend", None)
    if journal is not None and hasattr(journal, "_file_path"):
        from optuna.storages.journal import JournalFileOpenLock

        lock = JournalFileOpenLock(journal._file_path + f".{key}.claim")
        lock.acquire()
        try:
            yield
        finally:
            lock.release()
        return
    with _LOCAL:
        yield


@contextlib.contextmanager
def _flock(path: Path) -> Iterator[None]:
    import fcntl

    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


@contextlib.contextmanager
def _server_lock(engine, dialect: str, key: int) -> Iterator[None]:
    from sqlalchemy import text

    take, give = {"postgresql": ("SELECT pg_advisory_lock(:k)", "SELECT pg_advisory_unlock(:k)"),
                  "mysql": ("SELECT GET_LOCK(CONCAT('sizeup-', :k), 600)", "SELECT RELEASE_LOCK(CONCAT('sizeup-', :k))")}.get(
        dialect, (None, None))
    if take is None:
        with _LOCAL:
            yield
        return
    with engine.connect() as conn:
        conn.execute(text(take), {"k": key})
        try:
            yield
        finally:
            conn.execute(text(give), {"k": key})
            conn.commit()

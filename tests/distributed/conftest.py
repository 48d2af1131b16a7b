"""Real parts for the distributed tests, started once per session: a PostgreSQL server and a local Ray.

A part that cannot start skips its tests, and says why (the reason is also issued as a warning, so it
shows in the summary of a plain ``pytest -q`` run). Nothing here is mocked.
"""

from __future__ import annotations

import warnings

import pytest


def _skip(reason: str):
    warnings.warn(reason, stacklevel=2)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def postgres_url():
    """``postgresql://postgres@127.0.0.1:PORT/sizeup`` on a throw-away data directory (as the ``postgres`` user
    when the tests run as root, as CI does: PostgreSQL refuses to run as root)."""
    from sizeup.distributed.local_postgres import local_postgres
    from sizeup.errors import SizeupError

    try:
        import psycopg2  # noqa: F401
    except ImportError:
        _skip("psycopg2 is not installed (pip install 'sizeup[distributed]'); the PostgreSQL tests are skipped")
    server = local_postgres()
    try:
        url = server.__enter__()
    except SizeupError as exc:
        _skip(f"{exc}; the PostgreSQL tests are skipped")
    yield url
    server.__exit__(None, None, None)


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

"""Run an exported Flower app for real on this machine: one SuperLink and one SuperNode per client, each its own
process holding only its own rows, insecure mode on free loopback ports, no network beyond 127.0.0.1.

Flower's runtime installation of app dependencies stays off (``--disable-runtime-dependency-installation`` on
the SuperLink; the SuperNodes install nothing unless asked), telemetry and the update check too, so the run
needs nothing but this environment. Used to check a deployment against the simulation before rolling it out.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sizeup._io import read_json
from sizeup.errors import MissingExtraError, SizeupError

__all__ = ["run_locally", "flower_command", "FlowerUnavailable"]

CONNECTION = "sizeup-local"


class FlowerUnavailable(RuntimeError):
    """Flower's SuperLink could not be started here (not installed, or it exits or never listens)."""


def flower_command(name: str) -> str:
    """The path of a Flower executable (``flower-superlink``, ``flower-supernode``, ``flwr``) in this environment."""
    here = Path(sys.executable).parent / name
    found = str(here) if here.exists() else shutil.which(name)
    if not found:
        raise MissingExtraError(f"Flower's {name!r} command is not installed here; install it with: "
                                "pip install 'sizeup[federated]'")
    return found


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_port(port: int, proc: subprocess.Popen, deadline: float) -> None:
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise FlowerUnavailable(f"the SuperLink exited with code {proc.returncode} before listening on port {port}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise FlowerUnavailable(f"the SuperLink did not listen on port {port} in time")


def _environment(home: Path, port: int) -> dict[str, str]:
    (home / "config.toml").write_text(f'[superlink]\ndefault = "{CONNECTION}"\n\n[superlink.{CONNECTION}]\n'
                                      f'address = "127.0.0.1:{port}"\ninsecure = true\n', encoding="utf-8")
    bin_dir = str(Path(flower_command("flower-superlink")).parent)  # the SuperLink and SuperNodes start Flower helpers by name
    return {**os.environ, "PATH": bin_dir + os.pathsep + os.environ.get("PATH", ""), "FLWR_HOME": str(home),
            "FLWR_TELEMETRY_ENABLED": "0", "FLWR_DISABLE_UPDATE_CHECK": "1",
            "FLWR_DISABLE_RUNTIME_DEPENDENCY_INSTALLATION": "1"}


def _start(cmd: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    # Each in its own session, so stopping it also stops the ServerApp/ClientApp processes it started.
    return subprocess.Popen(cmd, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True)


def _stop(procs: list[subprocess.Popen]) -> None:
    for proc in procs:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def run_locally(app: str | Path, partitions: str | Path, *, out_dir: str | Path, clients: int,
                rounds: int | None = None, timeout: float = 600.0, logs: str | Path | None = None) -> dict[str, Any]:
    """Start a SuperLink and ``clients`` SuperNodes (node ``i`` reads ``partitions/client-<i>.npz``), run the app
    with ``flwr run``, stop everything, and return the server's ``summary.json``.

    The processes' logs go to ``logs`` (default: a temporary folder, removed after a successful run and named
    in the error otherwise). Raises :class:`FlowerUnavailable` when the SuperLink cannot start here.
    """
    app, partitions, out_dir = Path(app).resolve(), Path(partitions).resolve(), Path(out_dir).resolve()
    missing = [p for p in [partitions / f"client-{i}.npz" for i in range(clients)] if not p.is_file()]
    if missing:
        raise SizeupError(f"{missing[0]} not found; write the node data with sizeup federated export --partitions")
    work = Path(logs) if logs else Path(tempfile.mkdtemp(prefix="sizeup-flower-"))
    summary = _run(app, partitions, out_dir, clients, rounds, timeout, work)
    if logs is None:
        shutil.rmtree(work, ignore_errors=True)
    return summary


def _run(app: Path, partitions: Path, out_dir: Path, clients: int, rounds: int | None, timeout: float,
         work: Path) -> dict[str, Any]:
    (work / "home").mkdir(parents=True, exist_ok=True)
    (out_dir / "summary.json").unlink(missing_ok=True)  # a previous run's summary must not pass for this one's
    port = _free_port()
    env = _environment(work / "home", port)
    deadline = time.monotonic() + timeout
    procs = [_start([flower_command("flower-superlink"), "--insecure", "--host", "127.0.0.1", "--port", str(port),
                     "--disable-runtime-dependency-installation"], env, work / "superlink.log")]
    try:
        _wait_for_port(port, procs[0], deadline)
        for i in range(clients):
            procs.append(_start([flower_command("flower-supernode"), "--insecure", "--superlink", f"127.0.0.1:{port}",
                                 "--port", str(_free_port()), "--node-config",
                                 f'partition-id={i} data="{partitions / f"client-{i}.npz"}"'], env, work / f"supernode-{i}.log"))
        overrides = [f'out-dir="{out_dir}"', f'eval-data="{partitions / "val.npz"}"',
                     f'test-data="{partitions / "test.npz"}"', f"timeout={timeout}"]
        if rounds is not None:
            overrides.append(f"rounds={rounds}")
        run = subprocess.run([flower_command("flwr"), "run", str(app), CONNECTION, "--stream",
                              "--run-config", " ".join(overrides)], env=env, capture_output=True, text=True,
                             timeout=max(deadline - time.monotonic(), 1))
        (work / "flwr-run.log").write_text(run.stdout + run.stderr, encoding="utf-8")
    finally:
        _stop(procs)
    if not (out_dir / "summary.json").is_file():
        raise RuntimeError(f"the Flower run wrote no summary (flwr run exited {run.returncode}); logs in {work}")
    return read_json(out_dir / "summary.json")

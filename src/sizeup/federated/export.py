"""``sizeup federated export``: the chosen model and its federated settings as a Flower app (ServerApp + ClientApp).

The app is a folder Flower's ``flwr run`` accepts: ``pyproject.toml`` (Flower pinned, runtime settings),
``sizeup_app/server_app.py`` and ``client_app.py`` (copied from :mod:`sizeup.federated.flower_app`) and
``sizeup_app/settings.json`` (family, knobs, data description, local training settings, ``[federated]``).
Both sides import sizeup, which every node must have installed (``pip install 'sizeup[federated]'``): the
app turns Flower's runtime installation of dependencies off by relying on the nodes' own environment.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from importlib import resources
from pathlib import Path
from typing import Any

from sizeup import __version__
from sizeup._io import atomic_path, prepare_out_dir, read_json, write_json
from sizeup.checkpoint import CONFIG, model_folder
from sizeup.errors import SizeupError
from sizeup.federated.deploy import SETTINGS, Settings, write_shard
from sizeup.task import Task
from sizeup.training.config import TrainConfig

__all__ = ["export_app", "ExportResult", "write_partitions", "FLOWER_VERSION", "PACKAGE"]

FLOWER_VERSION = "1.42.0"  # the Flower the app was written and tested against; pinned in its pyproject.toml
PACKAGE = "sizeup_app"
_OWNED = ("pyproject.toml", "README.md", f"{PACKAGE}/__init__.py", f"{PACKAGE}/server_app.py",
          f"{PACKAGE}/client_app.py", f"{PACKAGE}/{SETTINGS}")


@dataclass
class ExportResult:
    """Where the app went, what it trains, and (with ``partitions``) the node data files written for a local try."""

    out_dir: Path
    model: str
    settings: dict[str, Any]
    files: list[Path]
    partitions: list[Path] = field(default_factory=list)
    eval_data: Path | None = None
    test_data: Path | None = None


def _run_task(model_dir: Path, meta: dict[str, Any], task: Task | str | Path | None) -> Task:
    if task is not None:
        return task if isinstance(task, Task) else Task.from_toml(task)
    if meta.get("task"):
        return Task.from_dict(meta["task"], origin=str(model_dir / CONFIG))
    raise SizeupError(f"no task saved with {model_dir} (no 'task' in {CONFIG}); pass the task file with its "
                      "[federated] section: --task TASK.toml")


def _settings(model_dir: Path, task: Task | str | Path | None) -> tuple[Settings, Task]:
    """The run's model and training settings, with the task's ``[federated]`` section."""
    from sizeup.data.bundle import DataInfo

    meta = read_json(model_dir / CONFIG)
    for key in ("family", "config", "data"):
        if key not in meta:
            raise SizeupError(f"{model_dir / CONFIG} has no {key!r} entry; it was not written by sizeup")
    t = _run_task(model_dir, meta, task)
    if t.federated is None:
        raise SizeupError(f"task {t.name!r} has no [federated] section; add one (e.g. clients = 10, rounds = 50) "
                          "or pass --task with a task file that has it")
    info = DataInfo.from_dict(meta["data"])
    known = {f.name for f in fields(TrainConfig)}
    train = TrainConfig(**{k: v for k, v in (meta.get("train") or {}).items() if k in known})
    return Settings(meta["family"], meta["config"], info, train, t.federated, t.search.metric or info.metric), t


def _pyproject(name: str, settings: Settings) -> str:
    project = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "sizeup-app"
    return f'''# A Flower app written by `sizeup federated export` (sizeup {__version__}).
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[project]
name = "{project}"
version = "1.0.0"
description = "Federated training of a sizeup {settings.family} model"
license = "Apache-2.0"
# Installed on every node beforehand; start the SuperLink with --disable-runtime-dependency-installation
# (and the SuperNodes without --allow-runtime-dependency-installation) so nothing is fetched at run time.
dependencies = ["flwr=={FLOWER_VERSION}", "sizeup[federated]=={__version__}"]

[tool.hatch.build.targets.wheel]
packages = ["."]

[tool.flwr.app]
publisher = "sizeup"

[tool.flwr.app.components]
serverapp = "{PACKAGE}.server_app:app"
clientapp = "{PACKAGE}.client_app:app"

[tool.flwr.app.config]
rounds = {settings.federated.rounds}
out-dir = ""      # where the server writes history.json, summary.json and model/ (default ./sizeup-federated-run)
eval-data = ""    # validation rows (.npz) on the server: keep the best round, as the simulation does
test-data = ""    # test rows (.npz) on the server: the final quality
timeout = 600.0   # seconds to wait for the nodes and for each round's replies
'''


def _readme(settings: Settings) -> str:
    spec = settings.federated
    return f"""# Federated {settings.family} ({spec.clients} clients, {spec.rounds} rounds, {spec.strategy}, {spec.partition})

Written by `sizeup federated export`. Every machine needs `pip install 'sizeup[federated]=={__version__}'`.

```bash
flower-superlink --insecure --disable-runtime-dependency-installation          # the server's machine
flower-supernode --insecure --superlink SERVER:8000 --port 9094 \\
    --node-config 'partition-id=0 data="/data/rows.npz"'                        # each owner, ids 0..{spec.clients - 1}
flwr run . my-superlink --stream --run-config 'out-dir="/tmp/run" test-data="/data/test.npz"'
```

`my-superlink` is a connection in `$FLWR_HOME/config.toml` (`[superlink.my-superlink]`, `address = "SERVER:8000"`,
`insecure = true`). A node's rows are an `.npz` with `x` and `y` (and optionally `x_test`, `y_test`).
"""


def _write_text(path: Path, text: str) -> Path:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return path


def export_app(run: str | Path, out: str | Path | None = None, *, task: Task | str | Path | None = None,
               partitions: str | Path | None = None, force: bool = False) -> ExportResult:
    """Write the Flower app for the model in ``run`` (a train or search run folder, or a saved model folder).

    ``task`` supplies the ``[federated]`` section when the run's own task lacks one. ``partitions`` also writes
    each client's rows (``client-<i>.npz``) and the server's ``val.npz`` / ``test.npz`` there, cut from the task's
    data exactly as the simulation cuts them, to try the app on one machine.
    """
    model_dir = model_folder(run)
    settings, t = _settings(model_dir, task)
    out_dir = Path(out) if out else Path(run) / "flower-app"
    prepare_out_dir(out_dir, owned=_OWNED, force=force)
    source = resources.files("sizeup.federated.flower_app")
    pkg = out_dir / PACKAGE
    files = [_write_text(out_dir / "pyproject.toml", _pyproject(f"sizeup-{t.name}-{settings.family}", settings)),
             _write_text(out_dir / "README.md", _readme(settings)),
             _write_text(pkg / "__init__.py", '"""A sizeup federated app (see ../README.md)."""\n'),
             *(_write_text(pkg / name, source.joinpath(name).read_text(encoding="utf-8"))
               for name in ("server_app.py", "client_app.py"))]
    write_json(pkg / SETTINGS, settings.to_dict())
    files.append(pkg / SETTINGS)
    result = ExportResult(out_dir, f"{settings.family} {settings.knobs}", settings.to_dict(), files)
    if partitions is not None:
        result.partitions, result.eval_data, result.test_data = write_partitions(t, settings, Path(partitions))
    return result


def write_partitions(task: Task, settings: Settings, folder: Path) -> tuple[list[Path], Path, Path]:
    """Each client's rows and the server's validation and test rows, cut from ``task``'s data as the simulation cuts them."""
    from sizeup.data import load_data
    from sizeup.federated.partition import partition_data

    data = load_data(task)
    part = partition_data(data, settings.federated, seed=settings.train.seed)
    folder.mkdir(parents=True, exist_ok=True)
    clients = []
    for i in range(settings.federated.clients):
        path = folder / f"client-{i}.npz"
        write_shard(path, data.train.subset(part.train[i]), data.test.subset(part.test[i]))
        clients.append(path)
    write_shard(folder / "val.npz", data.val)
    write_shard(folder / "test.npz", data.test)
    return clients, folder / "val.npz", folder / "test.npz"

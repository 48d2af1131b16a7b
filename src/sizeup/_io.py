"""Files with fixed names, written atomically: a temporary name first, then ``os.replace``."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import math
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sizeup.errors import SizeupError

__all__ = ["atomic_path", "write_json", "read_json", "prepare_out_dir", "to_jsonable"]

_UMASK = os.umask(0)
os.umask(_UMASK)  # read once: os.umask can only be read by setting it


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it replaces ``path`` in one step."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600; a result file gets the mode open() would give it
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def to_jsonable(value: Any) -> Any:
    """Convert results (dataclasses, numpy/torch scalars, NaN) into plain JSON values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {k: to_jsonable(v) for k, v in dataclasses.asdict(value).items()}
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if hasattr(value, "item") and callable(value.item):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def write_json(path: str | Path, payload: Any) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(to_jsonable(payload), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def read_json(path: str | Path) -> Any:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SizeupError(f"{path} not found; is this a sizeup run or model folder?") from None
    except json.JSONDecodeError as exc:
        raise SizeupError(f"{path} is not valid JSON ({exc.msg} at line {exc.lineno}); the file is damaged") from None


def prepare_out_dir(out: Path, *, owned: tuple[str, ...], force: bool) -> Path:
    """Create ``out``; refuse if it already holds any of the files this command would write."""
    taken = [name for name in owned if (out / name).exists()]
    if taken and not force:
        raise SizeupError(
            f"{out / taken[0]} already exists; pass --force to overwrite it, or --out to write elsewhere"
        )
    out.mkdir(parents=True, exist_ok=True)
    return out

"""Atomic writes keep the file mode a plain ``open()`` would give, not mkstemp's private 0600."""

from __future__ import annotations

import os

from sizeup._io import write_json


def test_written_files_get_the_umask_mode_not_mkstemps_0600(tmp_path):
    old = os.umask(0o022)
    try:
        import importlib

        import sizeup._io as io

        importlib.reload(io)  # the module reads the umask once, at import
        io.write_json(tmp_path / "a.json", {"x": 1})
        plain = tmp_path / "b.json"
        plain.write_text("{}")
    finally:
        os.umask(old)
        importlib.reload(io)
    assert (tmp_path / "a.json").stat().st_mode & 0o777 == plain.stat().st_mode & 0o777 == 0o644


def test_write_json_replaces_the_file_in_one_step(tmp_path):
    path = tmp_path / "r.json"
    write_json(path, {"v": 1})
    write_json(path, {"v": 2})
    assert path.read_text().strip().endswith("}") and '"v": 2' in path.read_text()
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]  # no temporary file left behind

"""Storage URLs: checked once with a one-line error naming the fix; each opens a study workers can share."""

from __future__ import annotations

import optuna
import pytest

from sizeup.distributed import describe_url, open_storage, parse_storage
from sizeup.distributed.storage import filesystem_type
from sizeup.errors import SizeupError


@pytest.mark.parametrize(("url", "words"), [
    ("redis://localhost:6379", "not a storage sizeup knows"),
    ("sqlite://", "in-memory SQLite"),
    ("postgres://u@h/db", "postgresql://"),
    ("journal:", "names no file"),
    ("journal:/no/such/folder/study.log", "does not exist"),
    ("sqlite:////no/such/folder/study.db", "does not exist"),
])
def test_a_bad_storage_url_is_refused_with_the_fix(url, words):
    with pytest.raises(SizeupError, match=words) as err:
        parse_storage(url)
    assert "\n" not in str(err.value)


def test_a_password_never_appears_in_a_message():
    assert "secret" not in describe_url("postgresql://me:secret@db.example/study")
    with pytest.raises(SizeupError) as err:
        open_storage(parse_storage("postgresql://me:secret@127.0.0.1:1/none"))
    assert "secret" not in str(err.value) and "cannot open" in str(err.value)


def test_sqlite_on_a_network_file_system_is_refused():
    mounts = "server:/export /shared nfs4 rw 0 0\n/dev/sda1 / ext4 rw 0 0\n"
    assert filesystem_type(parse_storage("sqlite:////tmp/x.db").path, mounts) == "ext4"
    from pathlib import Path

    assert filesystem_type(Path("/shared/runs/study.db"), mounts) == "nfs4"
    assert filesystem_type(Path("/sharedfoo/study.db"), mounts) == "ext4"


@pytest.mark.parametrize("kind", ["sqlite", "journal"])
def test_file_storages_open_a_study_another_process_can_load(tmp_path, kind):
    url = f"sqlite:///{tmp_path / 's.db'}" if kind == "sqlite" else f"journal:{tmp_path / 's.log'}"
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    study = optuna.create_study(study_name="s", storage=open_storage(parse_storage(url)))
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    again = optuna.load_study(study_name="s", storage=open_storage(parse_storage(url)))
    assert [t.params for t in again.trials] == [t.params for t in study.trials]

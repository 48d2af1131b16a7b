"""A search under ``[privacy] epsilon``: every candidate is its family's private variant trained with DP-SGD, the
rows say what each spent, the recommendation says what the whole search spent, and nothing trains without noise."""

from __future__ import annotations

import pytest

pytest.importorskip("opacus", reason="the privacy extra (opacus) is not installed")

from sizeup._io import read_json  # noqa: E402
from sizeup.errors import SizeupError  # noqa: E402
from sizeup.selection import search  # noqa: E402

from search_helpers import write_task  # noqa: E402




def _task(folder, search_extra: str):
    return write_task(folder, name="private", families=("cnn", "linear"),
                      extra=f"{search_extra}\n[train]\nepochs = 2\n[privacy]\nepsilon = 3.0")


@pytest.fixture(scope="module")
def private_run(tmp_path_factory):
    from sizeup.compression.candidates import add_compressed_rows

    folder = tmp_path_factory.mktemp("private")
    task = _task(folder, 'compress = ["int8", "prune:0.5"]')
    return search(task, trials=2, max_epochs=2, out=folder / "run", export=False, extend=add_compressed_rows)


def test_every_trained_candidate_is_the_private_variant_and_spent_at_most_its_budget(private_run):
    board = private_run.leaderboard
    trained = board[(board["status"] == "completed") & (board["compression"] == "")]
    cnn = trained[trained["family"] == "cnn"]
    assert len(cnn) >= 1 and cnn["model"].str.contains("norm=group").all()  # GroupNorm, not BatchNorm
    assert ((trained["epsilon"] > 0) & (trained["epsilon"] <= 3.0 * 1.01)).all()


def test_the_recommendation_states_the_whole_searchs_privacy(private_run):
    rec = read_json(private_run.out_dir / "recommendation.json")
    spent = rec["privacy"]
    trained = private_run.leaderboard.query("status == 'completed' and compression == ''")
    assert spent["trials"] == len(trained) and spent["epsilon"] == pytest.approx(trained["epsilon"].sum())
    assert rec["validation"]["kind"] == "holdout" and "private runs" in rec["validation"]["why"]
    assert any("basic composition" in r and "DP-SGD" in r for r in rec["reasons"])


def test_compression_that_trains_again_is_refused_and_quantization_is_kept(private_run):
    rows = private_run.leaderboard.set_index("compression")
    assert rows.loc["prune:0.5", "status"].tolist()[0] == "infeasible"
    assert "without DP-SGD" in rows.loc["prune:0.5", "reason"].tolist()[0]
    assert rows.loc["int8", "status"].tolist()[0] == "completed"


def test_k_fold_validation_is_refused_under_dp(tmp_path):
    with pytest.raises(SizeupError, match=r"validation = 'kfold:3' cannot be honoured: \[privacy\] epsilon: k folds"):
        search(_task(tmp_path, 'validation = "kfold:3"'), trials=1, out=tmp_path / "run")


def test_families_dp_sgd_cannot_train_are_left_out_and_none_left_is_an_error(tmp_path):
    from sizeup.selection.private import private_families
    from sizeup.task import Task

    task = Task.from_dict({"name": "p", "data": {"source": "digits"}, "privacy": {"epsilon": 1.0}})
    assert private_families(task, ["mlp", "hgb", "ridge", "seq2seq"]) == ["mlp"]
    with pytest.raises(SizeupError, match="none of the families hgb, forest can train with DP-SGD"):
        private_families(task, ["hgb", "forest"])

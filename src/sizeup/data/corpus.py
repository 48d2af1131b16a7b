"""Language-modeling data: one text corpus -> contiguous train/val/test token streams cut into blocks."""

from __future__ import annotations

import torch

from sizeup.data.assemble import assemble
from sizeup.data.bigram import bigram_baseline
from sizeup.data.bundle import DataBundle, Split
from sizeup.data.text import Vocab
from sizeup.errors import SizeupError

__all__ = ["corpus_bundle"]


def _blocks(ids: torch.Tensor, block: int) -> Split:
    """Non-overlapping windows of ``block + 1`` tokens: inputs are the first ``block``, targets shifted by one."""
    n = (len(ids) - 1) // block
    if n <= 0:
        return Split(torch.zeros(0, block, dtype=torch.long), torch.zeros(0, block, dtype=torch.long))
    x = ids[: n * block].view(n, block)
    y = ids[1 : n * block + 1].view(n, block)
    return Split(x.clone(), y.clone())


def corpus_bundle(text: str, *, name: str, spec) -> DataBundle:
    """Split the corpus by position (train first, then validation, then test), never by shuffling.

    ``[data] mask_pii`` masks the corpus first, line by line, before the vocabulary is built.
    """
    if not text.strip():
        raise SizeupError(f"corpus {name!r} is empty; give a .txt file with text in it")
    pii = None
    if spec.mask_pii:
        from sizeup.data.pii import mask_columns

        lines, pii = mask_columns({"text": text.split("\n")}, spec.mask_pii)
        text = "\n".join(lines["text"])
    n = len(text)
    n_test = int(n * spec.test_fraction)
    n_val = int(n * spec.val_fraction)
    parts = {"train": text[: n - n_val - n_test], "val": text[n - n_val - n_test : n - n_test], "test": text[n - n_test :]}
    vocab = Vocab.build([parts["train"]], kind=spec.tokenizer, max_size=spec.max_vocab)
    block = spec.block_size
    splits = {k: _blocks(torch.tensor(vocab.ids(v), dtype=torch.long), block) for k, v in parts.items()}
    for k, s in splits.items():
        if len(s) == 0:
            raise SizeupError(
                f"corpus {name!r}: the {k} part is shorter than one block of {block} tokens; "
                "use a longer text or a smaller [data] block_size"
            )
    bundle = assemble(
        name=name, input_kind="lm", task="language-modeling",
        train=splits["train"], val=splits["val"], test=splits["test"],
        vocab=vocab.itos, n_outputs=len(vocab), metric="perplexity",
        notes={"tokenizer": spec.tokenizer, "block_size": block, "characters": n, **({"pii": pii} if pii else {})},
    )
    bundle.info.notes["baseline"] = bigram_baseline(bundle)  # the perplexity every model must beat
    return bundle

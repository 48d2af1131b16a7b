"""The ``generate`` verb: continue a prompt with a trained language model, or translate it with a seq2seq model.

Language models sample token by token (temperature, top-k; greedy at temperature 0). ``cache=True``
keeps each layer's past keys and values (gpt) or the recurrent state (rnn), so every step feeds one
new token; ``cache=False`` re-reads the whole window each step. Both read the same window: when it
outgrows the context a gpt was trained on, it slides to its last half, so both paths give the same tokens.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

import torch
from torch import nn

from sizeup.data.text import Vocab, tokenize
from sizeup.errors import SizeupError

__all__ = ["generate", "Generation", "load_generator"]


@dataclass
class Generation:
    """What was generated; ``text`` is the prompt followed by the completion."""

    prompt: str
    completion: str
    tokens: list[int]
    method: str
    cache: bool
    seconds: float
    unknown: list[str] = field(default_factory=list)  # prompt tokens outside the vocabulary, read as <unk>

    @property
    def text(self) -> str:
        return self.prompt + self.completion

    @property
    def tokens_per_second(self) -> float:
        return len(self.tokens) / self.seconds if self.seconds > 0 else float("inf")

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "text": self.text, "tokens_per_second": self.tokens_per_second}


def load_generator(source: str | Path | nn.Module | Any) -> nn.Module:
    """A model to generate with: a loaded model, a ``TrainResult``, a saved model folder, or a run folder with ``best/``."""
    from sizeup.checkpoint import load_model, model_folder

    if isinstance(source, nn.Module):
        model = source
    elif hasattr(source, "model") and hasattr(source, "info"):  # what sizeup.train returns
        model = source.model
        model.info = source.info
    else:
        model = load_model(model_folder(source))
    info = getattr(model, "info", None)
    if info is None or info.task not in ("language-modeling", "seq2seq"):
        what = f"a {info.task} model" if info is not None else "a model without data info (load it with sizeup.load)"
        name = model.spec.describe() if hasattr(model, "spec") else type(model).__name__
        raise SizeupError(f"{source if isinstance(source, (str, Path)) else name} is {what}; generate needs a language model (task = \"language-modeling\") "
                          "or a seq2seq model")
    if info.task == "language-modeling" and not hasattr(model, "decode"):
        raise SizeupError(f"family {model.spec.family!r} cannot generate; train a gpt or rnn language model")
    return model.eval()


def _picker(temperature: float, top_k: int | None, seed: int | None) -> Callable[[torch.Tensor], int]:
    """Next token from last-position logits ``(1, V)``; padding and <unk> are never produced."""
    gen = torch.Generator().manual_seed(0 if seed is None else seed)

    def pick(logits: torch.Tensor) -> int:
        logits = logits.float().clone()
        logits[:, :2] = float("-inf")  # id 0 pads, id 1 is <unk>
        if temperature == 0:
            return int(logits.argmax(-1))
        logits /= temperature
        if top_k is not None:
            kth = torch.topk(logits, min(top_k, logits.shape[-1])).values[:, -1:]
            logits = logits.masked_fill(logits < kth, float("-inf"))
        return int(torch.multinomial(torch.softmax(logits, -1), 1, generator=gen))

    return pick


def _lm_tokens(model: nn.Module, prompt: list[int], steps: int, pick: Callable[[torch.Tensor], int],
               cache: bool) -> list[int]:
    context = getattr(model, "context", None)
    tokens, start = list(prompt), 0
    past, past_start = None, -1
    for _ in range(steps):
        if context and len(tokens) - start > context:
            start = len(tokens) - max(1, context // 2)
        if not cache:
            logits = model(torch.tensor([tokens[start:]]))
        elif past is None or past_start != start:  # first step, or the window slid: read it afresh
            logits, past = model.decode(torch.tensor([tokens[start:]]))
            past_start = start
        else:
            logits, past = model.decode(torch.tensor([tokens[-1:]]), past)
        tokens.append(pick(logits[:, -1]))
    return tokens[len(prompt):]


def generate(model: str | Path | nn.Module | Any, prompt: str, *, max_new_tokens: int = 50, temperature: float = 1.0,
             top_k: int | None = None, seed: int | None = None, cache: bool = True) -> Generation:
    """Continue ``prompt`` (language model) or decode its target (seq2seq, always greedy).

    ``temperature=0`` is greedy decoding; ``top_k`` keeps the ``k`` most likely tokens; ``seed`` makes
    sampling repeatable. Prompt tokens outside the vocabulary are read as ``<unk>`` and listed in ``unknown``.
    """
    if max_new_tokens < 1:
        raise SizeupError(f"max_new_tokens must be at least 1, got {max_new_tokens}")
    if temperature < 0:
        raise SizeupError(f"temperature must be 0 (greedy) or positive, got {temperature}")
    if top_k is not None and top_k < 1:
        raise SizeupError(f"top_k must be at least 1 (or left out for no limit), got {top_k}")
    if not prompt:
        raise SizeupError("the prompt is empty; give at least one token to continue")
    model = load_generator(model)
    info = model.info
    kind = info.notes.get("tokenizer", "char")
    vocab = Vocab(info.vocab, kind)
    unknown = list(dict.fromkeys(t for t in tokenize(prompt, kind) if t not in vocab.stoi))
    start = time.perf_counter()
    with torch.inference_mode():
        if info.task == "seq2seq":
            src = vocab.encode([prompt], info.input_shape[0], bos_eos=True)
            out = model.greedy_decode(src, max_new_tokens + 1)[0, 1:].tolist()
            new = out[: out.index(model.eos)] if model.eos in out else out
            completion = Vocab(info.target_vocab, kind).decode(new)
            method, cache = "greedy", False
        else:
            new = _lm_tokens(model, vocab.ids(prompt), max_new_tokens, _picker(temperature, top_k, seed), cache)
            completion = vocab.decode(new)
            method = "greedy" if temperature == 0 else f"sampling (temperature {temperature:g}, top-k {top_k or 'all'})"
    seconds = time.perf_counter() - start
    return Generation(prompt=prompt, completion=completion, tokens=new, method=method, cache=cache,
                      seconds=seconds, unknown=unknown)

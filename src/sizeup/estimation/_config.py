"""A Hugging Face ``config.json`` -> :class:`TransformerShape`, the few numbers every formula needs.

Reads the keys of Llama / Mistral / Qwen2 / Mixtral (``LlamaConfig`` naming), GPT-2 (``n_embd`` naming)
and BERT. What other estimators get wrong is read explicitly: untied output heads
(``tie_word_embeddings``), an explicit ``head_dim``, grouped-query attention (``num_key_value_heads``),
MoE experts and top-k, and sliding-window attention.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sizeup.errors import SizeupError

__all__ = ["TransformerShape", "shape_from_config"]

_GATED_ACTS = {"silu", "swiglu", "swish"}  # Llama-family MLPs: down(act(gate(x)) * up(x)), three matrices
_DECODERS = {"llama", "mistral", "qwen2", "mixtral", "qwen2_moe", "gemma", "gemma2", "phi3"}


@dataclass(frozen=True)
class TransformerShape:
    """A decoder (``causal``) or encoder Transformer as the formulas see it."""

    name: str
    model_type: str
    causal: bool
    vocab_size: int
    hidden: int
    layers: int
    heads: int
    kv_heads: int
    head_dim: int
    intermediate: int
    gated_mlp: bool
    experts: int = 1  # routed experts per MoE layer (1 = dense)
    top_k: int = 1  # experts each token visits
    tied_head: bool = True
    has_lm_head: bool = True  # an encoder (BERT) has none; the task head is not part of the backbone
    linear_bias: bool = False  # biases on every projection (GPT-2, BERT)
    qkv_bias: bool = False  # biases on q, k, v only (Qwen2)
    norm_bias: bool = False  # LayerNorm (weight + bias) vs RMSNorm (weight)
    learned_positions: int = 0  # rows of a learned position table (GPT-2, BERT); 0 for RoPE
    token_types: int = 0  # BERT's segment embedding rows
    pooler: bool = False  # BERT's pooler dense layer
    embed_norm: bool = False  # BERT normalises the embeddings
    sliding_window: int | None = None
    dropout: float = 0.0
    max_positions: int = 0

    @property
    def q_dim(self) -> int:
        return self.heads * self.head_dim

    @property
    def kv_dim(self) -> int:
        return self.kv_heads * self.head_dim

    @property
    def is_moe(self) -> bool:
        return self.experts > 1


def _need(cfg: dict[str, Any], origin: str, *keys: str) -> Any:
    """The first of ``keys`` present in ``cfg``; a missing one is an error that names it."""
    for key in keys:
        if cfg.get(key) is not None:
            return cfg[key]
    raise SizeupError(f"{origin}: config has no {keys[0]!r}; add \"{keys[0]}\": <int> to the config.json")


def shape_from_config(cfg: dict[str, Any], *, name: str, origin: str | None = None) -> TransformerShape:
    """Read a Hugging Face config dict; ``origin`` (a path or catalog id) goes into error messages."""
    origin = origin or name
    model_type = str(cfg.get("model_type", "")).lower()
    if model_type == "gpt2" or "n_embd" in cfg:
        return _gpt2(cfg, name, origin)
    if model_type in ("bert", "roberta", "distilbert") or "type_vocab_size" in cfg:
        return _bert(cfg, name, origin)
    if model_type and model_type not in _DECODERS:
        raise SizeupError(
            f"{origin}: model_type {model_type!r} is not supported; supported: llama, mistral, qwen2, mixtral, gpt2, bert"
        )
    return _llama(cfg, name, origin, model_type or "llama")


def _llama(cfg: dict[str, Any], name: str, origin: str, model_type: str) -> TransformerShape:
    hidden = int(_need(cfg, origin, "hidden_size"))
    heads = int(_need(cfg, origin, "num_attention_heads"))
    kv_heads = int(cfg.get("num_key_value_heads") or heads)
    head_dim = int(cfg.get("head_dim") or hidden // heads)  # explicit head_dim wins (Gemma, Mistral-Nemo)
    if heads % kv_heads:
        raise SizeupError(f"{origin}: num_attention_heads={heads} is not a multiple of num_key_value_heads={kv_heads}; fix the config")
    experts = int(cfg.get("num_local_experts") or cfg.get("num_experts") or 1)
    window = cfg.get("sliding_window")
    if cfg.get("use_sliding_window") is False:  # Qwen2 carries a window it does not use
        window = None
    return TransformerShape(
        name=name, model_type=model_type, causal=True,
        vocab_size=int(_need(cfg, origin, "vocab_size")), hidden=hidden,
        layers=int(_need(cfg, origin, "num_hidden_layers")), heads=heads, kv_heads=kv_heads, head_dim=head_dim,
        intermediate=int(_need(cfg, origin, "intermediate_size")),
        gated_mlp=str(cfg.get("hidden_act", "silu")).lower() in _GATED_ACTS or model_type.startswith("gemma"),
        experts=experts, top_k=int(cfg.get("num_experts_per_tok") or 1) if experts > 1 else 1,
        tied_head=bool(cfg.get("tie_word_embeddings", False)),
        qkv_bias=model_type.startswith("qwen2") or bool(cfg.get("attention_bias", False)),
        linear_bias=bool(cfg.get("mlp_bias", False)),
        sliding_window=int(window) if window else None,
        dropout=float(cfg.get("attention_dropout") or 0.0),
        max_positions=int(cfg.get("max_position_embeddings") or 0),
    )


def _gpt2(cfg: dict[str, Any], name: str, origin: str) -> TransformerShape:
    hidden = int(_need(cfg, origin, "n_embd", "hidden_size"))
    heads = int(_need(cfg, origin, "n_head", "num_attention_heads"))
    positions = int(_need(cfg, origin, "n_positions", "max_position_embeddings"))
    return TransformerShape(
        name=name, model_type="gpt2", causal=True, vocab_size=int(_need(cfg, origin, "vocab_size")), hidden=hidden,
        layers=int(_need(cfg, origin, "n_layer", "num_hidden_layers")), heads=heads, kv_heads=heads,
        head_dim=hidden // heads, intermediate=int(cfg.get("n_inner") or 4 * hidden), gated_mlp=False,
        tied_head=bool(cfg.get("tie_word_embeddings", True)), linear_bias=True, norm_bias=True,
        learned_positions=positions, dropout=float(cfg.get("resid_pdrop", 0.1) or 0.0), max_positions=positions,
    )


def _bert(cfg: dict[str, Any], name: str, origin: str) -> TransformerShape:
    hidden = int(_need(cfg, origin, "hidden_size"))
    heads = int(_need(cfg, origin, "num_attention_heads"))
    positions = int(_need(cfg, origin, "max_position_embeddings"))
    return TransformerShape(
        name=name, model_type=str(cfg.get("model_type", "bert")), causal=False,
        vocab_size=int(_need(cfg, origin, "vocab_size")), hidden=hidden,
        layers=int(_need(cfg, origin, "num_hidden_layers")), heads=heads, kv_heads=heads, head_dim=hidden // heads,
        intermediate=int(_need(cfg, origin, "intermediate_size")), gated_mlp=False, has_lm_head=False,
        linear_bias=True, norm_bias=True, learned_positions=positions, token_types=int(cfg.get("type_vocab_size", 2)),
        pooler=True, embed_norm=True, dropout=float(cfg.get("hidden_dropout_prob", 0.1) or 0.0), max_positions=positions,
    )

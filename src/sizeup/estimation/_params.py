"""Parameter counts of a :class:`TransformerShape`, by part, total and active (MoE top-k).

Counted matrix by matrix as the Hugging Face modelling code builds them (``modeling_llama.py``,
``modeling_mixtral.py``, ``modeling_gpt2.py``, ``modeling_bert.py``); a test cross-checks the formula
against a meta-device build.
"""

from __future__ import annotations

from dataclasses import dataclass

from sizeup.estimation._config import TransformerShape

__all__ = ["ParamCounts", "count_params"]


@dataclass(frozen=True)
class ParamCounts:
    embedding: int  # token (+ position, token-type) tables and their norm
    head: int  # untied output head (0 when tied or absent)
    attention: int  # all layers
    mlp: int  # all layers, all experts
    mlp_active: int  # all layers, the experts one token visits
    norms: int  # all layers + final norm
    other: int  # router, pooler
    head_matmul: int  # size of the output projection, tied or not (0 for an encoder): it costs FLOPs either way

    @property
    def total(self) -> int:
        return self.embedding + self.head + self.attention + self.mlp + self.norms + self.other

    @property
    def active(self) -> int:
        """Parameters one token touches: MoE layers count top-k experts, not all of them."""
        return self.total - self.mlp + self.mlp_active

    @property
    def matmul_active(self) -> int:
        """Active parameters that multiply activations: embedding look-ups excluded, a tied head included."""
        return self.attention + self.mlp_active + self.head_matmul + self.other


def count_params(s: TransformerShape) -> ParamCounts:
    h, layers = s.hidden, s.layers
    embedding = (s.vocab_size + s.learned_positions + s.token_types) * h + (2 * h if s.embed_norm else 0)
    attn = h * s.q_dim + 2 * h * s.kv_dim + s.q_dim * h
    if s.linear_bias:
        attn += s.q_dim + 2 * s.kv_dim + h
    elif s.qkv_bias:
        attn += s.q_dim + 2 * s.kv_dim
    n_mats = 3 if s.gated_mlp else 2
    expert = n_mats * h * s.intermediate + ((n_mats - 1) * s.intermediate + h if s.linear_bias else 0)
    norm = 2 * h if s.norm_bias else h
    router = h * s.experts if s.is_moe else 0
    pooler = h * h + h if s.pooler else 0
    final_norm = 0 if s.embed_norm else norm  # BERT is post-norm: its last norm sits inside the last layer
    return ParamCounts(
        embedding=embedding,
        head=0 if (s.tied_head or not s.has_lm_head) else s.vocab_size * h,
        attention=layers * attn,
        mlp=layers * s.experts * expert,
        mlp_active=layers * s.top_k * expert,
        norms=layers * 2 * norm + final_norm,
        other=layers * router + pooler,
        head_matmul=s.vocab_size * h if s.has_lm_head else 0,
    )

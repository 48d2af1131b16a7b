"""The model zoo: one module per family, registered by name; :func:`build` is the only door in."""

from __future__ import annotations

from sizeup.zoo import bow, classic, cnn, gpt, linear, mlp, pretrained, rnn, seq2seq, textcnn, tfidf, transformer  # noqa: F401 - registers
from sizeup.zoo._registry import Family, ModelSpec, build, get_family, list_families, make_config, register

__all__ = ["Family", "ModelSpec", "build", "get_family", "list_families", "make_config", "register"]

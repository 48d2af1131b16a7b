"""Exact estimates of nn.Modules on the meta device: FLOPs equal FlopCounterMode on real runs, memory measured."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

import sizeup
import sizeup.zoo as zoo
from sizeup.estimation import estimate, estimate_module
from sizeup.measurement import count_flops, countable_attention, peak_memory_bytes


@pytest.fixture(scope="module")
def digits_and_mnist1d():
    return {s: sizeup.load_data(sizeup.Task.from_dict({"name": s, "data": {"source": s}})) for s in ("digits", "mnist1d")}


class _LlamaBlock(nn.Module):
    """One Llama-style decoder layer (RMSNorm, GQA attention through SDPA, SwiGLU MLP)."""

    def __init__(self, h: int = 64, heads: int = 4, kv: int = 2, inter: int = 160) -> None:
        super().__init__()
        self.heads, self.kv, self.d = heads, kv, h // heads
        self.n1, self.n2 = nn.RMSNorm(h), nn.RMSNorm(h)
        self.q, self.k = nn.Linear(h, h, bias=False), nn.Linear(h, kv * self.d, bias=False)
        self.v, self.o = nn.Linear(h, kv * self.d, bias=False), nn.Linear(h, h, bias=False)
        self.gate, self.up, self.down = nn.Linear(h, inter, bias=False), nn.Linear(h, inter, bias=False), nn.Linear(inter, h, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, h = x.shape
        y = self.n1(x)
        q = self.q(y).view(b, t, self.heads, self.d).transpose(1, 2)
        k = self.k(y).view(b, t, self.kv, self.d).transpose(1, 2).repeat_interleave(self.heads // self.kv, dim=1)
        v = self.v(y).view(b, t, self.kv, self.d).transpose(1, 2).repeat_interleave(self.heads // self.kv, dim=1)
        a = F.scaled_dot_product_attention(q, k, v, is_causal=True).transpose(1, 2).reshape(b, t, h)
        x = x + self.o(a)
        y = self.n2(x)
        return x + self.down(F.silu(self.gate(y)) * self.up(y))


def _cases() -> dict[str, tuple[nn.Module, tuple[torch.Tensor, ...]]]:
    torch.manual_seed(0)
    return {
        "mlp": (nn.Sequential(nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 10)), (torch.randn(128, 64),)),
        "conv": (nn.Sequential(nn.Conv1d(1, 32, 5, padding=2), nn.ReLU(), nn.Conv1d(32, 32, 5, padding=2), nn.ReLU(),
                               nn.Flatten(), nn.Linear(32 * 40, 10)), (torch.randn(64, 1, 40),)),
        "llama_block": (_LlamaBlock(), (torch.randn(8, 32, 64),)),
    }


def _real_flops(model: nn.Module, x: tuple[torch.Tensor, ...]) -> tuple[int, int]:
    with FlopCounterMode(display=False) as fwd:
        out = model(*x)
    with FlopCounterMode(display=False) as bwd:
        out.float().sum().backward()
    return fwd.get_total_flops(), bwd.get_total_flops()


@pytest.mark.parametrize("name", ["mlp", "conv"])
def test_module_flops_equal_flop_counter_on_real_forward_backward(name: str) -> None:
    model, x = _cases()[name]
    r = estimate_module(model, x, hardware="cpu")
    fwd, bwd = _real_flops(model, x)
    batch = x[0].shape[0]
    assert r.flops.forward * batch == fwd and r.flops.backward * batch == bwd
    assert r.flops.per == "sample"


def test_llama_block_flops_include_attention_that_the_cpu_flash_kernel_hides() -> None:
    # FlopCounterMode has no formula for the CPU flash-attention kernel, so a plain CPU run counts the
    # projections only; the estimate counts QK^T and AV too, as a run on the math kernel does.
    model, x = _cases()["llama_block"]
    r = estimate_module(model, x, hardware="cpu")
    fwd, bwd = _real_flops(model, x)
    b, t, heads, d = 8, 32, 4, 16
    attention = 2 * (2 * b * heads * t * t * d)  # QK^T and AV
    assert r.flops.forward * b == fwd + attention
    assert r.flops.backward * b == bwd + 2 * attention
    with countable_attention():
        assert _real_flops(model, x) == (r.flops.forward * b, r.flops.backward * b)


@pytest.mark.parametrize("source,family", [("digits", f) for f in ("linear", "mlp", "cnn", "rnn", "transformer")]
                         + [("mnist1d", "gpt")])
def test_zoo_model_flops_equal_flop_counter_on_a_real_forward_backward(source: str, family: str, digits_and_mnist1d) -> None:
    data = digits_and_mnist1d[source]
    torch.manual_seed(0)
    model = zoo.build(family, data.info)
    x = (data.train.x[:16],)
    r = estimate_module(model, x, hardware="cpu")
    with countable_attention():
        fwd, bwd = _real_flops(model, x)
    assert (r.flops.forward * 16, r.flops.backward * 16) == (fwd, bwd)
    assert count_flops(model.eval(), x) == fwd


def test_module_estimate_allocates_nothing_for_a_70b_shaped_stack() -> None:
    with torch.device("meta"):
        stack = nn.Sequential(*[_LlamaBlock(8192, 64, 8, 28672) for _ in range(80)])
    r = estimate(stack, example_inputs=(torch.empty(1, 16, 8192, device="meta"),), hardware="h100", mode="train")
    assert r.params > 60e9 and r.flops.forward > 2 * 60e9 * 16 and not r.fits


@pytest.mark.parametrize("name", ["mlp", "llama_block", pytest.param("conv", marks=pytest.mark.xfail(
    reason="CPU oneDNN convolution backward allocates workspace the meta device does not see (docs/estimate-accuracy.md)",
    strict=False))])
def test_module_peak_training_memory_within_15_percent_of_profiler(name: str) -> None:
    model, x = _cases()[name]
    r = estimate_module(model, x, hardware="cpu", mode="train", optimizer="adamw", loss_fn=lambda out: out.float().sum())
    opt = torch.optim.AdamW(model.parameters())

    def step() -> None:
        opt.zero_grad(set_to_none=True)
        model(*x).float().sum().backward()
        opt.step()

    step()  # steady state: optimizer states exist before the measured step, as in every step after the first
    peak = peak_memory_bytes(step)
    if peak is None:
        pytest.skip("profiler memory events unavailable")
    weights = sum(p.numel() * p.element_size() for p in model.parameters())
    states = sum(t.numel() * t.element_size() for st in opt.state.values() for t in st.values() if torch.is_tensor(t))
    measured = weights + states + peak
    assert abs(r.memory.total / measured - 1) <= 0.15, (r.memory.to_dict(), measured)


def test_module_without_example_inputs_is_a_one_line_error() -> None:
    from sizeup.errors import SizeupError

    with pytest.raises(SizeupError, match="example_inputs"):
        estimate(nn.Linear(2, 2))


class _Attention(nn.Module):
    def __init__(self, dropout: float) -> None:
        super().__init__()
        self.proj, self.dropout = nn.Linear(16, 48), dropout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        q, k, v = self.proj(x).view(x.shape[0], x.shape[1], 3, 2, 8).permute(2, 0, 3, 1, 4)
        return torch.nn.functional.scaled_dot_product_attention(q, k, v, dropout_p=self.dropout if self.training else 0.0)


def test_attention_memory_follows_the_cpu_kernel_and_flops_still_count_it() -> None:
    from sizeup.estimation._module import profile_module

    x = (torch.randn(4, 128, 16),)
    flash, math = profile_module(_Attention(0.0), x), profile_module(_Attention(0.1), x)
    scores = 4 * 2 * 128 * 128 * 4  # b x heads x t x t floats: what the math kernel stores and flash does not
    assert math.saved_bytes - flash.saved_bytes >= scores
    assert flash.forward_flops == math.forward_flops > 2 * 2 * 4 * 2 * 128 * 128 * 8  # QKᵀ and AV are counted

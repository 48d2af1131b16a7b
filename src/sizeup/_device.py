"""Which device runs the work: one function resolves ``auto | cpu | cuda | cuda:N | mps`` and one describes it.

Every layer that touches a device (training, measurement, estimation, the search's workers) uses these, so
every figure names the same device the same way. The spelling is checked without importing torch, so the task
file can validate ``[train] device`` and ``[constraints] device`` at the boundary.
"""

from __future__ import annotations

import contextlib
import platform
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sizeup.errors import SizeupError

if TYPE_CHECKING:
    import torch
    from torch import nn

__all__ = ["DEVICE_CHOICES", "check_device_spec", "resolve_device", "describe_device", "device_name", "DeviceInfo",
           "available_devices", "visible_gpus", "worker_device", "default_workers", "synchronize", "module_device",
           "tf32_matmuls"]

DEVICE_CHOICES = "auto, cpu, cuda, cuda:N or mps"
_SPEC = re.compile(r"^(auto|cpu|mps|cuda(:\d+)?)$")


def check_device_spec(spec: str, *, what: str = "--device") -> str:
    """The spelling alone (no torch import): ``auto``, ``cpu``, ``cuda``, ``cuda:N`` or ``mps``."""
    text = str(spec).strip().lower()
    if not _SPEC.match(text):
        raise SizeupError(f"{what} {spec!r} is not a device; use {DEVICE_CHOICES}")
    return text


def visible_gpus() -> int:
    """CUDA devices this process sees (``CUDA_VISIBLE_DEVICES`` applies); 0 without CUDA."""
    import torch

    return torch.cuda.device_count() if torch.cuda.is_available() else 0


def _mps_available() -> bool:
    import torch

    return bool(getattr(torch.backends, "mps", None) and torch.backends.mps.is_available())


def resolve_device(spec: Any = "auto", *, what: str = "--device") -> torch.device:
    """``auto`` picks the best device present (a CUDA GPU, then Apple's MPS, then the CPU); a device that
    is named but absent is an error that says what is present."""
    import torch

    if isinstance(spec, torch.device):
        spec = str(spec)
    text = check_device_spec("auto" if spec is None else spec, what=what)
    if text == "auto":
        return torch.device("cuda", 0) if visible_gpus() else torch.device("mps") if _mps_available() else torch.device("cpu")
    if text == "cpu":
        return torch.device("cpu")
    if text == "mps":
        if not _mps_available():
            raise SizeupError(f"{what} mps: Apple's MPS backend is not available here; use {what} cpu or auto")
        return torch.device("mps")
    count = visible_gpus()
    index = int(text.partition(":")[2] or 0)
    if count == 0:
        built = f"built with CUDA {torch.version.cuda}" if torch.version.cuda else "a CPU-only build"
        raise SizeupError(f"{what} {text}: no CUDA GPU is visible here (torch {torch.__version__}, {built}); "
                          f"use {what} cpu or auto")
    if index >= count:
        raise SizeupError(f"{what} {text}: this machine has {count} visible GPU(s), cuda:0 to cuda:{count - 1}")
    return torch.device("cuda", index)


@dataclass(frozen=True)
class DeviceInfo:
    """What a figure was measured on. ``threads``: torch's intra-op threads (CPU work, and the host thread
    count that launches GPU kernels)."""

    device: str
    name: str
    threads: int
    memory_bytes: int | None = None
    driver: str | None = None
    cuda: str | None = None
    capability: str | None = None

    def __str__(self) -> str:
        if self.device == "cpu":
            return f"cpu: {self.name} ({self.threads} thread{'s' if self.threads != 1 else ''})"
        parts = [f"{self.memory_bytes / 2**30:.1f} GiB" if self.memory_bytes else None,
                 f"compute {self.capability}" if self.capability else None,
                 f"driver {self.driver}" if self.driver else None, f"CUDA {self.cuda}" if self.cuda else None]
        return f"{self.device}: {self.name} ({', '.join(p for p in parts if p)})"


def _cpu_model() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            cpu = next((ln.split(":", 1)[1].strip() for ln in fh if ln.startswith("model name")), cpu)
    except OSError:
        pass
    return cpu


def _nvidia_driver() -> str | None:
    """The kernel driver's version, from the file the driver itself writes (no subprocess, no NVML)."""
    try:
        with open("/proc/driver/nvidia/version", encoding="utf-8") as fh:
            match = re.search(r"Kernel Module(?: for \S+)?\s+(\d+(?:\.\d+)+)", fh.read())
    except OSError:
        return None
    return match.group(1) if match else None


def describe_device(device: Any = None, *, threads: int | None = None) -> DeviceInfo:
    """GPU model, memory, compute capability, driver and CUDA version; on a CPU its model and thread count."""
    import torch

    dev = resolve_device(device or "cpu")
    n = threads if threads is not None else torch.get_num_threads()
    if dev.type == "cuda":
        props = torch.cuda.get_device_properties(dev)
        return DeviceInfo(str(dev), props.name, n, int(props.total_memory), _nvidia_driver(), torch.version.cuda,
                          f"{props.major}.{props.minor}")
    if dev.type == "mps":
        memory = torch.mps.recommended_max_memory() if hasattr(torch.mps, "recommended_max_memory") else None
        return DeviceInfo("mps", f"Apple GPU ({platform.machine()})", n, memory)
    return DeviceInfo("cpu", _cpu_model(), n)


def device_name(device: Any = None, *, threads: int | None = None) -> str:
    """:func:`describe_device` as the one line every figure carries."""
    return str(describe_device(device, threads=threads))


def available_devices() -> list[str]:
    """Every kind of device present: ``cpu`` always, then ``cuda`` and ``mps`` where they are."""
    return ["cpu", *(["cuda"] if visible_gpus() else []), *(["mps"] if _mps_available() else [])]


def worker_device(index: int, spec: Any = "auto") -> str:
    """The device search worker ``index`` trains on: with an unnumbered ``cuda`` (or ``auto`` on a GPU
    machine), worker i takes GPU i mod the GPU count, so one worker per visible GPU covers every GPU once."""
    text = check_device_spec("auto" if spec is None else str(spec))
    dev = resolve_device(text)
    if dev.type != "cuda" or text.startswith("cuda:"):
        return str(dev)
    return f"cuda:{index % visible_gpus()}"


def default_workers(spec: Any = "auto") -> int:
    """One search worker per visible GPU when training on an unnumbered CUDA device; one otherwise."""
    text = check_device_spec("auto" if spec is None else str(spec))
    return visible_gpus() if text in ("auto", "cuda") and visible_gpus() else 1


def synchronize(device: torch.device) -> None:
    """Wait for the device's queued work, so a host clock reads finished work (a no-op on the CPU)."""
    import torch

    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


def module_device(model: nn.Module) -> torch.device:
    """Where ``model``'s parameters (or buffers) live; a module with neither runs on the CPU."""
    import torch

    for t in (*model.parameters(), *model.buffers()):
        return t.device
    return torch.device("cpu")


@contextlib.contextmanager
def tf32_matmuls(device: torch.device) -> Iterator[None]:
    """Float32 matmuls on TF32 tensor cores where the GPU has them (compute capability 8.0+, Ampere on), as
    Lightning recommends; the previous setting comes back afterwards. cuDNN convolutions use TF32 by default."""
    import torch

    if device.type != "cuda" or torch.cuda.get_device_capability(device)[0] < 8:
        yield
        return
    matmul = torch.backends.cuda.matmul
    new_api = hasattr(matmul, "fp32_precision")
    before = matmul.fp32_precision if new_api else matmul.allow_tf32
    if new_api:
        matmul.fp32_precision = "tf32"
    else:
        matmul.allow_tf32 = True
    try:
        yield
    finally:
        if new_api:
            matmul.fp32_precision = before
        else:
            matmul.allow_tf32 = before

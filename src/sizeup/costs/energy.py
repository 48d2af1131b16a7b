"""Energy of any block of work, measured where a counter is readable and estimated (and labelled so) where not.

    with energy_meter() as m:
        train(...)
    m.joules, m.seconds, m.watts, m.source   # source: "rapl", "nvml", "nvml+rapl" or "estimated (...)"

Counters, in order:
- NVML (``nvidia-ml-py``, the ``energy`` extra): ``nvmlDeviceGetTotalEnergyConsumption``, millijoules since the
  driver loaded, per GPU (Volta and newer); a 64-bit counter, it does not wrap.
- RAPL on Linux: ``/sys/class/powercap/intel-rapl:N/energy_uj`` of each CPU package (sub-domains such as
  ``intel-rapl:0:0`` are parts of the package and are not added again). The counter wraps at
  ``max_energy_range_uj``; a sampler thread reads it every ``poll_s`` so that no wrap is missed. Since Linux 5.10
  the file is readable by root only (CVE-2020-8694); a counter that cannot be read is reported, not guessed.
- Otherwise an estimate: this process's CPU time (user + system, threads and waited-for children) × a stated
  power per busy core. It is never a silent constant: the label gives the figure used and why no counter was read.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["energy_meter", "EnergyMeter", "rapl_domains", "DEFAULT_WATTS_PER_CORE"]

# A stated assumption, not a measurement: server CPUs draw about 3-10 W per busy core at their TDP
# (e.g. 350 W / 56 cores = 6.3 W for a Xeon 8480+); 10 W is the round upper end. Pass your own.
DEFAULT_WATTS_PER_CORE = 10.0


@dataclass
class _RaplDomain:
    path: Path
    name: str
    max_uj: int
    last_uj: int
    total_uj: int = 0

    def read(self) -> None:
        now = int((self.path / "energy_uj").read_text().strip())
        self.total_uj += now - self.last_uj if now >= self.last_uj else self.max_uj - self.last_uj + now
        self.last_uj = now


def rapl_domains(root: str | Path = "/sys/class/powercap") -> tuple[list[_RaplDomain], str | None]:
    """The readable package domains under ``root`` and, when there are none, why."""
    root = Path(root)
    dirs = sorted(p for p in root.glob("intel-rapl:*") if p.name.count(":") == 1) if root.is_dir() else []
    if not dirs:
        return [], f"no RAPL domains under {root}"
    domains = []
    try:
        for d in dirs:
            name = (d / "name").read_text().strip() if (d / "name").is_file() else d.name
            max_uj = int((d / "max_energy_range_uj").read_text().strip())
            domains.append(_RaplDomain(d, name, max_uj, int((d / "energy_uj").read_text().strip())))
    except (OSError, ValueError) as exc:
        return [], f"RAPL {d.name} not readable ({getattr(exc, 'strerror', None) or exc})"
    return domains, None


def _nvml_handles() -> tuple[object | None, list[object], str | None]:
    try:
        import pynvml  # the `energy` extra: nvidia-ml-py
    except ImportError:
        return None, [], "NVML not installed (pip install 'sizeup[energy]')"
    try:
        pynvml.nvmlInit()
        handles = [pynvml.nvmlDeviceGetHandleByIndex(i) for i in range(pynvml.nvmlDeviceGetCount())]
        for h in handles:
            pynvml.nvmlDeviceGetTotalEnergyConsumption(h)
    except Exception as exc:  # noqa: BLE001 - NVMLError has many subclasses; any of them means "not readable"
        return None, [], f"NVML not readable ({exc})"
    return (pynvml, handles, None) if handles else (None, [], "NVML sees no GPU")


def _cpu_seconds() -> float:
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


@dataclass
class EnergyMeter:
    """A context manager around any work; see the module docstring. Figures are set when the block exits."""

    rapl_root: str | Path = "/sys/class/powercap"
    use_nvml: bool = True
    watts_per_core: float = DEFAULT_WATTS_PER_CORE
    poll_s: float = 30.0
    joules: float = 0.0
    seconds: float = 0.0
    source: str = "not run"
    why: list[str] = field(default_factory=list)  # why a counter was not used

    def __enter__(self) -> EnergyMeter:
        self.why = []
        self._nvml, self._gpus, reason = _nvml_handles() if self.use_nvml else (None, [], "NVML not asked for")
        self.why += [reason] if reason else []
        self._rapl, reason = rapl_domains(self.rapl_root)
        self.why += [reason] if reason else []
        self._gpu_mj0 = [self._nvml.nvmlDeviceGetTotalEnergyConsumption(h) for h in self._gpus] if self._nvml else []
        self._stop, self._lock = threading.Event(), threading.Lock()
        self._sampler = threading.Thread(target=self._sample, daemon=True) if self._rapl else None
        if self._sampler:
            self._sampler.start()
        self._cpu0, self._t0 = _cpu_seconds(), time.perf_counter()
        return self

    def _sample(self) -> None:
        while not self._stop.wait(self.poll_s):
            self.sample()

    def sample(self) -> None:
        """Read the wrapping counters now (the sampler thread does this every ``poll_s``)."""
        with self._lock:
            for d in self._rapl:
                d.read()

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self._t0
        cpu = _cpu_seconds() - self._cpu0
        if self._sampler:
            self._stop.set()
            self._sampler.join()
            self.sample()
        parts, joules = [], 0.0
        if self._nvml:
            joules += sum(self._nvml.nvmlDeviceGetTotalEnergyConsumption(h) - e0
                          for h, e0 in zip(self._gpus, self._gpu_mj0)) / 1e3
            parts.append("nvml")
        if self._rapl:
            joules += sum(d.total_uj for d in self._rapl) / 1e6
            parts.append("rapl")
        if parts:
            self.joules, self.source = joules, "+".join(parts)
            return
        busy = cpu / self.seconds if self.seconds > 0 else 0.0
        self.joules = cpu * self.watts_per_core
        self.source = (f"estimated ({cpu:.3g} CPU-seconds × {self.watts_per_core:g} W per busy core, stated; "
                       f"{busy:.2f} cores busy on average; {'; '.join(self.why)})")

    @property
    def watts(self) -> float:
        return self.joules / self.seconds if self.seconds > 0 else 0.0

    @property
    def measured(self) -> bool:
        return not self.source.startswith("estimated")

    def joules_per(self, count: int) -> float:
        """Joules per item of ``count`` (e.g. predictions made inside the block; × 1000 for per 1,000)."""
        if count <= 0:
            raise ValueError(f"count must be positive, got {count!r}")
        return self.joules / count


def energy_meter(*, rapl_root: str | Path = "/sys/class/powercap", use_nvml: bool = True,
                 watts_per_core: float = DEFAULT_WATTS_PER_CORE, poll_s: float = 30.0) -> EnergyMeter:
    """``with energy_meter() as m: ...``; then ``m.joules``, ``m.seconds``, ``m.watts``, ``m.source``."""
    return EnergyMeter(rapl_root=rapl_root, use_nvml=use_nvml, watts_per_core=watts_per_core, poll_s=poll_s)

"""The bundled catalogs (JSON shipped in the package): open models' configs, hardware, API prices.

The ``cpu`` and ``cuda`` entries are this machine's, measured on first use, once per process: matmul
throughput per dtype and the bandwidth of a large device-to-device copy.
"""

from __future__ import annotations

import functools
import json
import os
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from sizeup.errors import SizeupError

__all__ = ["Hardware", "CatalogModel", "ApiPrice", "list_models", "list_hardware", "get_model", "get_hardware",
           "api_prices", "read_price_file", "custom_hardware", "DTYPE_BYTES"]

_DIR = Path(__file__).with_name("catalog")
DTYPE_BYTES: dict[str, float] = {"fp32": 4, "bf16": 2, "fp16": 2, "fp8": 1, "int8": 1, "int4": 0.5}
# Where a device has no tensor cores for a dtype, it runs on the next one that it has.
_FALLBACK = {"fp8": ["bf16", "fp16"], "int4": ["bf16", "fp16"], "int8": ["bf16", "fp16"],
             "bf16": ["fp16", "fp32"], "fp16": ["bf16", "fp32"], "tf32": ["fp32"], "fp32": []}


@dataclass(frozen=True)
class Hardware:
    name: str
    description: str
    memory_bytes: int
    bandwidth_gbs: float
    tflops: dict[str, float]
    interconnect_gbs: float
    usd_per_hour: float
    overhead_bytes: int
    source: str
    tdp_w: float | None = None  # board power limit (datasheet); None where unknown (cpu, custom)
    idle_w: float | None = None  # assumed idle draw; see the catalog's _about

    def peak_flops(self, dtype: str) -> tuple[float, str]:
        """Dense peak FLOP/s for ``dtype`` and the dtype it really runs in (after the fallback table)."""
        for d in [dtype, *_FALLBACK.get(dtype, [])]:
            if d in self.tflops:
                return self.tflops[d] * 1e12, d
        raise SizeupError(f"hardware {self.name!r} lists no throughput for {dtype}; add it to tflops")


@dataclass(frozen=True)
class CatalogModel:
    id: str
    hf_id: str
    config: dict[str, Any]
    official_params: float
    source: str
    official_active_params: float | None = None


@dataclass(frozen=True)
class ApiPrice:
    name: str
    provider: str
    usd_per_1m_input: float
    usd_per_1m_output: float
    source: str
    as_of: str
    kind: str = "commercial"  # or "hosted-open": open weights served by someone else
    model: str | None = None  # the open model a hosted-open entry serves (a catalog id)


def _load(name: str) -> dict[str, Any]:
    data = json.loads((_DIR / name).read_text(encoding="utf-8"))
    return {k: v for k, v in data.items() if not k.startswith("_")}


@functools.lru_cache(maxsize=None)
def _models() -> dict[str, CatalogModel]:
    return {k: CatalogModel(id=k, **v) for k, v in _load("models.json").items()}


def list_models() -> list[CatalogModel]:
    """The bundled open models (``sizeup estimate --list``)."""
    return list(_models().values())


def get_model(name: str) -> CatalogModel | None:
    return _models().get(name.lower())


def list_hardware() -> list[str]:
    return list(_load("hardware.json"))


def get_hardware(name: str, *, usd_per_hour: float | None = None) -> Hardware:
    """A catalog device by name (``cpu`` is measured here); ``usd_per_hour`` overrides the catalog price."""
    entries = _load("hardware.json")
    key = name.lower()
    if key not in entries:
        raise SizeupError(f"--hardware {name!r} is not in the catalog; choose one of: {', '.join(entries)} "
                          "(or give --gpu-mem, --tflops and --bandwidth)")
    e = entries[key]
    hw = _measured(key, e) if e.get("measured") else Hardware(
        name=key, description=e["description"], memory_bytes=int(e["memory_gib"] * 2**30),
        bandwidth_gbs=float(e["bandwidth_gbs"]), tflops=dict(e["tflops"]), interconnect_gbs=float(e["interconnect_gbs"]),
        usd_per_hour=float(e["usd_per_hour"]), overhead_bytes=int(e["overhead_gib"] * 2**30), source=e["source"],
        tdp_w=e.get("tdp_w"), idle_w=e.get("idle_w"))
    return replace(hw, usd_per_hour=usd_per_hour) if usd_per_hour is not None else hw


def custom_hardware(*, memory_gb: float, tflops: float, bandwidth_gbs: float, usd_per_hour: float | None) -> Hardware:
    """A device described on the command line; ``tflops`` is its dense 16-bit peak."""
    for flag, value in (("--gpu-mem", memory_gb), ("--tflops", tflops), ("--bandwidth", bandwidth_gbs)):
        if value is None or value <= 0:
            raise SizeupError(f"{flag} must be a positive number, got {value!r}; give all of --gpu-mem, --tflops, --bandwidth")
    return Hardware(
        name="custom", description=f"custom device ({memory_gb:g} GB, {tflops:g} TFLOP/s, {bandwidth_gbs:g} GB/s)",
        memory_bytes=int(memory_gb * 1e9), bandwidth_gbs=bandwidth_gbs,
        tflops={"bf16": tflops, "fp16": tflops, "fp32": tflops / 2}, interconnect_gbs=50.0,
        usd_per_hour=usd_per_hour or 0.0, overhead_bytes=int(0.5 * 2**30), source="given on the command line")


@functools.lru_cache(maxsize=1)
def _cpu_measured() -> tuple[int, float, dict[str, float]]:
    import torch

    def best_seconds(fn, repeats: int = 3) -> float:
        fn()
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
        return min(times)

    n = 512
    tflops: dict[str, float] = {}
    for name, dtype in (("fp32", torch.float32), ("bf16", torch.bfloat16)):
        a = torch.randn(n, n, dtype=dtype)
        tflops[name] = 2 * n**3 / best_seconds(lambda: a @ a) / 1e12
    src = torch.empty(32 * 2**20, dtype=torch.uint8)
    dst = torch.empty_like(src)
    bandwidth = 2 * src.numel() / best_seconds(lambda: dst.copy_(src)) / 1e9  # read + write
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return int(memory), bandwidth, tflops


@functools.lru_cache(maxsize=1)
def _cuda_measured() -> tuple[int, float, dict[str, float], str]:
    """GPU 0: dense matmul TFLOP/s in fp32 (TF32 off), tf32, bf16 and fp16 at n = 8192, and copy bandwidth.

    Each figure is the fastest of 5 timed calls after warm-up (CUDA events, ``sizeup.measurement.time_call``).
    """
    import torch

    from sizeup._device import describe_device, visible_gpus
    from sizeup.measurement import time_call

    if not visible_gpus():
        raise SizeupError("--hardware cuda measures this machine's GPU, and none is visible here; choose a catalog "
                          "GPU such as h100 (sizeup estimate --list) or --hardware cpu")
    dev = torch.device("cuda", 0)
    best = lambda fn: min(time_call(fn, warmup=2, min_repeats=5, budget_s=0.0, device=dev))  # noqa: E731
    n, tflops = 8192, {}
    matmul = torch.backends.cuda.matmul
    new_api = hasattr(matmul, "fp32_precision")
    before = matmul.fp32_precision if new_api else matmul.allow_tf32
    try:
        for name, dtype, tf32 in (("fp32", torch.float32, False), ("tf32", torch.float32, True),
                                  ("bf16", torch.bfloat16, True), ("fp16", torch.float16, True)):
            if name == "bf16" and not torch.cuda.is_bf16_supported():
                continue
            if new_api:
                matmul.fp32_precision = "tf32" if tf32 else "ieee"
            else:
                matmul.allow_tf32 = tf32
            a = torch.randn(n, n, dtype=dtype, device=dev)
            tflops[name] = 2 * n**3 / best(lambda: a @ a) / 1e12
            del a
    finally:
        if new_api:
            matmul.fp32_precision = before
        else:
            matmul.allow_tf32 = before
    src = torch.empty(2**30, dtype=torch.uint8, device=dev)
    dst = torch.empty_like(src)
    bandwidth = 2 * src.numel() / best(lambda: dst.copy_(src)) / 1e9  # read + write
    del src, dst
    torch.cuda.empty_cache()
    info = describe_device(dev)
    return int(info.memory_bytes or 0), bandwidth, tflops, str(info)


def _measured(key: str, e: dict[str, Any]) -> Hardware:
    if key == "cuda":
        memory, bandwidth, tflops, description = _cuda_measured()
        description = f"this machine's GPU, measured: {description}"
    else:
        (memory, bandwidth, tflops), description = _cpu_measured(), e["description"]
    return Hardware(name=key, description=description, memory_bytes=memory, bandwidth_gbs=round(bandwidth, 1),
                    tflops={k: round(v, 4) for k, v in tflops.items()}, interconnect_gbs=float(e["interconnect_gbs"]),
                    usd_per_hour=float(e["usd_per_hour"]), overhead_bytes=int(e["overhead_gib"] * 2**30),
                    source=e["source"])


def api_prices(overrides: dict[str, dict[str, Any]] | None = None, *, origin: str = "api_prices") -> list[ApiPrice]:
    """Bundled API prices, with the user's entries (same keys) added or replacing them."""
    entries = {**_load("api_prices.json"), **(overrides or {})}
    return [_api_price(k, v, origin) for k, v in entries.items()]


def _api_price(name: str, v: Any, origin: str) -> ApiPrice:
    try:
        price = ApiPrice(name=name, provider=str(v.get("provider") or "?"),
                         usd_per_1m_input=float(v["usd_per_1m_input"]), usd_per_1m_output=float(v["usd_per_1m_output"]),
                         source=str(v.get("source") or "user"), as_of=str(v.get("as_of") or "?"),
                         kind=str(v.get("kind") or "commercial"), model=v.get("model") or None)
    except (AttributeError, KeyError, TypeError, ValueError):
        raise SizeupError(f"{origin}: price {name!r} needs numbers usd_per_1m_input and usd_per_1m_output") from None
    if price.usd_per_1m_input < 0 or price.usd_per_1m_output < 0:
        raise SizeupError(f"{origin}: price {name!r} is negative; give USD per 1M tokens ≥ 0")
    if price.kind not in ("commercial", "hosted-open"):
        raise SizeupError(f"{origin}: price {name!r} has kind {price.kind!r}; use commercial or hosted-open")
    return price


def read_price_file(path: str | Path) -> dict[str, dict[str, Any]]:
    """A user's price file: JSON ``{name: {usd_per_1m_input, usd_per_1m_output, ...}}`` or CSV with a ``name``
    column and the same keys as columns. Entries add to the bundled catalog or replace those of the same name."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SizeupError(f"--price-file {path}: cannot read it ({exc.strerror}); give a .json or .csv file") from None
    if path.suffix.lower() == ".csv":
        import csv

        rows = list(csv.DictReader(text.splitlines()))
        if not rows or "name" not in rows[0]:
            raise SizeupError(f"--price-file {path}: a CSV needs a header with name,usd_per_1m_input,usd_per_1m_output")
        entries = {r["name"]: {k: v for k, v in r.items() if k != "name" and v not in (None, "")} for r in rows}
    else:
        try:
            entries = json.loads(text)
        except json.JSONDecodeError as exc:
            raise SizeupError(f"--price-file {path}: not valid JSON ({exc.msg} at line {exc.lineno})") from None
        if not isinstance(entries, dict):
            raise SizeupError(f"--price-file {path}: expected a JSON object of name -> price entry")
        entries = {k: v for k, v in entries.items() if not k.startswith("_")}
    for name, v in entries.items():
        _api_price(name, v, f"--price-file {path}")  # every entry is checked now, naming the file
    return entries

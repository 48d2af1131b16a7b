"""``sizeup.cost``: for a traffic pattern and a latency target, what self-hosting costs on each device and what
every API in the catalog would bill, with the break-even between them and the energy of the fleet."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

from sizeup.costs._capacity import choose_point, fleet
from sizeup.costs._compare import api_options, breakevens
from sizeup.costs._power import serving_energy
from sizeup.costs._serving import Replica, ServingEfficiency
from sizeup.costs._types import CostResult, HardwareOption
from sizeup.costs.traffic import Slo, Traffic, parse_slo, parse_traffic
from sizeup.errors import SizeupError
from sizeup.estimation import Hardware, api_prices, estimate, get_hardware, read_price_file

__all__ = ["cost", "DEFAULT_HARDWARE"]

DEFAULT_HARDWARE = ("h100", "a100-80gb", "l4")
_TP_CHOICES = (1, 2, 4, 8)  # within one NVLink node


def cost(model: str | Path, *, traffic: str | Traffic, slo: str | Slo | None = None,
         hardware: str | list[str] | tuple[str, ...] = DEFAULT_HARDWARE, dtype: str = "bf16", kv_dtype: str | None = None,
         price_file: str | Path | None = None, quality: dict[str, float] | None = None,
         gpu_price: float | dict[str, float] | None = None, tp: int | None = None, max_batch: int | None = None,
         grid: str | float | None = None, pue: float = 1.0, efficiency: ServingEfficiency | None = None) -> CostResult:
    """Serve ``model`` (a catalog id or a Hugging Face config, as for :func:`sizeup.estimate`) at ``traffic``.

    ``traffic``: ``"tokens_per_day=2e7, input=500, output=200, peak=3"``; ``slo``: ``"ttft_p95=1s, tpot=50ms"``.
    ``hardware``: devices to compare (comma-separated or a list). ``gpu_price``: USD per device-hour, one number
    or per device, over the catalog's. ``quality``: your benchmark scores by option ("self", a device name, an API
    name, or an open model id, which also scores the APIs hosting it). ``tp``: devices per replica (default: the
    fewest that hold the weights). ``grid``: a region of the bundled table or g CO₂ per kWh.
    """
    t, target = parse_traffic(traffic), parse_slo(slo)
    eff = efficiency or ServingEfficiency()
    quality = dict(quality or {})
    names = [h.strip().lower() for h in (hardware.split(",") if isinstance(hardware, str) else hardware) if h.strip()]
    if not names:
        raise SizeupError("--hardware names no device; give e.g. --hardware h100,a100-80gb,l4")
    prices = api_prices(read_price_file(price_file) if price_file else None)
    options, capacity, model_name, params = [], {}, str(model), 0
    for name in names:
        hw = get_hardware(name, usd_per_hour=_price_for(gpu_price, name))
        option, rep, cap, est = _option(model, hw, t, target, dtype=dtype, kv_dtype=kv_dtype, tp=tp,
                                        max_batch=max_batch, eff=eff, grid=grid, pue=pue)
        model_name, params = est.model, est.params
        option.quality = quality.get(name, quality.get("self"))
        options.append(option)
        if cap:
            capacity[name] = cap
    apis = api_options(prices, t, {**quality, **({model_name: quality["self"]} if "self" in quality else {})})
    feasible = [o for o in options if o.meets_slo]
    candidates = [(o.usd_per_month, o.name) for o in feasible] + [(a.usd_per_month, a.name) for a in apis]
    notes = [] if feasible else [f"no device in {', '.join(names)} meets the SLO for {model_name}; relax --slo or add hardware"]
    return CostResult(model=model_name, params=params, traffic=t, slo=target, options=options, apis=apis,
                      breakeven=breakevens(feasible, prices, t, capacity),
                      efficiency={**asdict(eff.roofline), **{k: v for k, v in asdict(eff).items() if k != "roofline"}},
                      cheapest=min(candidates)[1], notes=notes)


def _price_for(gpu_price: float | dict[str, float] | None, name: str) -> float | None:
    if isinstance(gpu_price, dict):
        return gpu_price.get(name)
    return gpu_price


def _replica(model: str | Path, hw: Hardware, t: Traffic, *, dtype: str, kv_dtype: str | None, tp: int,
             eff: ServingEfficiency) -> tuple[Replica, Any]:
    kv = kv_dtype or (dtype if dtype in ("bf16", "fp16", "fp32", "fp8") else "bf16")
    est = estimate(model, hardware=hw, dtype=dtype, kv_dtype=kv, batch=1, seq=t.input + t.output, tp=tp, gpus=tp)
    if est.shape is None or not est.shape.get("causal", False):
        raise SizeupError(f"{model}: sizeup cost prices generating models (decoders); {est.model} is not one")
    return Replica.from_estimate(est, hw, eff, context=t.input + t.output), est


def _option(model: str | Path, hw: Hardware, t: Traffic, slo: Slo, *, dtype: str, kv_dtype: str | None,
            tp: int | None, max_batch: int | None, eff: ServingEfficiency, grid: str | float | None,
            pue: float) -> tuple[HardwareOption, Replica, float | None, Any]:
    """One device: the fewest devices per replica that hold a sequence, then the SLO's batch and the fleet."""
    for n in ([tp] if tp else _TP_CHOICES):
        rep, est = _replica(model, hw, t, dtype=dtype, kv_dtype=kv_dtype, tp=n, eff=eff)
        point = choose_point(rep, t, slo, max_batch=max_batch)
        if (point is not None and point.meets_slo) or tp or est.shape["heads"] % (n * 2):
            break
    base = dict(hardware=hw.name, description=hw.description, dtype=rep.dtype, kv_dtype=rep.kv_dtype, tp=rep.tp,
                usd_per_gpu_hour=hw.usd_per_hour)
    if point is None:
        need = (rep.fixed_bytes + rep.kv_bytes_per_token * (t.input + t.output)) / eff.kv_memory_fraction / 2**30
        note = (f"one sequence of {t.input + t.output} tokens needs {need:,.1f} GiB per device at TP={rep.tp}; "
                f"{hw.name} has {hw.memory_bytes / 2**30:,.1f} GiB")
        return HardwareOption(**base, fits=False, meets_slo=False, point=None, replicas=0, gpus=0, utilisation=0.0,
                              usd_per_month=0.0, usd_per_1m_tokens=None, usd_per_1m_output_full_load=None,
                              energy=None, notes=[note]), rep, None, est
    f = fleet(point, t, tp=rep.tp, usd_per_gpu_hour=hw.usd_per_hour)
    notes = [] if point.meets_slo else [f"even batch 1 misses the SLO ({point.limited_by}: TTFT "
                                        f"{point.ttft_s * 1e3:,.0f} ms, TPOT {point.tpot_s * 1e3:,.1f} ms)"]
    energy = serving_energy(rep, point, t, gpus=f["gpus"], utilisation=f["utilisation"], grid=grid, pue=pue)
    if energy is None:
        notes.append(f"{hw.name} lists no board power (tdp_w); energy not estimated")
    option = HardwareOption(**base, fits=True, meets_slo=point.meets_slo, point=point,
                            replicas=f["replicas"], gpus=f["gpus"], utilisation=f["utilisation"],
                            usd_per_month=f["usd_per_month"], usd_per_1m_tokens=f["usd_per_1m_tokens"],
                            usd_per_1m_output_full_load=f["usd_per_1m_output_full_load"], energy=energy, notes=notes)
    return option, rep, f["capacity_rps"], est

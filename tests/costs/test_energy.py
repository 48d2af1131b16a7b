"""The energy meter: RAPL parsed from files in the sysfs format, wrap-around, unreadable counters, and the
labelled estimate this machine falls back to."""

from __future__ import annotations

from pathlib import Path

import pytest

from sizeup.costs import energy_meter


def _domain(root: Path, name: str, label: str, energy_uj: int, max_uj: int = 262_143_328_850) -> Path:
    d = root / name
    d.mkdir(parents=True)
    (d / "name").write_text(label + "\n")
    (d / "energy_uj").write_text(f"{energy_uj}\n")
    (d / "max_energy_range_uj").write_text(f"{max_uj}\n")
    return d


def test_rapl_adds_packages_and_skips_their_sub_domains(tmp_path) -> None:
    p0 = _domain(tmp_path, "intel-rapl:0", "package-0", 1_000_000)
    p1 = _domain(tmp_path, "intel-rapl:1", "package-1", 5_000_000)
    core = _domain(tmp_path, "intel-rapl:0:0", "core", 0)
    with energy_meter(rapl_root=tmp_path, use_nvml=False) as m:
        (p0 / "energy_uj").write_text("3500000\n")  # +2.5 J
        (p1 / "energy_uj").write_text("5500000\n")  # +0.5 J
        (core / "energy_uj").write_text("9000000\n")  # part of package-0: not added again
    assert m.source == "rapl" and m.measured
    assert m.joules == pytest.approx(3.0)
    assert m.seconds > 0 and m.watts == pytest.approx(m.joules / m.seconds)


def test_rapl_counter_wrap_around_is_counted_once(tmp_path) -> None:
    d = _domain(tmp_path, "intel-rapl:0", "package-0", 999_000_000, max_uj=1_000_000_000)
    with energy_meter(rapl_root=tmp_path, use_nvml=False) as m:
        (d / "energy_uj").write_text("2000000\n")  # wrapped: 1 J to the top, then 2 J
    assert m.joules == pytest.approx(3.0)


def test_sampling_between_wraps_counts_each_wrap(tmp_path) -> None:
    d = _domain(tmp_path, "intel-rapl:0", "package-0", 0, max_uj=10_000_000)
    with energy_meter(rapl_root=tmp_path, use_nvml=False, poll_s=3600) as m:
        for value in (9_000_000, 1_000_000, 9_000_000, 1_000_000):  # wraps twice; sampled between the wraps
            (d / "energy_uj").write_text(f"{value}\n")
            m.sample()
    assert m.joules == pytest.approx(21.0)


def test_an_unreadable_counter_falls_back_to_a_labelled_estimate(tmp_path) -> None:
    d = _domain(tmp_path, "intel-rapl:0", "package-0", 0)
    (d / "energy_uj").unlink()
    (d / "energy_uj").mkdir()  # reading it fails with an OSError, as a root-only file does for a user
    with energy_meter(rapl_root=tmp_path, use_nvml=False, watts_per_core=8.0) as m:
        sum(i * i for i in range(200_000))
    assert not m.measured
    assert m.source.startswith("estimated (") and "8 W per busy core" in m.source
    assert "RAPL intel-rapl:0 not readable" in m.source
    assert m.joules > 0


def test_this_machine_without_counters_estimates_from_cpu_time_and_says_why(tmp_path) -> None:
    with energy_meter(rapl_root=tmp_path / "none") as m:
        sum(i * i for i in range(300_000))
    assert m.source.startswith("estimated (") and "no RAPL domains" in m.source
    cpu_seconds = m.joules / 10.0
    assert 0 < cpu_seconds <= m.seconds * 4  # at most the cores a process can keep busy here
    assert m.joules_per(1000) == pytest.approx(m.joules / 1000)
    with pytest.raises(ValueError, match="count must be positive"):
        m.joules_per(0)

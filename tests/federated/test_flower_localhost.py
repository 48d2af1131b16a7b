"""The exported Flower app run for real: a SuperLink and two SuperNodes on localhost, each its own process holding
only its own rows, insecure mode on free loopback ports; its final quality against the in-process simulation."""

from __future__ import annotations

import pytest

pytest.importorskip("flwr", reason="Flower is not installed (pip install 'sizeup[federated]')")


@pytest.mark.slow
def test_the_flower_deployment_reaches_the_simulations_quality(cli_run):
    from sizeup.errors import MissingExtraError
    from sizeup.federated.localrun import FlowerUnavailable, run_locally

    root = cli_run["root"]
    try:
        summary = run_locally(root / "app", root / "parts", out_dir=root / "flower-run", clients=2, timeout=600,
                              logs=root / "flower-logs")
    except (FlowerUnavailable, MissingExtraError) as exc:
        pytest.skip(f"Flower cannot start here: {exc}")
    simulated = cli_run["train"]
    assert summary["rounds"] == 2 and summary["clients"] == 2
    assert abs(summary["test_accuracy"] - simulated["test_accuracy"]) <= 0.01  # within 1 point
    assert summary["bytes_total"] == simulated["bytes_total"]
    assert (root / "flower-run" / "model" / "model.safetensors").is_file()

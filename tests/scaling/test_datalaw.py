"""The Chinchilla refit (Besiroglu et al. 2024) as a test of the two-variable fit: their recipe recovers their
estimates within their standard errors. One initialisation near the 3^5 grid's best keeps it fast; the
benchmark (benchmarks/scaling.py) runs the whole grid."""

from __future__ import annotations

from pathlib import Path

import pytest

from sizeup.errors import SizeupError
from sizeup.scaling import fit_data_law, read_loss_points

POINTS = Path(__file__).with_name("data") / "chinchilla-points.csv"
PUBLISHED = {"E": (1.817, 0.026), "A": (482.0, 125.0), "B": (2085.0, 1293.0), "alpha": (0.348, 0.015),
             "beta": (0.366, 0.021)}
ONE_START = ((10.0,), (10.0,), (0.0,), (0.5,), (0.5,))  # (a, b, e, α, β): a point of the 3^5 grid


def test_refit_recovers_besiroglu_et_al_within_their_standard_errors():
    n, d, loss = read_loss_points(str(POINTS), drop_highest=5)
    assert len(n) == 240
    law = fit_data_law(n, d, loss, grid=ONE_START)
    for name, (mean, se) in PUBLISHED.items():
        assert abs(getattr(law, name) - mean) <= se, (name, getattr(law, name))
    assert law.E == pytest.approx(1.817, abs=2e-3) and law.alpha == pytest.approx(0.347, abs=2e-3)


def test_keeping_the_five_highest_losses_moves_beta_out_of_the_interval():
    law = fit_data_law(*read_loss_points(str(POINTS)), grid=ONE_START)
    assert law.n_points == 245
    assert law.beta > 0.366 + 0.021


def test_a_missing_column_is_named_with_the_columns_there(tmp_path):
    bad = tmp_path / "runs.csv"
    bad.write_text("N,loss\n1,2\n")
    with pytest.raises(SizeupError, match="has no column 'Model Size'; its columns are: N, loss"):
        read_loss_points(str(bad))

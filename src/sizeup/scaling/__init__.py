"""Scaling: fit how quality grows with size from a few cheap runs, and forecast the quality and the cost of
sizes nobody has trained yet.

:func:`scale` trains a family at geometrically spaced sizes and fits error = E + A·N^−α against parameters
and training compute; :func:`fit_leaderboard` runs the same fit over a finished search's completed trials,
per family; :func:`fit_power_law` and :func:`fit_data_law` are the fits themselves (the second is the
two-variable L(N, D) = E + A/N^α + B/D^β of Hoffmann et al. 2022).
"""

from __future__ import annotations

from sizeup.scaling._board import BoardScaling, fit_leaderboard
from sizeup.scaling._costs import SizeCost
from sizeup.scaling._datalaw import DataLaw, fit_data_law, read_loss_points
from sizeup.scaling._family import FamilyFit, Forecast, fit_family
from sizeup.scaling._impl import SCALING, ScaleResult, scale
from sizeup.scaling._powerlaw import PowerLaw, fit_power_law
from sizeup.scaling._quality import Quality
from sizeup.scaling._runs import SizeRun

__all__ = ["scale", "ScaleResult", "SizeRun", "SizeCost", "Forecast", "FamilyFit", "fit_family", "PowerLaw",
           "fit_power_law", "Quality", "SCALING", "DataLaw", "fit_data_law", "read_loss_points", "fit_leaderboard", "BoardScaling"]

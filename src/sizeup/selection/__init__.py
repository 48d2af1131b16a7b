"""Model search: an Optuna study over families, sizes and training settings, with a recommendation."""

from __future__ import annotations

from sizeup.selection._impl import SearchProgress, SearchResult, search
from sizeup.selection.leaderboard import leaderboard, pareto_front
from sizeup.selection.recommend import Recommendation, recommend
from sizeup.selection.workers import WorkResult, work

__all__ = ["search", "SearchResult", "SearchProgress", "Recommendation", "recommend", "leaderboard", "pareto_front",
           "work", "WorkResult"]

"""Model search: an Optuna study over families, sizes and training settings, with a recommendation."""

from __future__ import annotations

from sizeup.search._impl import SearchProgress, SearchResult, search
from sizeup.search.leaderboard import leaderboard, pareto_front
from sizeup.search.recommend import Recommendation, recommend

__all__ = ["search", "SearchResult", "SearchProgress", "Recommendation", "recommend", "leaderboard", "pareto_front"]

from sizeup._callable import make_module_callable  # noqa: E402

make_module_callable(__name__, search)

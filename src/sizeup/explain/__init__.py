"""Explanations of a trained model: Integrated Gradients (Captum), attention maps, the confusion matrix
and the most confidently wrong test examples, added to the run's report."""

from __future__ import annotations

from sizeup.explain._impl import Explanation, explain

__all__ = ["explain", "Explanation"]

from sizeup._callable import make_module_callable  # noqa: E402

make_module_callable(__name__, explain)

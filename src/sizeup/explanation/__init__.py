"""Explanations of a trained model: Integrated Gradients (Captum), attention maps, the confusion matrix
and the most confidently wrong test examples, added to the run's report."""

from __future__ import annotations

from sizeup.explanation._impl import Explanation, explain

__all__ = ["explain", "Explanation"]

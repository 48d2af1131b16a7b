"""Privacy: differential privacy (DP-SGD through Opacus) as a training option and a search constraint.

PII masking of text lives in the data layer (:mod:`sizeup.data.pii`), since it prepares data before anything
learns from it. Opacus is imported only when DP-SGD is used (the ``privacy`` extra).
"""

from __future__ import annotations

from sizeup.privacy.curve import CurvePoint, PrivacyCurve, privacy_curve, recommended_model
from sizeup.privacy.accounting import NoisePlan, compose_search, epsilon_spent, solve_noise
from sizeup.privacy.plugin import DPSGDPlugin
from sizeup.privacy.run import train_private, with_epsilon
from sizeup.privacy.settings import plugin_for, private_config, run_budget
from sizeup.privacy.support import PRIVATE_KNOBS, private_knobs, why_not_private

__all__ = ["privacy_curve", "PrivacyCurve", "CurvePoint", "recommended_model", "DPSGDPlugin", "NoisePlan", "solve_noise", "epsilon_spent", "compose_search", "train_private",
           "with_epsilon", "plugin_for", "private_config", "run_budget", "PRIVATE_KNOBS", "private_knobs",
           "why_not_private"]

"""Lazy imports of optional dependencies, each with a one-line install hint (Optuna's ``try_import`` idea)."""

from __future__ import annotations

import importlib
from types import ModuleType

from sizeup.errors import MissingExtraError

__all__ = ["optional_import"]


def optional_import(module: str, *, extra: str | None, feature: str, hint: str | None = None) -> ModuleType:
    """Import ``module`` or raise a one-line error telling which sizeup extra (or ``hint``) installs it."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        fix = hint or f"install it with: pip install 'sizeup[{extra}]'"
        raise MissingExtraError(f"{feature} needs the package '{module.split('.')[0]}' ({exc.msg}); {fix}") from None

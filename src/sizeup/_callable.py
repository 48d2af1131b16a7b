"""Let a module double as its verb: ``sizeup.search(task)`` works even after ``import sizeup.search.x``.

Importing a submodule binds the package attribute to the module, which would shadow the function of
the same name; making the module itself callable keeps the one public spelling working either way.
"""

from __future__ import annotations

import sys
import types
from typing import Any, Callable

__all__ = ["make_module_callable"]


def make_module_callable(module_name: str, fn: Callable[..., Any]) -> None:
    class _VerbModule(types.ModuleType):
        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            return fn(*args, **kwargs)

    sys.modules[module_name].__class__ = _VerbModule

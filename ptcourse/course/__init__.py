"""What the course delivers: exercise checkers, dials, widgets, pictures, glue, doctor.

This layer imports the core (``ptcourse.*``) and the toy world (``ptcourse.toy``); neither imports
it. Its public submodules (the folder's own files) load on first use, so ``import ptcourse.course``
imports nothing heavy.
"""

from __future__ import annotations

import importlib
import pkgutil

_MODULES = frozenset(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_"))


def __getattr__(name: str):
    if name in _MODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'ptcourse.course' has no attribute {name!r}")

"""What the course delivers: exercise checkers, dials, widgets, pictures, glue, doctor.

This layer imports the core (``ptcourse.*``) and the toy world (``ptcourse.toy``); neither of them ever
imports it. Submodules load on first use, so ``import ptcourse.course`` imports nothing heavy.
"""

from __future__ import annotations

import importlib

_MODULES = {"check", "dials", "doctor", "glue", "viz", "widgets"}


def __getattr__(name: str):
    if name in _MODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'ptcourse.course' has no attribute {name!r}")

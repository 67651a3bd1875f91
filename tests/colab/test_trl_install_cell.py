"""The TRL install cell of a chapter pins the TRL of requirements.lock.

`make notebooks` runs a notebook with that cell in the dev venv's kernel (the Colab-faithful kernel
reaches no index, and Colab has no TRL), so the two versions must be the same one: what the learner's
cell installs is what CI ran.
"""

from __future__ import annotations

import re
from pathlib import Path

from colab_check import lock_pins  # press/, on sys.path (tests/conftest.py)

ROOT = Path(__file__).resolve().parents[2]


def test_the_trl_install_cell_pins_the_locked_trl():
    chapters = [p for p in sorted((ROOT / "book").glob("0*.md")) if "Installs TRL" in p.read_text()]
    assert chapters, "no chapter has the TRL install cell"
    for chapter in chapters:
        pins = re.findall(r'^TRL = "([^"]+)"', chapter.read_text(), re.M)
        assert pins == [lock_pins()["trl"]], (chapter.name, pins)

"""Run one of the build's node scripts: a JSON request on stdin, a JSON reply on stdout.

The math pre-rendering (``prerender_math.cjs``, MathJax) and the CSS trimming (``trim_css.cjs``,
PurgeCSS) both run this way; a script that fails stops the build with its stderr.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from sphinx.errors import ExtensionError


def run_json(node: str, script: Path, request: dict, what: str) -> dict:
    """``script``'s JSON reply to ``request``; an ExtensionError naming ``what`` when it fails."""
    done = subprocess.run(
        [node, str(script)],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        encoding="utf8",
        check=False,
    )
    if done.returncode != 0:
        raise ExtensionError(
            f"{what} failed ({done.returncode}): {done.stderr[-2000:].strip()}"
            " -- is node installed and `make vendor` (npm ci) done?"
        )
    return json.loads(done.stdout)

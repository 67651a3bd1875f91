"""``PYTHONPATH=press python -m quiz [--check]``: write (or check) the answer-key page of the book."""

from __future__ import annotations

import sys
from pathlib import Path

from . import KEY_PAGE, key_markdown


def main(argv: list[str] | None = None) -> int:
    """Write ``book/quiz_key.md`` under the current directory; ``--check`` only compares."""
    argv = sys.argv[1:] if argv is None else argv
    path = Path(KEY_PAGE)
    if "--check" in argv:
        current = path.exists() and path.read_text(encoding="utf-8") == key_markdown()
        print(
            f"{path}: {'up to date' if current else 'out of date (PYTHONPATH=press python -m quiz)'}"
        )
        return 0 if current else 1
    path.write_text(key_markdown(), encoding="utf-8")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Key myst-nb's execution cache on the package: wipe it when ptcourse's sources changed.

``make book`` executes the chapters through jupyter-cache (``execute_notebooks: cache`` in
``_config.yml``), which keys an executed notebook on its code cells only. A chapter whose code did not
change but whose package did (a core loss, the toy's training loop) would reuse stale outputs and
stale glued numbers. ``python tools/book_cache.py CACHE_DIR`` runs before the build: it hashes every
file of ``ptcourse/`` (names and bytes) and, when the hash differs from the one the previous build
stamped next to it (``CACHE_DIR.ptcourse-sources``; or no stamp is there), removes ``CACHE_DIR`` so
every chapter executes again; then it stamps the new hash. The stamp lives beside the cache, not in
it, so jupyter-cache's own directory holds only what jupyter-cache wrote. It only ever removes a jupyter-cache directory
(``.jupyter_cache``), which the book build itself wrote.
"""

from __future__ import annotations

import hashlib
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "ptcourse"
STAMP_SUFFIX = ".ptcourse-sources"
DEFAULT_CACHE = ROOT / "_build" / ".jupyter_cache"  # Jupyter Book 1's default execution cache


def package_hash(package: Path = PACKAGE) -> str:
    """SHA-256 of every file under ``package`` (relative name and bytes), caches excluded."""
    h = hashlib.sha256()
    for path in sorted(p for p in package.rglob("*") if p.is_file()):
        if "__pycache__" in path.parts or path.suffix == ".pyc":
            continue
        h.update(path.relative_to(package).as_posix().encode() + b"\0")
        h.update(path.read_bytes())
    return h.hexdigest()


def refresh(cache: Path, package: Path = PACKAGE) -> bool:
    """Remove ``cache`` if it was built from other package sources; stamp the current hash.

    Returns True when the cache was removed.
    """
    if cache.name != ".jupyter_cache":
        raise ValueError(
            f"refusing to manage {cache}: not a jupyter-cache directory (.jupyter_cache)"
        )
    digest = package_hash(package)
    stamp = stamp_path(cache)
    cleared = False
    if cache.exists() and (not stamp.is_file() or stamp.read_text().strip() != digest):
        shutil.rmtree(cache)
        # Sphinx re-reads (and so re-executes) only the documents it thinks changed: drop its
        # environment too, or chapters whose text did not change keep their old outputs.
        doctrees = cache.with_name(".doctrees")
        if (doctrees / "environment.pickle").is_file():
            shutil.rmtree(doctrees)
        cleared = True
    stamp.parent.mkdir(parents=True, exist_ok=True)
    stamp.write_text(digest + "\n")
    return cleared


def stamp_path(cache: Path) -> Path:
    """The file beside ``cache`` that records which package sources it was built from."""
    return cache.with_name(cache.name + STAMP_SUFFIX)


def is_current(cache: Path, package: Path = PACKAGE, digest: str | None = None) -> bool:
    """True when ``cache`` exists and was built from the current package sources (its stamp).

    ``digest``: ``package_hash(package)`` when the caller has it already (hashing reads every file).
    """
    stamp = stamp_path(cache)
    if not (cache.is_dir() and stamp.is_file()):
        return False
    return stamp.read_text().strip() == (digest or package_hash(package))


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_CACHE
    if refresh(target):
        print(
            f"book_cache: ptcourse changed, cleared {target} (every chapter re-executes)",
            file=sys.stderr,
        )

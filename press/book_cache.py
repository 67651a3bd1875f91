"""Key myst-nb's execution cache on the package: wipe it when ptcourse's sources changed.

``make book`` executes the chapters through jupyter-cache (``execute_notebooks: cache`` in
``_config.yml``), which keys an executed notebook on its code cells only. A chapter whose code did not
change but whose package did (a core loss, the toy's training loop) would reuse stale outputs and
stale glued numbers. ``python press/book_cache.py CACHE_DIR`` runs before the build: it hashes every
file of ``ptcourse/`` (names and bytes) and, when the hash differs from the one the previous build
stamped next to it (``CACHE_DIR.ptcourse-sources``; or no stamp is there), removes ``CACHE_DIR`` so
every chapter executes again; then it stamps the new hash. The stamp lives beside the cache, not in
it, so jupyter-cache's own directory holds only what jupyter-cache wrote. It only ever removes a jupyter-cache directory
(``.jupyter_cache``), which the book build itself wrote.

``--prewarm`` then executes every chapter that the cache does not hold yet, two at a time (one
process each; the chapters run their toy models on one thread, so a 2-core machine runs two at
once), and stores each in the cache exactly as myst-nb would (``single_nb_execution`` in the
chapter's folder, the same reader, the same per-cell timeout). The build that follows finds every
chapter cached and only renders; a chapter that fails here is left out, and the build executes it
again and reports its error as usual.
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


def _execute(uri: str, timeout: int):
    """Execute one chapter as myst-nb's cache mode does; return (uri, notebook, seconds, error)."""
    from jupyter_cache.executors.utils import single_nb_execution
    from myst_nb.core.read import myst_nb_reader_plugin

    nb = myst_nb_reader_plugin(uri)
    result = single_nb_execution(
        nb, cwd=str(Path(uri).parent), timeout=timeout, allow_errors=False, meta_override=True
    )
    return uri, nb, result.time, (result.exc_string if result.err is not None else None)


def prewarm(
    cache_dir: Path, sources: list[Path], timeout: int, workers: int = 2
) -> dict[str, float]:
    """Execute the ``sources`` the cache does not match yet, ``workers`` at a time; cache each.

    Returns {chapter: seconds} of those executed. Slowest-first order keeps both workers busy.
    """
    import concurrent.futures as cf

    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn
    from myst_nb.core.read import myst_nb_reader_plugin

    cache = get_cache(str(cache_dir))
    todo = []
    for src in sources:
        try:
            cache.match_cache_notebook(myst_nb_reader_plugin(str(src)))
        except KeyError:
            todo.append(src)
    todo.sort(key=lambda p: -p.stat().st_size)  # longer chapters run longer
    done: dict[str, float] = {}
    ctx = __import__("multiprocessing").get_context("spawn")
    with cf.ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
        futures = [pool.submit(_execute, str(src), timeout) for src in todo]
        for fut in cf.as_completed(futures):
            uri, nb, seconds, error = fut.result()
            name = Path(uri).relative_to(ROOT).as_posix()
            if error is not None:
                print(
                    f"book_cache: {name} failed to execute; the build will run it again:\n{error[-1500:]}",
                    file=sys.stderr,
                )
                continue
            cache.cache_notebook_bundle(
                CacheBundleIn(nb, uri, data={"execution_seconds": seconds}),
                check_validity=False,
                overwrite=True,
            )
            done[name] = seconds
            print(f"book_cache: executed {name} in {seconds:.0f} s", file=sys.stderr)
    return done


def _book_sources() -> list[Path]:
    """The executable pages of the book: every .md under book/ with a kernelspec."""
    from chapter import executable_pages  # press/chapter.py, beside this file

    return executable_pages(ROOT / "book")


def _timeout() -> int:
    import re

    text = (ROOT / "_config.yml").read_text(encoding="utf-8")
    match = re.search(r"^\s+timeout:\s*(\d+)", text, re.M)
    return int(match.group(1)) if match else 30


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--prewarm"]
    target = Path(args[0]) if args else DEFAULT_CACHE
    if refresh(target):
        print(
            f"book_cache: ptcourse changed, cleared {target} (every chapter re-executes)",
            file=sys.stderr,
        )
    if "--prewarm" in sys.argv[1:]:
        import time

        t0 = time.perf_counter()
        ran = prewarm(target, _book_sources(), _timeout())
        print(
            f"book_cache: {len(ran)} pages executed in {time.perf_counter() - t0:.0f} s wall time "
            f"({sum(ran.values()):.0f} s of kernel time)",
            file=sys.stderr,
        )

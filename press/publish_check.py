"""Refuse to publish a site that is not fit to publish (issue 29); the Pages workflow runs it.

Usage (from the repository root, after ``make book``)::

    .venv/bin/python press/publish_check.py [--site _build/html] [--remote origin]

Exit status 1, naming each problem, when:

* a page did not execute fully: it carries the banner of ``_ext/exec_status.py`` (class
  ``ptc-exec-failed``), or myst-nb left a traceback in ``reports/`` of the built site;
* the tag ``v<version>`` (``ptcourse.__version__``) does not exist on the remote: every Colab badge
  and the install cell's git fallback name that tag, so publishing before it exists ships links
  that 404. The tags are read with ``git ls-remote --tags <remote>``; with ``--remote ''`` the local
  tags (``git tag``) are used. Run the release workflow once (it creates the tag) before the first
  publication.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BANNER_CLASS = "ptc-exec-failed"  # _ext/exec_status.py
BANNER_RE = re.compile(rf"""class=["'][^"']*\b{BANNER_CLASS}\b""")


def unexecuted_pages(site_dir: Path) -> list[str]:
    """Pages of the built site that did not execute fully, as 'page: why'."""
    found = []
    for page in sorted(site_dir.rglob("*.html")):
        if BANNER_RE.search(page.read_text(encoding="utf-8", errors="replace")):
            found.append(f"{page.relative_to(site_dir).as_posix()}: did not execute fully")
    reports = site_dir / "reports"
    if reports.is_dir():
        for log in sorted(reports.rglob("*.err.log")):
            found.append(f"{log.relative_to(site_dir).as_posix()}: a chapter's execution traceback")
    return found


def tags(remote: str, cwd: Path = ROOT) -> set[str]:
    """Tag names on ``remote`` (``git ls-remote``), or the local ones when ``remote`` is ''."""
    if remote:
        out = subprocess.run(
            ["git", "ls-remote", "--tags", remote],
            cwd=cwd,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        names = (line.split("\t", 1)[1] for line in out.splitlines() if "\t" in line)
        return {n.removeprefix("refs/tags/").removesuffix("^{}") for n in names}
    out = subprocess.run(
        ["git", "tag", "--list"], cwd=cwd, capture_output=True, text=True, check=True
    ).stdout
    return set(out.split())


def missing_tag(version: str, available: set[str]) -> list[str]:
    """A problem when the release tag of ``version`` is not among ``available``.

    >>> missing_tag("0.1.0", {"v0.1.0", "v0.0.9"})
    []
    >>> missing_tag("0.2.0", {"v0.1.0"})  # doctest: +ELLIPSIS
    ['tag v0.2.0 does not exist: ...']
    """
    tag = f"v{version}"
    if tag in available:
        return []
    return [
        f"tag {tag} does not exist: the Colab badges and the install cell name it. Run the "
        "release workflow (it tags the version) before publishing"
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--site", type=Path, default=ROOT / "_build" / "html")
    parser.add_argument("--remote", default="origin", help="'' to read the local tags")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from render_notebooks import package_version

    if not (args.site / "index.html").is_file():
        print(f"[publish] no built site at {args.site}; run make book first", file=sys.stderr)
        return 1
    found = unexecuted_pages(args.site)
    found += missing_tag(package_version(ROOT), tags(args.remote))
    for p in found:
        print(f"[publish] refusing to publish: {p}", file=sys.stderr)
    if found:
        return 1
    print(f"[publish] {args.site}: every page executed, tag v{package_version(ROOT)} exists")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Every link of every rendered notebook resolves on the built site (issue 29).

Usage (from the repository root, after ``make book``; ``make site-test`` runs it as a test)::

    .venv/bin/python press/notebook_links.py [--site _build/html] [NOTEBOOK_DIR ...]

A learner opens a rendered notebook (``notebooks/student``, ``notebooks/instructor``) alone, in
Colab or Jupyter: nothing lies beside it, so every link must be absolute and land somewhere. Each
markdown cell is parsed as CommonMark (markdown-it-py, as Jupyter does) and each link and image is
resolved:

* a link into the published site (``html.baseurl``, else the repository's Pages URL) must name a
  file of the built site and, with a ``#fragment``, an ``id`` on that page;
* a link to a file of this repository on GitHub (``github.com/<repo>/blob/<ref>/<path>``, or the
  Colab URL of one) must name a file that exists here;
* a relative link, or an empty one, is an error: it goes nowhere in Colab;
* a link must show some text (``[](page.md)`` renders as nothing).

Other ``http(s)`` links (papers, PyTorch's docs) are not fetched: the check runs offline. Exit
status 1 when any link does not resolve, each named with notebook and cell.
"""

from __future__ import annotations

import argparse
import functools
import html
import json
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from render_notebooks import NOTEBOOK_DIRS  # noqa: E402  (the rendered notebooks' one home)

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DIRS = tuple(ROOT / d for d in NOTEBOOK_DIRS.values())
ID_RE = re.compile(r"""\s(?:id|name)\s*=\s*["']([^"']+)["']""")
HTML_LINK_RE = re.compile(r"""<(?:a|img)\b[^>]*?\s(?:href|src)\s*=\s*["']([^"']*)["']""", re.I)


def links(markdown: str) -> list[tuple[str, str]]:
    """(shown text, url) of every link and image of a markdown cell, as CommonMark parses it.

    >>> links("[a](https://x.org/p#q) and ![pic](i.png) and `[no](code)` and [](e.md)")
    [('a', 'https://x.org/p#q'), ('pic', 'i.png'), ('', 'e.md')]
    """
    from markdown_it import MarkdownIt

    found = []
    for block in MarkdownIt("commonmark", {"html": True}).parse(markdown):
        if block.type in ("html_block",):
            found += [("(html)", html.unescape(u)) for u in HTML_LINK_RE.findall(block.content)]
        for i, tok in enumerate(block.children or []):
            if tok.type == "image":
                found.append((tok.content, tok.attrGet("src") or ""))
            elif tok.type == "link_open":
                text, j = [], i + 1
                while block.children[j].type != "link_close":
                    text.append(block.children[j].content)
                    j += 1
                found.append(("".join(text).strip(), tok.attrGet("href") or ""))
            elif tok.type == "html_inline":
                found += [("(html)", html.unescape(u)) for u in HTML_LINK_RE.findall(tok.content)]
    return found


@functools.lru_cache(maxsize=256)
def _ids(page: Path) -> frozenset[str]:
    return frozenset(ID_RE.findall(page.read_text(encoding="utf-8", errors="replace")))


def resolve(url: str, *, site: str, site_dir: Path, repository: str, root: Path = ROOT) -> str:
    """Why ``url`` does not resolve, or "" when it does.

    ``site`` is the published site's URL (ending in "/"), ``site_dir`` the built site that stands
    for it, ``repository`` the GitHub URL of this repository, whose files are under ``root``.
    """
    if not url:
        return "an empty link"
    if url.startswith(site):
        path, _, fragment = url[len(site) :].partition("#")
        path = path.split("?")[0]
        target = site_dir / path
        if not path or path.endswith("/"):
            target = target / "index.html"
        if not target.is_file():
            return f"{url}: the site has no {target.relative_to(site_dir).as_posix()}"
        if fragment and target.suffix == ".html" and fragment not in _ids(target):
            return f"{url}: {target.relative_to(site_dir).as_posix()} has no id {fragment!r}"
        return ""
    repo = repository.removeprefix("https://")
    m = re.match(
        rf"^https://(?:colab\.research\.google\.com/github/{re.escape(repo.removeprefix('github.com/'))}"
        rf"|{re.escape(repo)})/(?:blob|tree|raw)/[^/]+/(?P<path>[^#?]+)",
        url,
    )
    if m:
        if not (root / m.group("path")).exists():
            return f"{url}: the repository has no {m.group('path')}"
        return ""
    if re.match(r"^(?:https?|mailto):", url):
        return ""  # outside the course: not fetched (the check runs offline)
    return f"{url}: a relative link goes nowhere in a notebook opened alone (Colab)"


def problems(
    notebooks: list[Path], *, site: str, site_dir: Path, repository: str, root: Path = ROOT
) -> list[str]:
    """Every link that does not resolve, or shows no text, in the markdown cells of ``notebooks``."""
    found = []
    for nb_path in notebooks:
        cells = json.loads(nb_path.read_text(encoding="utf-8"))["cells"]
        for n, cell in enumerate(cells):
            if cell.get("cell_type") != "markdown":
                continue
            src = cell.get("source", "")
            for text, url in links("".join(src) if isinstance(src, list) else src):
                where = f"{nb_path.name} cell {n}"
                why = resolve(url, site=site, site_dir=site_dir, repository=repository, root=root)
                if why:
                    found.append(f"{where}: {why}")
                elif not text:
                    found.append(f"{where}: the link to {url} shows no text")
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("dirs", nargs="*", type=Path, default=list(DEFAULT_DIRS))
    parser.add_argument("--site", type=Path, default=ROOT / "_build" / "html")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import render_notebooks as rn

    config = rn.load_config()
    if not (args.site / "index.html").is_file():
        print(f"[links] no built site at {args.site}; run make book first", file=sys.stderr)
        return 2
    notebooks = sorted(p for d in args.dirs for p in d.glob("*.ipynb"))
    found = problems(
        notebooks,
        site=rn.site_url(config),
        site_dir=args.site,
        repository=rn.repository_url(config),
    )
    for p in found:
        print(f"[links] {p}", file=sys.stderr)
    if found:
        return 1
    print(f"[links] every link of {len(notebooks)} rendered notebooks resolves on the built site")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Render the chapters (MyST, book/*.md) into the notebooks that learners open: plain Jupyter markdown.

Usage (from the repository root; ``make student`` runs it, ``make sync`` too)::

    .venv/bin/python press/render_notebooks.py [--check] [--execute]

writes, for every chapter ``book/NN_name.md``:

* ``notebooks/student/NN_name.ipynb``: what the Colab badge opens. No solutions at all: a code
  solution becomes its stub (``student.stub_source``, press/student.py) with the checker cell right
  after it, a written solution is gone, and cells tagged ``remove-cell`` (the chapters' claim checks)
  are dropped. A note at the top says what the notebook is and where the site is.
* ``notebooks/instructor/NN_name.ipynb``: the same, with every solution kept: written ones folded in
  ``<details>``, code ones as runnable cells (collapsed in JupyterLab) under a "Solution" line.

Their markdown is CommonMark plus ``$...$`` math, which is what Jupyter, JupyterLab and Colab render:

* ``{glue:text}`name:fmt``` becomes the number, substituted from the executed book (so the notebook
  says exactly what the site says). The values live in ``notebooks/glue.json``, keyed by a hash of
  each chapter's code: when a chapter's code changes, this tool re-reads them from the book's
  execution cache (``_build/.jupyter_cache``, filled by ``make book``) or, failing that (or with
  ``--execute``), executes the chapter with nbclient (as the book build does, myst-nb's glue on);
* a markdown link to a page of the book (``[x](05_entropy.md#sec)``, ``[](glossary.md)``) becomes
  a link to that page on the published site (an empty text takes the page's title), since nothing
  lies beside a notebook opened in Colab; ``press/notebook_links.py`` checks every link resolves;
* ``{term}`` links to the glossary entry on the published site (an alias with no id of its own,
  such as "β", links to its entry's first term), ``{cite}`` becomes "(Author, year)"
  linked to the references page, ``{ref}``/``{numref}``/``{doc}`` become links to the site;
* a labelled display equation gets ``\\tag{C.N}`` (C the chapter's number, N counting its labelled
  equations), the number Sphinx gives it on the site (``math_numfig`` with the numbered chapters of
  ``_toc.yml``; the unnumbered welcome page's are plain N), and ``{eq}`` becomes "(C.N)";
* an ``{exercise}`` becomes a heading "Exercise C.K: title" and a quoted callout (C is the chapter's
  number, K counts the chapter's exercises); admonitions become quoted callouts;
* a chapter's self-check quiz, the directive ``{quiz} NN`` (``_ext/course_blocks.py`` on the site),
  becomes a markdown cell with its questions (``quiz.markdown``, press/quiz/), with the answers in the
  instructor notebook only; a dial, ``{dial} NAME``, becomes the code cell ``pc.widgets.dial("NAME")``
  (the ipywidgets dial in a live kernel).

The first code cell of every rendered notebook is the install cell, generated from
``press/install_cell.py.in`` with the repository URL of ``_config.yml`` and ``ptcourse.__version__``;
in the chapters the first code cell is only its slot (``chapter.INSTALL_SLOT``, removed from the
site), so the repository URL and the version live in _config.yml and ptcourse/__init__.py alone. The
site's URL is ``html.baseurl`` of ``_config.yml`` when set, else GitHub Pages' URL of
``repository.url``. Unknown MyST syntax is an error, never passed through.

Only files this tool wrote (their metadata carries ``ptcourse.generated``) are ever overwritten or
removed. ``--check`` writes nothing and exits 1 listing what is out of date.
"""

from __future__ import annotations

import argparse
import copy
import functools
import hashlib
import json
import posixpath
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import chapter as chapter_format  # noqa: E402  (press/chapter.py: the one reader of the chapter format)
from chapter import BLOCK_RE, FENCE_RE, chapters  # noqa: E402,F401  (chapters: for the other tools)

ROOT = Path(__file__).resolve().parents[1]
BOOK = chapter_format.BOOK
NOTEBOOKS = ROOT / "notebooks"
GLUE_FILE = NOTEBOOKS / "glue.json"
TEMPLATE = Path(__file__).resolve().parent / "install_cell.py.in"
SETS = ("student", "instructor")
#: Where each set of rendered notebooks lives, repository-relative: the one home of these paths
#: (the Makefile's STUDENT_NB / INSTRUCTOR_NB repeat them; tests/test_chapter.py holds them equal).
NOTEBOOK_DIRS = {kind: f"notebooks/{kind}" for kind in SETS}
GENERATED_KEY = "ptcourse"
REGENERATE = "make student"

ADMONITIONS = {
    "note": "Note",
    "tip": "Tip",
    "hint": "Hint",
    "important": "Important",
    "warning": "Warning",
    "caution": "Caution",
    "attention": "Attention",
    "danger": "Danger",
    "error": "Error",
    "seealso": "See also",
    "admonition": "",
}
ROLE_RE = re.compile(r"\{([A-Za-z][\w:-]*)\}`([^`]*)`")
TARGET_RE = re.compile(r"^\(([\w:.-]+)\)=\s*$")
EQ_LABEL_RE = re.compile(r"^\$\$\s*\(([\w:.-]+)\)\s*$")
HEADING_RE = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")


class RenderError(ValueError):
    """MyST syntax this renderer does not know, or a reference to a label that does not exist."""


# ------------------------------------------------------------------------------------------------
# configuration: site URL, repository, version, install cell
# ------------------------------------------------------------------------------------------------


def load_config(root: Path = ROOT) -> dict:
    import yaml

    return yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8"))


def repository_url(config: dict) -> str:
    url = (config.get("repository") or {}).get("url", "")
    if not url.startswith("https://github.com/"):
        raise RenderError(
            f"_config.yml repository.url must be a https://github.com/ URL, got {url!r}"
        )
    return url.rstrip("/").removesuffix(".git")


def site_url(config: dict) -> str:
    """The published site's root URL, ending in '/': html.baseurl, else the repository's Pages URL.

    >>> site_url({"repository": {"url": "https://github.com/o/r"}})
    'https://o.github.io/r/'
    >>> site_url({"html": {"baseurl": "https://course.example.org"}, "repository": {"url": "x"}})
    'https://course.example.org/'
    """
    base = (config.get("html") or {}).get("baseurl")
    if base:
        return base.rstrip("/") + "/"
    owner, repo = repository_url(config).removeprefix("https://github.com/").split("/")[:2]
    return f"https://{owner.lower()}.github.io/{repo}/"


def package_version(root: Path = ROOT) -> str:
    m = re.search(
        r'^__version__ = "([^"]+)"', (root / "ptcourse" / "__init__.py").read_text(), re.M
    )
    if not m:
        raise RenderError("ptcourse/__init__.py has no __version__ line")
    return m.group(1)


def install_cell(repository: str, version: str) -> str:
    """The install cell's source: the template with the repository and the version filled in."""
    text = TEMPLATE.read_text(encoding="utf-8")
    return text.replace("@VERSION@", version).replace("@REPOSITORY@", repository).rstrip("\n")


def rendered_notebook_path(kind: str, name: str) -> str:
    """Repository-relative path of a rendered notebook (what badges and links point at)."""
    if kind not in SETS:
        raise ValueError(f"kind must be one of {SETS}, got {kind!r}")
    return f"{NOTEBOOK_DIRS[kind]}/{name}.ipynb"


# ------------------------------------------------------------------------------------------------
# the book's cross-reference index
# ------------------------------------------------------------------------------------------------


def sphinx_term_id(term: str) -> str:
    """The HTML id Sphinx gives a glossary entry (sphinx.util.nodes._make_id, prefix 'term-').

    >>> sphinx_term_id("KL divergence")
    'term-KL-divergence'
    >>> sphinx_term_id("cross-entropy loss")
    'term-cross-entropy-loss'
    """
    import unicodedata

    s = unicodedata.normalize("NFKD", f"term-{term}").encode("ascii", "ignore").decode("ascii")
    s = re.sub(r"[^a-zA-Z0-9_-]+", "-", " ".join(s.split()))
    return re.sub(r"^[^a-zA-Z]+|[^a-zA-Z0-9]+$", "", s)


def glossary_terms(book: Path = BOOK) -> dict[str, str]:
    """lower-cased term -> glossary id, from every ```{glossary}``` block of book/*.md.

    The terms of one entry (its lines before the indented definition) all map to the id of the
    entry's first term whose id Sphinx derives from its text: an alias such as "β" has no ASCII
    letters, so Sphinx numbers it ("term-0", "term-1"... in build order), and a link needs an
    anchor that the site is sure to have.
    """
    terms = {}
    for path in sorted(book.glob("*.md")):
        lines = path.read_text(encoding="utf-8").splitlines()
        inside, entry = False, []
        for line in [*lines, ""]:
            if re.match(r"^`{3,}\{glossary\}", line):
                inside = True
                continue
            if not inside:
                continue
            if line and not line[0].isspace() and line[0] not in ":`":
                entry.append(line.strip())
                continue
            if entry:  # the entry's definition (or the block's end) follows its terms
                ids = [sphinx_term_id(t) for t in entry if sphinx_term_id(t) != "term"]
                if not ids:
                    raise RenderError(f"{path.name}: glossary entry {entry} has no ASCII term")
                for t in entry:
                    terms[t.lower()] = ids[0]
                entry = []
            if re.match(r"^`{3,}\s*$", line):
                inside = False
    return terms


def bib_entries(path: Path = BOOK / "references.bib") -> dict[str, tuple[str, str]]:
    """key -> (authors as 'Smith', 'Smith and Jones' or 'Smith et al.', year)."""
    out = {}
    if not path.exists():
        return out
    text = path.read_text(encoding="utf-8")
    for m in re.finditer(r"@\w+\s*\{\s*([^,\s]+)\s*,(.*?)\n\}", text, re.S):
        key, body = m.group(1), m.group(2)
        fields = dict(
            (k.lower(), v) for k, v in re.findall(r"(\w+)\s*=\s*\{((?:[^{}]|\{[^{}]*\})*)\}", body)
        )
        names = [a.strip() for a in re.split(r"\s+and\s+", fields.get("author", "")) if a.strip()]
        last = [re.sub(r"[{}]", "", n.split(",")[0] if "," in n else n.split()[-1]) for n in names]
        if len(last) >= 3:
            who = f"{last[0]} et al."
        elif len(last) == 2:
            who = f"{last[0]} and {last[1]}"
        else:
            who = last[0] if last else key
        out[key] = (who, fields.get("year", "n.d."))
    return out


@dataclass
class Index:
    """Labels of the whole book: equations, exercises, section targets, page titles."""

    site: str
    equations: dict[str, tuple[str, str]] = field(default_factory=dict)  # label -> (doc, "C.N")
    exercises: dict[str, tuple[str, str, str]] = field(
        default_factory=dict
    )  # label -> (doc, no, title)
    targets: dict[str, tuple[str, str]] = field(default_factory=dict)  # label -> (doc, heading)
    titles: dict[str, str] = field(default_factory=dict)  # doc -> first heading
    terms: dict[str, str] = field(default_factory=dict)
    bib: dict[str, tuple[str, str]] = field(default_factory=dict)
    pages: set[str] = field(default_factory=set)  # every page under book/, "glossary", "workshop/x"

    def page(self, doc: str, anchor: str = "") -> str:
        return f"{self.site}book/{doc}.html" + (f"#{anchor}" if anchor else "")


def chapter_number(doc: str) -> str:
    m = re.match(r"^(\d+)_", doc)
    return str(int(m.group(1))) if m else doc


def item_number(doc: str, n: int) -> str:
    """The number the site shows for the n-th labelled equation (or exercise) of ``doc``: "3.4" in
    chapter 3, plain "2" on a page outside the numbered chapters (the welcome page).

    >>> item_number("03_kl_divergence", 4), item_number("00_welcome", 2)
    ('3.4', '2')
    """
    c = chapter_number(doc)
    return f"{c}.{n}" if c.isdigit() and int(c) > 0 else str(n)


def build_index(book: Path, site: str) -> Index:
    index = Index(site=site, terms=glossary_terms(book), bib=bib_entries(book / "references.bib"))
    for path in sorted([*book.rglob("*.md"), *book.rglob("*.ipynb")]):
        page = path.relative_to(book).with_suffix("").as_posix()
        index.pages.add(page)
        if path.suffix == ".md" and page not in index.titles:
            for line in path.read_text(encoding="utf-8").splitlines():
                if m := HEADING_RE.match(line):
                    index.titles[page] = m.group(2)
                    break
    for path in sorted(book.glob("*.md")):
        doc = path.stem
        n_eq = n_ex = 0
        pending_target, exercise = None, None
        for line in path.read_text(encoding="utf-8").splitlines():
            if m := EQ_LABEL_RE.match(line):
                n_eq += 1
                index.equations[m.group(1)] = (doc, item_number(doc, n_eq))
            elif m := TARGET_RE.match(line):
                pending_target = m.group(1)
            elif m := HEADING_RE.match(line):
                index.titles.setdefault(doc, m.group(2))
                if pending_target:
                    index.targets[pending_target] = (doc, m.group(2))
                    pending_target = None
            elif (m := FENCE_RE.match(line)) and m.group("name") == "exercise":
                n_ex += 1
                exercise = (doc, item_number(doc, n_ex), m.group("arg").strip())
            elif exercise and line.startswith(":label:"):
                index.exercises[line.split(":", 2)[2].strip()] = exercise
                exercise = None
    return index


# ------------------------------------------------------------------------------------------------
# glue values
# ------------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def _package_hash() -> str:
    """The ptcourse sources' hash, read once per run (the same one that clears the book's cache)."""
    from book_cache import package_hash  # press/book_cache.py, beside this file

    return package_hash(ROOT / "ptcourse")


def code_hash(nb) -> str:
    """Hash of what a chapter's glued values depend on: its code cells after the install cell, and
    the sources of the ptcourse package they run (the same hash that clears the book's cache)."""
    code = [c.source for c in nb.cells if c.cell_type == "code"][1:]
    blob = json.dumps({"code": code, "package": _package_hash()})
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def glue_from_executed(nb) -> dict[str, str]:
    """name -> text/plain of every myst-nb glue output in an executed notebook."""
    values = {}
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            scrap = out.get("metadata", {}).get("scrapbook")
            if not scrap:
                continue
            prefix = scrap.get("mime_prefix", "")
            text = out.get("data", {}).get(prefix + "text/plain")
            if text is not None:
                values[scrap["name"]] = "".join(text) if isinstance(text, list) else text
    return values


def executed_from_cache(nb, cache_dir: Path):
    """The book build's executed copy of ``nb`` from jupyter-cache, or None when it has none.

    jupyter-cache matches a notebook on its code cells only, so a cache built before ptcourse
    changed would hand back old outputs: it is trusted only while its package stamp is current
    (``press/book_cache.py``, which ``make book`` runs first).
    """
    from book_cache import is_current  # press/book_cache.py, beside this file

    if not is_current(cache_dir, ROOT / "ptcourse", digest=_package_hash()):
        return None
    try:
        from jupyter_cache import get_cache

        cache = get_cache(str(cache_dir))
        record = cache.match_cache_notebook(nb)
        return cache.get_cache_bundle(record.pk).nb
    except Exception:  # no match, or a cache of another format: execute instead
        return None


def execute(nb, timeout: int = 600):
    """Execute a copy of ``nb`` in ``book/``, as the book build does (glue recorded): a chapter may
    read the book's sources (the welcome page counts each chapter's minutes from them)."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.from_dict(copy.deepcopy(nb))
    path = str(ROOT / "book")
    NotebookClient(
        nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": path}}
    ).execute()
    return nb


def format_glue(text: str, spec: str | None) -> str:
    """What myst-nb's {glue:text} shows: text/plain without quotes, a format spec applied to numbers.

    >>> format_glue("0.123456", ".3f"), format_glue("'abc'", None), format_glue("0.5", ".0%")
    ('0.123', 'abc', '50%')
    """
    text = str(text).strip("'")
    if spec:
        try:
            return f"{float(text):>{spec}}"
        except ValueError:
            return text
    return text


# ------------------------------------------------------------------------------------------------
# markdown: MyST -> CommonMark
# ------------------------------------------------------------------------------------------------


@dataclass
class Chapter:
    doc: str
    index: Index
    glue: dict[str, str]
    kind: str  # "student" or "instructor"
    n_exercises: int = 0  # exercises rendered so far: they are numbered C.1, C.2, ... in order


def _link(text: str, url: str) -> str:
    return f"[{text}]({url})"


def render_role(name: str, content: str, ch: Chapter) -> str:
    ix = ch.index
    explicit = re.match(r"^(.*?)\s*<([^<>]+)>$", content, re.S)
    text, target = (explicit.group(1), explicit.group(2)) if explicit else (None, content)
    if name == "term":
        key = " ".join(target.split()).lower()
        if key not in ix.terms:
            raise RenderError(f"{ch.doc}: {{term}}`{content}` is not in the glossary")
        return _link(text or target, ix.page("glossary", ix.terms[key]))
    if name == "eq":
        if target not in ix.equations:
            raise RenderError(f"{ch.doc}: {{eq}}`{target}` names no labelled equation")
        doc, n = ix.equations[target]
        if doc == ch.doc:
            return f"({n})"
        return _link(f"({n})", ix.page(doc, f"equation-{target}"))
    if name in ("cite", "cite:p", "cite:t", "cite:ps", "cite:ts"):
        parts = []
        for key in [k.strip() for k in content.split(",") if k.strip()]:
            if key not in ix.bib:
                raise RenderError(f"{ch.doc}: {{cite}}`{key}` is not in book/references.bib")
            who, year = ix.bib[key]
            parts.append(f"{who} ({year})" if name.startswith("cite:t") else f"{who}, {year}")
        shown = "; ".join(parts)
        if name.startswith("cite:t"):
            return _link(shown, ix.page("references"))
        return "(" + _link(shown, ix.page("references")) + ")"
    if name in ("ref", "numref"):
        if target in ix.exercises:
            doc, no, _title = ix.exercises[target]
            return _link(text or f"Exercise {no}", ix.page(doc, target))
        if target in ix.targets:
            doc, heading = ix.targets[target]
            return _link(text or heading, ix.page(doc, target))
        if target in ix.equations:
            doc, n = ix.equations[target]
            return _link(text or f"eq. {n}", ix.page(doc, f"equation-{target}"))
        raise RenderError(f"{ch.doc}: {{{name}}}`{content}` names no label of the book")
    if name == "doc":
        doc = Path(target).stem
        if doc not in ix.titles:
            raise RenderError(f"{ch.doc}: {{doc}}`{content}` names no page of the book")
        return _link(text or ix.titles[doc], ix.page(doc))
    if name in ("glue", "glue:text", "glue:any", "glue:md"):
        key, _, spec = content.partition(":")
        if key not in ch.glue:
            raise RenderError(
                f"{ch.doc}: glued value {key!r} is missing from {GLUE_FILE.name}; run {REGENERATE}"
            )
        return format_glue(ch.glue[key], spec or None)
    if name == "math":
        return f"${content}$"
    if name in ("sub", "sup", "kbd", "abbr"):
        tag = {"abbr": "abbr"}.get(name, name)
        return f"<{tag}>{content}</{tag}>"
    raise RenderError(f"{ch.doc}: the renderer does not know the role {{{name}}}`{content}`")


def render_inline(text: str, ch: Chapter) -> str:
    """Replace every MyST role outside inline code spans."""
    out, pos = [], 0
    for m in re.finditer(
        r"(?<![`{}])(`+)(?!\s*$)(.+?)(?<!`)\1(?!`)|" + ROLE_RE.pattern, text, re.S
    ):
        out.append(rewrite_links(text[pos : m.start()], ch))
        if m.group(1) is not None:  # a code span: keep verbatim
            out.append(m.group(0))
        else:
            out.append(render_role(m.group(3), m.group(4), ch))
        pos = m.end()
    out.append(rewrite_links(text[pos:], ch))
    return "".join(out)


LINK_RE = re.compile(
    r"(?P<bang>!?)\[(?P<text>[^\[\]]*)\]\((?P<url>[^()\s]*)(?P<title>\s+\"[^\"]*\")?\)"
)


def rewrite_links(text: str, ch: Chapter) -> str:
    """Markdown links to pages of the book become links to the published site.

    A notebook opened in Colab or Jupyter has no neighbouring pages, so ``[x](glossary.md)``,
    ``[x](05_entropy.md#sec)`` and ``[x](#anchor)`` become ``{site}book/...html#...``; an empty
    text, ``[](01_next_token.md)``, takes the page's title, as it does on the site. A relative
    link or image to anything that is not a page of the book is an error.
    """

    def one(m: re.Match) -> str:
        url, label = m.group("url"), m.group("text")
        if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", url):  # https:, mailto: ...
            return m.group(0)
        path, _, anchor = url.partition("#")
        page = ch.doc
        if path:
            page = posixpath.normpath(posixpath.join(posixpath.dirname(ch.doc), path))
            page = re.sub(r"\.(md|ipynb)$", "", page)
        if m.group("bang") or page not in ch.index.pages:
            raise RenderError(
                f"{ch.doc}: the link {m.group(0)!r} names no page of the book "
                "(a notebook opened alone has nothing beside it; link a page of the site)"
            )
        if not label:
            label = ch.index.titles.get(page, "") if path else ""
            if not label:
                raise RenderError(f"{ch.doc}: the link {m.group(0)!r} has no text to show")
        return _link(label, ch.index.page(page, anchor))

    return LINK_RE.sub(one, text)


def _blocks(lines: list[str]):
    """Yield ('text', [lines]) and ('directive', name, arg, options, body_lines) items."""
    i, buf = 0, []
    while i < len(lines):
        m = FENCE_RE.match(lines[i])
        if not m:
            buf.append(lines[i])
            i += 1
            continue
        if buf:
            yield ("text", buf)
            buf = []
        fence = m.group("fence")
        close = re.compile(rf"^{re.escape(fence[0])}{{{len(fence)},}}\s*$")
        j, depth, body = i + 1, 0, []
        while j < len(lines):
            inner = FENCE_RE.match(lines[j])
            if (
                inner
                and inner.group("fence")[0] == fence[0]
                and len(inner.group("fence")) == len(fence)
            ):
                depth += 1
            elif close.match(lines[j]):
                if depth == 0:
                    break
                depth -= 1
            body.append(lines[j])
            j += 1
        options = {}
        if body and body[0].strip() == "---":  # YAML options block
            end = body.index("---", 1)
            for opt in body[1:end]:
                k, _, v = opt.partition(":")
                options[k.strip()] = v.strip()
            body = body[end + 1 :]
        while body and re.match(r"^:[\w-]+:", body[0]):
            k, _, v = body.pop(0)[1:].partition(":")
            options[k.strip()] = v.strip()
        yield ("directive", m.group("name"), m.group("arg").strip(), options, body)
        i = j + 1
    if buf:
        yield ("text", buf)


def _quote(md: str) -> str:
    return "\n".join("> " + line if line.strip() else ">" for line in md.strip("\n").splitlines())


def render_text_lines(lines: list[str], ch: Chapter) -> str:
    """Plain markdown lines: drop targets, number labelled equations, render roles."""
    out = []
    for line in lines:
        if TARGET_RE.match(line) or line.startswith("%"):
            continue  # a target, or a MyST comment line (e.g. a slide marker of press/slides.py)
        if m := EQ_LABEL_RE.match(line):
            label = m.group(1)
            _doc, n = ch.index.equations[label]
            out.append(f"\\tag{{{n}}}")
            out.append("$$")
            continue
        out.append(line)
    return render_inline("\n".join(out), ch)


def render_markdown(source: str, ch: Chapter, state: dict) -> str | None:
    """One markdown cell of the chapter, rendered; None when nothing of it is left.

    ``state["solution"]`` holds the exercise number between {solution-start} and {solution-end}.
    """
    parts = []
    for block in _blocks(source.splitlines()):
        if block[0] == "text":
            if state.get("solution") and ch.kind == "student":
                continue  # prose between solution-start and solution-end is part of the solution
            parts.append(render_text_lines(block[1], ch))
            continue
        _, name, arg, options, body = block
        if name == "exercise":
            label = options.get("label", "")
            ch.n_exercises += 1
            no, title = item_number(ch.doc, ch.n_exercises), arg
            if label in ch.index.exercises and ch.index.exercises[label][1] != no:
                raise RenderError(
                    f"{ch.doc}: exercise {label} numbered {no}, the index says otherwise"
                )
            heading = f"### Exercise {no}" + (f": {render_inline(title, ch)}" if title else "")
            parts.append(heading + "\n\n" + _quote(render_markdown("\n".join(body), ch, {}) or ""))
        elif name == "solution":
            if ch.kind == "instructor":
                no = ch.index.exercises.get(arg, ("", arg, ""))[1]
                inner = render_markdown("\n".join(body), ch, {}) or ""
                parts.append(
                    f"<details>\n<summary><b>Solution to Exercise {no}</b> (click to open)</summary>"
                    f"\n\n{inner}\n\n</details>"
                )
        elif name == "solution-start":
            state["solution"] = ch.index.exercises.get(arg, ("", arg, ""))[1]
            if ch.kind == "instructor":
                parts.append(
                    f"**Solution to Exercise {state['solution']}** (instructor copy): the cell below "
                    "defines the function; its code is folded in JupyterLab."
                )
        elif name == "solution-end":
            state.pop("solution", None)
        elif name in ADMONITIONS or name == "dropdown":
            title = render_inline(arg, ch) if arg else ADMONITIONS.get(name, "")
            inner = render_markdown("\n".join(body), ch, {}) or ""
            if name == "dropdown" or "dropdown" in options.get("class", ""):
                parts.append(
                    f"<details>\n<summary><b>{title or 'More'}</b></summary>\n\n{inner}\n\n</details>"
                )
            else:
                parts.append(_quote((f"**{title}**\n\n" if title else "") + inner))
        elif name == "math":
            label = options.get("label")
            tag = (
                f"\n\\tag{{{ch.index.equations[label][1]}}}" if label in ch.index.equations else ""
            )
            parts.append("$$\n" + "\n".join(body).strip() + tag + "\n$$")
        else:
            raise RenderError(f"{ch.doc}: the renderer does not know the directive {{{name}}}")
    text = "\n".join(p for p in parts).strip("\n")
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text if text.strip() else None


# ------------------------------------------------------------------------------------------------
# notebooks
# ------------------------------------------------------------------------------------------------


def header_note(kind: str, doc: str, course: str, version: str, index: Index) -> str:
    """The note under a rendered notebook's title: what it is and where the site is."""
    page, n = index.page(doc), chapter_number(doc)
    if kind == "student":
        return (
            f"> **This is the student notebook** of chapter {n} of *{course}* (ptcourse {version}). "
            "Run the cells from the top; write the function each exercise leaves empty, and the "
            f"cell after it checks your answer. Full text, interactive figures and the glossary: "
            f"[this chapter on the course site]({page}) · [course home]({index.site})."
        )
    return (
        f"> **Instructor notebook** of chapter {n} of *{course}* (ptcourse {version}): the "
        "student notebook with every solution, written ones folded under *Solution*. "
        f"[This chapter on the course site]({page}) · [course home]({index.site})."
    )


def _insert_after_title(md: str, note: str) -> str:
    lines = md.split("\n")
    for i, line in enumerate(lines):
        if HEADING_RE.match(line):
            return "\n".join([*lines[: i + 1], "", note, *lines[i + 1 :]])
    return note + "\n\n" + md


def _course_blocks(source: str) -> list[tuple[str | None, str]]:
    """A markdown cell cut at the course's blocks: ``(None, text)``, ``("quiz", "NN")``, ``("dial", NAME)``.

    >>> _course_blocks("Try it.\\n\\n```{dial} beta\\n```\\n\\n## Next")
    [(None, 'Try it.'), ('dial', 'beta'), (None, '## Next')]
    """
    out: list[tuple[str | None, str]] = []
    at = 0
    for m in BLOCK_RE.finditer(source):
        if source[at : m.start()].strip():
            out.append((None, source[at : m.start()].strip("\n")))
        out.append((m["name"], m["arg"]))
        at = m.end()
    if source[at:].strip() or not out:
        out.append((None, source[at:].strip("\n")))
    return out


def _quiz_markdown(chapter: str, kind: str) -> str:
    """The quiz of ``chapter`` as plain markdown: questions only for students, with answers else."""
    import quiz  # press/quiz/, beside this file; imports torch: only chapters with a quiz pay for it

    return quiz.markdown(chapter, answers=kind == "instructor")


def render_chapter(
    md_path: Path,
    kind: str,
    *,
    index: Index,
    glue: dict[str, str],
    install: str,
    version: str,
    course: str = "the course",
) -> dict:
    """The rendered notebook (nbformat 4 dict) of one chapter, for ``kind`` student or instructor."""
    from student import stub_source, without_glue  # press/student.py, beside this file

    if kind not in SETS:
        raise ValueError(f"kind must be one of {SETS}, got {kind!r}")
    doc = md_path.stem
    ch = Chapter(doc=doc, index=index, glue=glue, kind=kind)
    state: dict = {}
    cells, first_code, first_md = [], True, True
    for cell in chapter_format.read(md_path).cells:
        tags = cell.tags
        if cell.kind == "markdown":
            for name, piece in _course_blocks(cell.source):
                if name == "quiz":
                    cells.append({"cell_type": "markdown", "metadata": {},
                                  "source": _quiz_markdown(piece, kind)})  # fmt: skip
                    continue
                if name == "dial":
                    cells.append({"cell_type": "code", "execution_count": None, "metadata": {},
                                  "outputs": [], "source": f'pc.widgets.dial("{piece}")'})  # fmt: skip
                    continue
                text = render_markdown(piece, ch, state)
                if text is None:
                    continue
                if first_md:
                    note = header_note(kind, doc, course, version, index)
                    text = _insert_after_title(text, note)
                    first_md = False
                cells.append({"cell_type": "markdown", "metadata": {}, "source": text})
            continue
        meta: dict = {}
        source = cell.source
        if first_code:
            source, first_code = install, False
            # Folded: Colab shows the form's title (the "# @title" line), JupyterLab a collapsed cell.
            meta = {"cellView": "form", "jupyter": {"source_hidden": True}, "tags": ["install"]}
        elif "remove-cell" in tags and kind == "student":
            continue
        elif "solution" in tags:
            if kind == "student":
                source = stub_source(source)
                meta["tags"] = ["exercise"]
            else:
                meta = {"tags": ["solution"], "jupyter": {"source_hidden": True}}
        else:
            keep = [
                t for t in tags if t in ("hide-input", "hide-output", "remove-cell", "remove-input")
            ]
            if keep:
                meta["tags"] = keep
            if "hide-input" in tags or "remove-input" in tags:
                meta["jupyter"] = {"source_hidden": True}
        if state.get("solution") and kind == "student" and "solution" not in tags:
            continue  # any other code inside a solution block is part of the solution
        if kind == "student" and "install" not in meta.get("tags", ()):
            source = without_glue(source)  # the glued numbers are already in the learner's text
            if not source:
                continue
        cells.append({"cell_type": "code", "execution_count": None, "metadata": meta,
                      "outputs": [], "source": source})  # fmt: skip
    for i, cell in enumerate(cells):
        cell["id"] = hashlib.sha1(f"{kind}:{doc}:{i}".encode()).hexdigest()[:8]
    metadata = {
        "colab": {"provenance": [], "toc_visible": True},
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
        GENERATED_KEY: {"generated": f"{kind} notebook rendered from book/{doc}.md by "
                        "press/render_notebooks.py (make student); edits are overwritten"},
    }  # fmt: skip
    return {"cells": cells, "metadata": metadata, "nbformat": 4, "nbformat_minor": 5}


def serialise(nb: dict) -> str:
    nb = copy.deepcopy(nb)
    for cell in nb["cells"]:
        cell["source"] = cell["source"].splitlines(keepends=True)
    return json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


# ------------------------------------------------------------------------------------------------
# the whole build
# ------------------------------------------------------------------------------------------------


def load_glue(path: Path = GLUE_FILE) -> dict:
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def refresh_glue(glue: dict, *, execute_all: bool = False, log=print) -> dict:
    """glue.json's content with every chapter whose code changed re-read from an executed copy."""
    import jupytext

    glue = copy.deepcopy(glue)
    for md in chapters():
        nb = jupytext.read(md)
        h = code_hash(nb)
        if not execute_all and glue.get(md.stem, {}).get("code") == h:
            continue
        # myst-nb caches the notebook it reads from the chapter, so that is the one looked up.
        cache = ROOT / "_build" / ".jupyter_cache"
        executed = None if execute_all else executed_from_cache(nb, cache)
        if executed is None:
            log(f"[render] executing {md.stem} for its glued values")
            executed = execute(nb)
        else:
            log(f"[render] {md.stem}: glued values from the book's execution cache")
        glue[md.stem] = {"code": h, "values": glue_from_executed(executed)}
    return glue


def build_all(glue: dict, root: Path = ROOT) -> dict[Path, str]:
    """Path -> text of every rendered notebook (both sets), from book/*.md and the glue values."""
    config = load_config(root)
    repo, version = repository_url(config), package_version(root)
    index = build_index(root / "book", site_url(config))
    install = install_cell(repo, version)
    out = {}
    for md in chapters(root / "book"):
        values = glue.get(md.stem, {}).get("values", {})
        for kind in SETS:
            title = config.get("title", "the course")
            nb = render_chapter(
                md, kind, index=index, glue=values, install=install, version=version, course=title
            )
            out[root / rendered_notebook_path(kind, md.stem)] = serialise(nb)
    return out


def first_code_cell(md: Path) -> str:
    """The source of a chapter's first {code-cell} (the install-cell slot), without its option lines."""
    try:
        return chapter_format.read(md).install
    except StopIteration:
        raise RenderError(f"{md.name} has no code cell") from None


def written_by_us(path: Path) -> bool:
    try:
        meta = json.loads(path.read_text(encoding="utf-8")).get("metadata", {})
    except (OSError, ValueError, AttributeError):
        return False
    return isinstance(meta, dict) and isinstance(meta.get(GENERATED_KEY), dict)


def problems(glue: dict, root: Path = ROOT) -> list[str]:
    """What is out of date: stale glue, a chapter without its install slot, stale notebooks."""
    import jupytext

    found = []
    for md in chapters(root / "book"):
        if glue.get(md.stem, {}).get("code") != code_hash(jupytext.read(md)):
            found.append(
                f"{GLUE_FILE.name}: the glued values of {md.name} are stale (its code or ptcourse changed)"
            )
        if first_code_cell(md) != chapter_format.INSTALL_SLOT:
            found.append(
                f"{md.name}: the first code cell is not the install slot (press/chapter.py)"
            )
    want = build_all(glue, root)
    for path, text in want.items():
        if not path.exists():
            found.append(f"{path.relative_to(root)} is missing")
        elif path.read_text(encoding="utf-8") != text:
            found.append(f"{path.relative_to(root)} is stale")
    for kind in SETS:
        for path in sorted((root / NOTEBOOK_DIRS[kind]).glob("*.ipynb")):
            if path not in want and written_by_us(path):
                found.append(f"{path.relative_to(root)} has no chapter")
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 when stale")
    parser.add_argument("--execute", action="store_true", help="re-execute every chapter for glue")
    args = parser.parse_args(argv)
    glue = load_glue()
    if args.check:
        found = problems(glue)
        for p in found:
            print(f"[render] {p}", file=sys.stderr)
        if found:
            print(f"[render] regenerate with: {REGENERATE}", file=sys.stderr)
            return 1
        print("[render] rendered notebooks are up to date")
        return 0
    try:
        glue = refresh_glue(glue, execute_all=args.execute)
        GLUE_FILE.write_text(json.dumps(glue, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        want = build_all(glue)
    except RenderError as err:
        print(f"[render] error: {err}", file=sys.stderr)
        return 2
    for path in want:
        if path.exists() and not written_by_us(path):
            print(
                f"[render] error: {path} was not written by this tool; not overwriting it",
                file=sys.stderr,
            )
            return 1
    written = 0
    for path, text in want.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            written += 1
    for kind in SETS:
        for path in sorted((ROOT / NOTEBOOK_DIRS[kind]).glob("*.ipynb")):
            if path not in want and written_by_us(path):
                path.unlink()  # a notebook this tool rendered for a chapter that is gone
                print(f"[render] removed {path.relative_to(ROOT)} (its chapter is gone)")
    print(
        f"[render] {len(want)} notebooks up to date ({written} rewritten) in notebooks/{{{','.join(SETS)}}}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

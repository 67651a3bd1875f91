"""The offline workshop bundles behind `make dist`: a learner bundle and an instructor bundle.

Usage (from the repository root; ``make dist`` runs both steps)::

    .venv/bin/python press/bundle.py learner-config --out _build/learner/_config.yml
    .venv/bin/python press/bundle.py --version 0.1.0 --site _build/html \\
        --learner-site _build/learner/_build/html --notebooks notebooks \\
        --wheel dist/ptcourse-0.1.0-py3-none-any.whl --out-dir dist

``learner-config`` writes a copy of ``_config.yml`` for the learner build of the site: the same
book, with ``press/learner_site.py`` loaded (it removes every solution and the quiz answer key) and
the book's own execution cache, so the learner build executes nothing again.

The second step writes two tarballs, each one folder::

    dist/ptcourse-workshop-<version>-learner.tar.gz      to hand out
        README.txt, SHA256SUMS
        site/                          the learner build: no solution, no answer key
        notebooks/student/*.ipynb      solutions replaced by stubs
        wheels/ptcourse-<version>-...whl
    dist/ptcourse-workshop-<version>-instructor.tar.gz   for the instructor only
        README.txt, SHA256SUMS
        site/                          the full site: folded solutions, answer key, slides/ if built
        notebooks/instructor/*.ipynb   with solutions
        notebooks/student/*.ipynb
        wheels/ptcourse-<version>-...whl

``SHA256SUMS`` lists every other file (``sha256sum -c SHA256SUMS`` checks them). Before the learner
bundle is written, ``find_leaks`` checks it: no instructor notebook, no notebook cell tagged
``solution``, no solution markup in any page and no line of any solution of ``book/*.md`` in any
page's text; a leak stops ``make dist``. Archives are reproducible: entries sorted, fixed mtimes,
owners and gzip header.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import html
import io
import json
import re
import shutil
import sys
import tarfile
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from render_notebooks import NOTEBOOK_DIRS  # noqa: E402  (the rendered notebooks' one home)

ROOT = Path(__file__).resolve().parents[1]
SUMS = "SHA256SUMS"
KINDS = ("learner", "instructor")
MTIME = 946684800  # 2000-01-01: fixed, so the same inputs give the same bytes

README = """\
ptcourse workshop bundle {version} ({kind})
==================================

Everything a workshop needs without internet, except Python and torch themselves.

1. Check the files:           sha256sum -c SHA256SUMS
2. Install the package:       pip install --no-index --find-links wheels ptcourse=={version}
   (torch, numpy, matplotlib, ipywidgets must already be installed; nothing is downloaded)
3. Check each machine:        ptcourse doctor
4. Warm the toy cache:        ptcourse demo --warm   (before the session; says where and how long)
5. Read the course:           open site/index.html in a browser
{what}
The notebooks' first cell skips the install when ptcourse is already present.
"""
WHAT = {
    "learner": f"6. Open {NOTEBOOK_DIRS['student']}/*.ipynb in Jupyter. This bundle holds no solution: the\n"
    "   site was built without them and the instructor notebooks are not included.",
    "instructor": f"6. Learners open {NOTEBOOK_DIRS['student']}/*.ipynb; {NOTEBOOK_DIRS['instructor']}/ has the\n"
    "   solutions, the site's answer key page has the quiz answers, site/slides/ the decks\n"
    "   (when built). Hand out the learner bundle, never this one, for a graded course.",
}


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def write_sha256sums(root: Path) -> Path:
    """Write ``root/SHA256SUMS`` over every other file under ``root`` (sha256sum's format)."""
    root = Path(root)
    lines = [
        f"{sha256(p)}  {p.relative_to(root).as_posix()}"
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.relative_to(root).as_posix() != SUMS
    ]
    out = root / SUMS
    out.write_text("\n".join(lines) + "\n")
    return out


def verify_sha256sums(root: Path) -> list[str]:
    """Problems with ``root/SHA256SUMS``: a changed, missing or unlisted file (empty when all match)."""
    root = Path(root)
    listed = {}
    for line in (root / SUMS).read_text().splitlines():
        digest, name = line.split("  ", 1)
        listed[name] = digest
    problems = []
    for name, digest in sorted(listed.items()):
        path = root / name
        if not path.is_file():
            problems.append(f"{name}: missing")
        elif sha256(path) != digest:
            problems.append(f"{name}: checksum differs")
    for p in sorted(root.rglob("*")):
        name = p.relative_to(root).as_posix()
        if p.is_file() and name != SUMS and name not in listed:
            problems.append(f"{name}: not listed in {SUMS}")
    return problems


def stage(
    staging: Path,
    version: str,
    site: Path,
    notebooks: Path,
    wheel: Path,
    kind: str = "instructor",
) -> Path:
    """Lay out the ``kind`` bundle folder under ``staging`` and write its SHA256SUMS; return it.

    ``kind`` is ``"instructor"`` (both notebook sets) or ``"learner"`` (student notebooks only;
    ``site`` must then be the learner build).
    """
    if kind not in KINDS:
        raise ValueError(f"bundle: 'kind' must be one of {KINDS}, got {kind!r}")
    root = Path(staging) / f"ptcourse-workshop-{version}"
    for what, path in (("site", site), ("notebooks", notebooks), ("wheel", wheel)):
        if not Path(path).exists():
            raise SystemExit(
                f"bundle: the {what} {path} does not exist (run `make book` / `make wheel`)"
            )
    shutil.copytree(site, root / "site")
    # The rendered notebooks (press/render_notebooks.py), never the jupytext twins notebooks/*.ipynb.
    instructor = sorted((Path(notebooks) / "instructor").glob("*.ipynb"))
    student = sorted((Path(notebooks) / "student").glob("*.ipynb"))
    if not instructor or not student:
        raise SystemExit(
            f"bundle: need {notebooks}/instructor/*.ipynb and {notebooks}/student/*.ipynb "
            "(make student)"
        )
    sets = (("student", student),) if kind == "learner" else (
        ("instructor", instructor), ("student", student))  # fmt: skip
    for sub, files in sets:
        (root / NOTEBOOK_DIRS[sub]).mkdir(parents=True)
        for f in files:
            shutil.copy2(f, root / NOTEBOOK_DIRS[sub] / f.name)
    (root / "wheels").mkdir()
    shutil.copy2(wheel, root / "wheels" / Path(wheel).name)
    (root / "README.txt").write_text(README.format(version=version, kind=kind, what=WHAT[kind]))
    write_sha256sums(root)
    return root


# ------------------------------------------------------------------------------------------------
# the learner bundle holds no solution
# ------------------------------------------------------------------------------------------------

#: markup a solution leaves in a page: sphinx-exercise's solution box, myst-nb's solution cell, the
#: quiz answer key's marks
LEAK_MARKUP = re.compile(
    r'class="[^"]*\b(?:solution|tag_solution)\b[^"]*"|Solution to Exercise'
    r'|class="ptc-quiz-key"|<strong>right</strong>'  # the quiz answer key (book/quiz_key.md)
)
_PLAIN = re.compile(r"^[A-Za-z0-9 ,.;:'()?!=+/-]+$")


def _norm(text: str) -> str:
    text = text.translate(str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"',
                                         "\u201d": '"', "\u2013": "-", "\u2014": "-"}))  # fmt: skip
    return " ".join(text.split())


def solution_lines(book: Path) -> dict[str, str]:
    """One telltale line of every solution of the chapters in ``book``: ``"file: which" -> text``.

    The solutions and the lines that give each away are read by press/chapter.py (code: the body
    below the signature and docstring, which the exercise's stub may show; written: its text). A
    page shows a written solution's math and markup differently, so there only lines of plain words
    count; of the rest, the longest.
    """
    from chapter import chapters, read

    found = {}
    for md in chapters(Path(book)):
        for i, s in enumerate(read(md).solutions, 1):
            lines = [ln for ln in s.lines if s.kind == "code" or _PLAIN.match(ln)]
            if lines:
                found[f"{md.name}: solution {i} ({s.label})"] = _norm(max(lines, key=len))
    return found


def _page_text(raw: str) -> str:
    raw = re.sub(r"<(script|style)\b.*?</\1>", " ", raw, flags=re.S | re.I)
    return _norm(html.unescape(re.sub(r"<[^>]+>", " ", raw)))


def find_leaks(root: Path, book: Path | None = None) -> list[str]:
    """Every way a solution reaches learners through the bundle folder ``root`` (empty: none).

    Instructor notebooks; a student notebook cell tagged ``solution``; solution markup in a page
    (``LEAK_MARKUP``); a telltale line of a solution of ``book`` (``solution_lines``) in a page's
    text.
    """
    root = Path(root)
    leaks = []
    if (root / NOTEBOOK_DIRS["instructor"]).exists():
        leaks.append(f"{NOTEBOOK_DIRS['instructor']}/ is in the bundle")
    for nb in sorted(root.glob("notebooks/**/*.ipynb")):
        for cell in json.loads(nb.read_text(encoding="utf-8")).get("cells", []):
            if isinstance(cell, dict) and "solution" in cell.get("metadata", {}).get("tags", []):
                leaks.append(f"{nb.relative_to(root)}: a cell tagged solution")
    telltales = solution_lines(book) if book is not None else {}
    for page in sorted(root.glob("**/*.html")):
        raw = page.read_text(encoding="utf-8", errors="replace")
        rel = page.relative_to(root).as_posix()
        for m in sorted(set(LEAK_MARKUP.findall(raw))):
            leaks.append(f"{rel}: solution markup {m!r}")
        if telltales:
            text = _page_text(raw)
            for where, line in telltales.items():
                if line in text:
                    leaks.append(f"{rel}: the solution at {where} ({line[:60]!r})")
    return leaks


def _tarinfo(info: tarfile.TarInfo) -> tarfile.TarInfo:
    info.mtime = MTIME
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    info.mode = 0o755 if info.isdir() else 0o644
    return info


def _write_tar(root: Path, out: Path) -> Path:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for p in [root, *sorted(root.rglob("*"))]:
            tar.add(p, arcname=p.relative_to(root.parent).as_posix(), recursive=False,
                    filter=_tarinfo)  # fmt: skip
    with (
        open(out, "wb") as raw,
        gzip.GzipFile(filename="", fileobj=raw, mode="wb", mtime=0) as gz,
    ):
        gz.write(buf.getvalue())
    return out


def make_bundle(
    out: Path,
    version: str,
    site: Path,
    notebooks: Path,
    wheel: Path,
    kind: str = "instructor",
    book: Path | None = None,
) -> Path:
    """Write the reproducible ``kind`` tarball ``out``; return its path.

    A learner bundle is checked with ``find_leaks`` (against the solutions of ``book``) first,
    and refused with the list of leaks.
    """
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="ptcourse-dist-") as tmp:
        root = stage(Path(tmp), version, site, notebooks, wheel, kind)
        if kind == "learner":
            leaks = find_leaks(root, book)
            if leaks:
                raise SystemExit(
                    "bundle: the learner bundle would hold solutions (build the site with "
                    "`make site-learner`):\n  " + "\n  ".join(leaks[:20])
                )
        return _write_tar(root, out)


def learner_config(out: Path, root: Path = ROOT) -> Path:
    """Write the learner build's ``_config.yml`` to ``out``: the book's, plus ``learner_site``.

    Local extension paths become absolute (jupyter-book reads them relative to the config file),
    and the execution cache is the book's own ``_build/.jupyter_cache``, so no chapter runs again.
    """
    import yaml

    config = yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8"))
    sphinx = config.setdefault("sphinx", {})
    local = {name: str((root / path).resolve()) for name, path in
             (sphinx.get("local_extensions") or {}).items()}  # fmt: skip
    local["learner_site"] = str((root / "press").resolve())
    sphinx["local_extensions"] = local
    config.setdefault("execute", {})["cache"] = str((root / "_build" / ".jupyter_cache").resolve())
    config["title"] = f"{config.get('title', 'ptcourse')} (learner edition)"
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        "# Generated by press/bundle.py learner-config for `make site-learner`; do not edit.\n"
        + yaml.safe_dump(config, sort_keys=False, allow_unicode=True),
        encoding="utf-8",
    )
    return out


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["learner-config"]:
        parser = argparse.ArgumentParser(description="Write the learner build's _config.yml.")
        parser.add_argument("--out", default="_build/learner/_config.yml")
        args = parser.parse_args(argv[1:])
        print(f"wrote {learner_config(Path(args.out))}")
        return 0
    parser = argparse.ArgumentParser(description="Write the learner and instructor bundles.")
    parser.add_argument("--version", required=True)
    parser.add_argument("--site", default="_build/html", help="the full site (instructor)")
    parser.add_argument("--learner-site", default="_build/learner/_build/html")
    parser.add_argument("--notebooks", default="notebooks")
    parser.add_argument("--wheel", required=True)
    parser.add_argument("--book", default="book", help="chapters whose solutions must not leak")
    parser.add_argument("--out-dir", default="dist")
    args = parser.parse_args(argv)
    for kind, site in (("learner", args.learner_site), ("instructor", args.site)):
        out = Path(args.out_dir) / f"ptcourse-workshop-{args.version}-{kind}.tar.gz"
        make_bundle(out, args.version, Path(site), Path(args.notebooks), Path(args.wheel),
                    kind=kind, book=Path(args.book))  # fmt: skip
        print(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB)")
    print("check a bundle with: tar xzf FILE && cd ptcourse-workshop-* && sha256sum -c SHA256SUMS")
    return 0


if __name__ == "__main__":
    sys.exit(main())

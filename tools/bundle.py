"""The offline workshop bundle behind `make dist`: site, notebooks, wheel and SHA256SUMS in one tarball.

Usage (from the repository root)::

    .venv/bin/python tools/bundle.py --version 0.1.0 --site _build/html \\
        --notebooks notebooks --wheel dist/ptcourse-0.1.0-py3-none-any.whl \\
        --out dist/ptcourse-workshop-0.1.0.tar.gz

The tarball holds one folder ``ptcourse-workshop-<version>/``::

    README.txt                      how to use it without internet
    site/                           the built book (open site/index.html)
    notebooks/instructor/*.ipynb    with solutions
    notebooks/student/*.ipynb       solutions replaced by stubs
    wheels/ptcourse-<version>-...whl
    SHA256SUMS                      `sha256sum -c SHA256SUMS` checks every other file

The archive is reproducible: entries sorted, fixed mtimes, owners and gzip header.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import shutil
import sys
import tarfile
import tempfile
from pathlib import Path

SUMS = "SHA256SUMS"
MTIME = 946684800  # 2000-01-01: fixed, so the same inputs give the same bytes

README = """\
ptcourse workshop bundle {version}
==================================

Everything a workshop needs without internet, except Python and torch themselves.

1. Check the files:           sha256sum -c SHA256SUMS
2. Install the package:       pip install --no-index --find-links wheels ptcourse=={version}
   (torch, numpy, matplotlib, ipywidgets must already be installed; nothing is downloaded)
3. Check each machine:        ptcourse doctor
4. Read the course:           open site/index.html in a browser
5. Learners open notebooks/student/*.ipynb in Jupyter; instructors have notebooks/instructor/.
   The notebooks' first cell skips the install when ptcourse is already present.
"""


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


def stage(staging: Path, version: str, site: Path, notebooks: Path, wheel: Path) -> Path:
    """Lay out the bundle folder under ``staging`` and write its SHA256SUMS; return the folder."""
    root = Path(staging) / f"ptcourse-workshop-{version}"
    for what, path in (("site", site), ("notebooks", notebooks), ("wheel", wheel)):
        if not Path(path).exists():
            raise SystemExit(
                f"bundle: the {what} {path} does not exist (run `make book` / `make wheel`)"
            )
    shutil.copytree(site, root / "site")
    # The rendered notebooks (tools/render_notebooks.py), never the jupytext twins notebooks/*.ipynb.
    instructor = sorted((Path(notebooks) / "instructor").glob("*.ipynb"))
    student = sorted((Path(notebooks) / "student").glob("*.ipynb"))
    if not instructor or not student:
        raise SystemExit(
            f"bundle: need {notebooks}/instructor/*.ipynb and {notebooks}/student/*.ipynb "
            "(make student)"
        )
    for sub, files in (("instructor", instructor), ("student", student)):
        (root / "notebooks" / sub).mkdir(parents=True)
        for f in files:
            shutil.copy2(f, root / "notebooks" / sub / f.name)
    (root / "wheels").mkdir()
    shutil.copy2(wheel, root / "wheels" / Path(wheel).name)
    (root / "README.txt").write_text(README.format(version=version))
    write_sha256sums(root)
    return root


def _tarinfo(info: tarfile.TarInfo) -> tarfile.TarInfo:
    info.mtime = MTIME
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    info.mode = 0o755 if info.isdir() else 0o644
    return info


def make_bundle(out: Path, version: str, site: Path, notebooks: Path, wheel: Path) -> Path:
    """Write the reproducible tarball ``out``; return its path."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="ptcourse-dist-") as tmp:
        root = stage(Path(tmp), version, site, notebooks, wheel)
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write the offline workshop bundle.")
    parser.add_argument("--version", required=True)
    parser.add_argument("--site", default="_build/html")
    parser.add_argument("--notebooks", default="notebooks")
    parser.add_argument("--wheel", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    out = make_bundle(Path(args.out), args.version, Path(args.site), Path(args.notebooks),
                      Path(args.wheel))  # fmt: skip
    print(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB); check with: sha256sum -c SHA256SUMS")
    return 0


if __name__ == "__main__":
    sys.exit(main())

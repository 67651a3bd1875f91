"""The Colab-faithful check: the rendered notebooks run in a venv that holds what Colab holds.

Usage (from the repository root; `make colab-check` runs it)::

    .venv/bin/python press/colab_check.py [--student notebooks/student] [--kernelspec DIR]

1. Build the ptcourse wheel into dist/ (``python -m build --wheel --no-isolation``).
2. Create (or reuse, when its stamp is fresh) ``.venv-colab``: torch at the version of
   requirements.lock first (Colab's own torch, 2.11 for Python 3.13, has no wheel for this Python),
   then the packages the notebooks import (ipywidgets, ipykernel, IPython, numpy, matplotlib) and
   nbclient to run them, with every version constrained to Colab's published package list
   (tests/colab/colab-pip-freeze.txt, a copy of googlecolab/backend-info's pip-freeze.txt): so
   ipywidgets 7.7.1, ipykernel 6.17.1, IPython 7.34.0, numpy 2.1.3, matplotlib 3.10.0. Everything
   comes from the local registries; nothing needs the internet. None of the course's dev tools
   (myst-nb, jupytext, pytest, ...): if a notebook needed one, the run fails here as in Colab.
3. The first student notebook: uninstall ptcourse, then execute it top to bottom with nbclient
   in a scratch directory (so the repository's sources cannot be imported), with pip pointed at the
   wheel only (PIP_FIND_LINKS=dist, PIP_NO_INDEX=1), as a learner opens it in a new runtime. Its
   first cell must be the install cell of press/install_cell.py.in, which installs the wheel with
   ``--no-deps``. Afterwards ptcourse must import at the wheel's version from the venv, ``pip
   freeze`` must differ only by ptcourse (torch, numpy, ... not replaced, nothing else pulled in),
   no cell may error, and every ``check.<name>(...)`` cell must print "not done yet" (never raise).
4. With ``--all``, the other student notebooks too, two at a time, with ptcourse now present: the
   same checks, and their install cell (the same text in every notebook) must do nothing. By
   default they run under nbval instead (``make notebooks``, step 6), so each executes once in CI.
5. Once: with ptcourse present, the install cell succeeds with pip unable to reach anything.
6. ``--kernelspec DIR`` writes two Jupyter kernelspecs of this venv into DIR/kernels/ (pip unable
   to reach anything): ``ptcourse-colab``, with ``PTCOURSE_CHECK_STUBS_ONLY=1``, in which
   ``make notebooks`` runs every student notebook under nbval (a checker that meets a finished
   answer raises; one that meets a stub prints "not done yet"), and ``ptcourse-colab-solutions``,
   with ``PTCOURSE_CHECK_REQUIRE_DONE=1``, in which ``make notebooks-instructor`` runs the
   instructor notebooks (a checker that meets a stub raises).

Exit status 0 when every notebook passes; the report lists each notebook's time.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent
VENV = ROOT / ".venv-colab"
DIST = ROOT / "dist"
STAMP = VENV / ".ptcourse-colab.stamp"
COLAB_FREEZE = ROOT / "tests" / "colab" / "colab-pip-freeze.txt"
# What the notebooks import from a Colab runtime (besides torch), plus nbclient to run them.
COLAB_PACKAGES = ["numpy", "matplotlib", "ipywidgets", "ipykernel", "ipython", "nbclient"]
# Versions that must match Colab's exactly in the venv (what the notebooks touch).
MUST_MATCH = ["ipywidgets", "ipykernel", "ipython", "numpy", "matplotlib"]
DEV_TOOLS = ["myst-nb", "jupytext", "pytest", "hypothesis", "nbval", "jupyter-book"]
INSTALL_RE = re.compile(r'^PTCOURSE = "([^"]+)"', re.M)
CHECK_RE = re.compile(r"^\s*check\.(\w+)\(", re.M)
NOT_DONE = "not done yet"


def log(msg: str) -> None:
    print(f"[colab-check] {msg}", flush=True)


def run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, check=True, text=True, **kw)


# ------------------------------------------------------------------------------------------------
# pieces the tests call directly
# ------------------------------------------------------------------------------------------------


def lock_pins(lock: Path = ROOT / "requirements.lock") -> dict[str, str]:
    """name -> version from requirements.lock (lower-cased names), or {} when there is no lock."""
    pins = {}
    if lock.exists():
        for line in lock.read_text().splitlines():
            m = re.match(r"^([A-Za-z0-9_.\-]+)==([^\s;#]+)", line.strip())
            if m:
                pins[m.group(1).lower().replace("_", "-")] = m.group(2)
    return pins


def torch_requirement(pins: dict[str, str]) -> str:
    """``torch==<the lock's version>``; the lock is the one place torch's version is written."""
    if "torch" not in pins:
        raise SystemExit("requirements.lock pins no torch version")
    return f"torch=={pins['torch']}"


def colab_pins(freeze: Path = COLAB_FREEZE) -> dict[str, str]:
    """name -> version of Colab's ``pip freeze`` (lines ``name==version``; URL lines such as torch's
    ``torch @ https://...`` are left out: those wheels exist for Colab's Python only)."""
    pins = {}
    for line in freeze.read_text(encoding="utf-8").splitlines():
        m = re.match(r"^([A-Za-z0-9_.\-]+)==([^\s;#]+)$", line.strip())
        if m:
            pins[m.group(1).lower().replace("_", "-")] = m.group(2)
    return pins


def colab_requirements(pins: dict[str, str]) -> list[str]:
    """The packages the notebooks import, each pinned to Colab's version where Colab lists it."""
    return [f"{name}=={pins[name]}" if name in pins else name for name in COLAB_PACKAGES]


def install_pin(source: str) -> str | None:
    """The version an install cell pins (``PTCOURSE = "X"``), or None when it pins none."""
    m = INSTALL_RE.search(source)
    return m.group(1) if m else None


def code_sources(nb: dict) -> list[str]:
    return [
        "".join(c["source"]) if isinstance(c["source"], list) else c["source"]
        for c in nb["cells"]
        if c["cell_type"] == "code"
    ]


def cell_text(cell: dict) -> str:
    """All stream and text output of an executed cell."""
    parts = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream":
            parts.append("".join(out["text"]) if isinstance(out["text"], list) else out["text"])
        elif "data" in out and "text/plain" in out["data"]:
            t = out["data"]["text/plain"]
            parts.append("".join(t) if isinstance(t, list) else t)
    return "".join(parts)


def checker_problems(nb: dict, expect_done: bool = False) -> tuple[int, list[str]]:
    """(number of checker cells, problems). A student notebook's checkers must print 'not done yet';
    with ``expect_done`` (an instructor notebook, solutions present) none may."""
    n, problems = 0, []
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code":
            continue
        src = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        for name in CHECK_RE.findall(src):
            n += 1
            text = cell_text(cell)
            if expect_done and NOT_DONE in text:
                problems.append(f"cell {i}: check.{name} says '{NOT_DONE}' on the solution")
            elif not expect_done and f"{name}: {NOT_DONE}" not in text:
                problems.append(f"cell {i}: check.{name} did not print '{NOT_DONE}' (got {text!r})")
    return n, problems


def freeze_diff(before: list[str], after: list[str]) -> tuple[set[str], set[str]]:
    """(removed, added) lines of ``pip freeze``."""
    return set(before) - set(after), set(after) - set(before)


# ------------------------------------------------------------------------------------------------
# steps
# ------------------------------------------------------------------------------------------------


def build_wheel(version: str) -> Path:
    """Build the ptcourse wheel into dist/ and return its path."""
    DIST.mkdir(exist_ok=True)
    wheel = DIST / f"ptcourse-{version}-py3-none-any.whl"
    wheel.unlink(missing_ok=True)
    build_dir = ROOT / "build"
    shutil.rmtree(build_dir, ignore_errors=True)  # no stale files from an earlier build
    proc = subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(DIST)],
        cwd=ROOT,
        text=True,
        capture_output=True,
    )
    shutil.rmtree(build_dir, ignore_errors=True)
    if proc.returncode != 0:
        raise SystemExit(f"building the wheel failed:\n{proc.stdout}{proc.stderr}")
    if not wheel.exists():
        raise SystemExit(f"build did not produce {wheel}")
    return wheel


def venv_python() -> Path:
    return VENV / "bin" / "python"


def ensure_venv(torch: str, requirements: list[str], constraints: dict[str, str]) -> None:
    """Create .venv-colab: torch first, then the Colab packages under Colab's versions."""
    stamp = hashlib.sha256(
        json.dumps([sys.version, torch, requirements, sorted(constraints.items())]).encode()
    ).hexdigest()
    if venv_python().exists() and STAMP.exists() and STAMP.read_text() == stamp:
        log(f"reusing {VENV.name} (stamp fresh)")
        return
    log(f"creating {VENV.name}: {torch} first, then {' '.join(requirements)} (Colab's versions)")
    shutil.rmtree(VENV, ignore_errors=True)
    base = getattr(sys, "_base_executable", sys.executable)
    run([base, "-m", "venv", str(VENV)])
    VENV.mkdir(exist_ok=True)
    cfile = VENV / "colab-constraints.txt"
    cfile.write_text("".join(f"{k}=={v}\n" for k, v in sorted(constraints.items())))
    # --no-compile: no byte-compiling of every installed file (torch: 10 s instead of 41 s); the
    # kernel compiles what it imports, once. Nothing a notebook sees differs.
    pip = [
        str(venv_python()), "-m", "pip", "install", "-q", "--no-compile",
        "--disable-pip-version-check",
    ]  # fmt: skip
    for step in ([*pip, torch], [*pip, "-c", str(cfile), *requirements]):
        proc = subprocess.run(step, text=True, capture_output=True)
        if proc.returncode != 0:
            raise SystemExit(f"{' '.join(step)} failed:\n{proc.stdout}{proc.stderr}")
    STAMP.write_text(stamp)


def pip_freeze() -> list[str]:
    out = run(
        [str(venv_python()), "-m", "pip", "freeze", "--all", "--disable-pip-version-check"],
        capture_output=True,
    ).stdout
    return sorted(line for line in out.splitlines() if line.strip())


def colab_like_problems(freeze: list[str], torch: str, colab: dict[str, str]) -> list[str]:
    """Where a venv's ``pip freeze`` differs from Colab: dev tools present, a version not Colab's."""
    have = {}
    for line in freeze:
        name, _, version = line.partition("==")
        have[name.split(" @ ")[0].strip().lower().replace("_", "-")] = version
    problems = [f"has the dev tool {t}" for t in DEV_TOOLS if t in have]
    want_torch = torch.split("==")[1]
    if have.get("torch", "").split("+")[0] != want_torch:
        problems.append(f"torch is {have.get('torch')!r}, the lock says {want_torch}")
    for name in MUST_MATCH:
        if name in colab and have.get(name) != colab[name]:
            problems.append(f"{name} is {have.get(name)!r}, Colab has {colab[name]}")
    return problems


def assert_colab_like(torch: str, colab: dict[str, str]) -> None:
    problems = colab_like_problems(pip_freeze(), torch, colab)
    if problems:
        raise SystemExit(f"{VENV.name} is not Colab-like: " + "; ".join(problems))


def prepare_venv() -> None:
    """Create (or reuse) .venv-colab from the lock's torch and Colab's pins, and check it."""
    torch, colab = torch_requirement(lock_pins()), colab_pins()
    ensure_venv(torch, colab_requirements(colab), colab)
    assert_colab_like(torch, colab)


def offline_env(find_links: Path) -> dict[str, str]:
    """What a notebook kernel of this venv adds to its environment: pip can reach only find_links."""
    return {
        "PIP_FIND_LINKS": str(find_links),
        "PIP_NO_INDEX": "1",
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "PIP_CONFIG_FILE": os.devnull,
        "PYTHONNOUSERSITE": "1",
        "MPLBACKEND": "module://matplotlib_inline.backend_inline",
    }


def kernel_env(find_links: Path) -> dict[str, str]:
    """The environment the kernel (and the install cell's pip) sees: pip can reach only find_links."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "PYTHON", "VIRTUAL_ENV"))
    }
    env.update(offline_env(find_links), PATH=f"{VENV / 'bin'}:{env.get('PATH', '')}")
    return env


def run_notebook(
    path: Path, version: str, timeout: int, *, fresh: bool, install: str, student: bool = True
) -> tuple[list[str], float, int]:
    """Execute one rendered notebook; return (problems, seconds, checker cells).

    ``fresh``: uninstall ptcourse first, so the install cell must install the wheel (as a learner
    opens a notebook in a new runtime); else ptcourse stays and the install cell must do nothing.
    ``student``: every checker must print "not done yet"; else (solutions present) none may.
    """
    problems: list[str] = []
    nb_src = json.loads(path.read_text())
    codes = code_sources(nb_src)
    if not codes or codes[0] != install:
        problems.append("first code cell is not the install cell of press/install_cell.py.in")
    if fresh:
        subprocess.run(
            [str(venv_python()), "-m", "pip", "uninstall", "-y", "-q", "ptcourse"],
            check=False,
            capture_output=True,
        )
    before = pip_freeze()
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="colab-") as tmp:
        executed = Path(tmp) / "executed.ipynb"
        report = Path(tmp) / "report.json"
        proc = subprocess.run(
            [
                str(venv_python()),
                str(HERE / "run_notebook.py"),
                str(path),
                str(executed),
                str(report),
                str(timeout),
            ],
            cwd=tmp,
            env=kernel_env(DIST if fresh else Path(tmp)),
            text=True,
            capture_output=True,
        )
        seconds = time.perf_counter() - t0
        if proc.returncode != 0:
            tail = (proc.stdout + proc.stderr)[-3000:]
            return problems + [f"execution failed:\n{tail}"], seconds, 0
        info = json.loads(report.read_text())
        nb = json.loads(executed.read_text())
    if info["ptcourse_version"] != version:
        problems.append(f"ptcourse {info['ptcourse_version']} imported, wheel is {version}")
    if not info["ptcourse_file"].startswith(str(VENV)):
        problems.append(f"ptcourse imported from {info['ptcourse_file']}, not from {VENV.name}")
    if info.get("shipped_checkpoints") != ["pretrain-seed0.pt", "sft-seed0.pt"]:
        problems.append(
            f"the installed wheel ships {info.get('shipped_checkpoints')}, not the seed-0 checkpoints"
        )
    elif not info.get("weights_dir", "").startswith(str(VENV)):
        problems.append(
            f"the shipped checkpoints loaded from {info.get('weights_dir')}, not from {VENV.name}"
        )
    else:
        log(
            f"the fresh runtime loaded the shipped SFT checkpoint without training, in {info['sft_load_seconds']:.2f} s"
        )
    removed, added = freeze_diff(before, pip_freeze())
    expected = {f"ptcourse=={version}"} if fresh else set()
    if removed or added != expected:
        problems.append(f"pip freeze changed beyond ptcourse: removed {removed}, added {added}")
    code_cells = [c for c in nb["cells"] if c["cell_type"] == "code"]
    said = cell_text(code_cells[0]) if code_cells else ""
    if fresh and f"ptcourse {version} installed from PyPI" not in said:
        problems.append(f"the install cell did not say where ptcourse came from: {said!r}")
    if not fresh and said.strip():
        problems.append(f"the install cell should do nothing with ptcourse present, said {said!r}")
    n_checks, check_problems = checker_problems(nb, expect_done=not student)
    problems += check_problems
    return problems, seconds, n_checks


def install_cell_skips_when_present(source: str) -> list[str]:
    """With ptcourse installed and pip unable to reach anything, the install cell still succeeds."""
    with tempfile.TemporaryDirectory(prefix="colab-empty-") as empty:
        proc = subprocess.run(
            [str(venv_python()), "-c", source],
            cwd=empty,
            env=kernel_env(Path(empty)),
            text=True,
            capture_output=True,
        )
    return (
        []
        if proc.returncode == 0
        else [f"install cell failed with ptcourse present: {proc.stderr}"]
    )


#: kernel name -> the checker mode its notebooks run in (ptcourse.course.check.harness)
KERNELS = {
    "ptcourse-colab": ("student", "PTCOURSE_CHECK_STUBS_ONLY"),  # every exercise a stub
    "ptcourse-colab-solutions": ("instructor", "PTCOURSE_CHECK_REQUIRE_DONE"),  # every one solved
}


def write_kernelspecs(root: Path) -> list[Path]:
    """Write the two kernelspecs of this venv under ``root/kernels/``; return their folders.

    Both run .venv-colab's Python with pip unable to reach anything (an empty find-links folder, no
    index, no config file). ``ptcourse-colab`` (for the student notebooks) sets
    ``PTCOURSE_CHECK_STUBS_ONLY=1``: a checker that meets a finished answer raises.
    ``ptcourse-colab-solutions`` (for the instructor notebooks) sets
    ``PTCOURSE_CHECK_REQUIRE_DONE=1``: a checker that meets a stub raises. Point ``JUPYTER_PATH``
    at ``root`` and pass ``--nbval-kernel-name NAME`` to nbval.
    """
    empty = root / "no-packages"
    empty.mkdir(parents=True, exist_ok=True)
    folders = []
    for name, (kind, flag) in KERNELS.items():
        folder = root / "kernels" / name
        folder.mkdir(parents=True, exist_ok=True)
        spec = {
            "argv": [str(venv_python()), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": f"Python 3 (Colab-faithful .venv-colab, {kind} notebooks)",
            "language": "python",
            "env": {**offline_env(empty), flag: "1"},
        }
        (folder / "kernel.json").write_text(json.dumps(spec, indent=1) + "\n")
        folders.append(folder)
    return folders


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    from render_notebooks import NOTEBOOK_DIRS

    parser.add_argument("--student", default=str(ROOT / NOTEBOOK_DIRS["student"]))
    parser.add_argument("--kernelspec", help="also write the ptcourse-colab kernelspec here")
    parser.add_argument("--timeout", type=int, default=300, help="seconds per cell")
    parser.add_argument(
        "--all",
        action="store_true",
        help="run every student notebook here (by default only the first, which installs the "
        "wheel; `make notebooks` runs them all under nbval in the ptcourse-colab kernel)",
    )
    parser.add_argument("--jobs", type=int, default=2, help="notebooks run at once after the first")
    parser.add_argument(
        "--venv-only",
        action="store_true",
        help="only create (or reuse) .venv-colab and exit; needs nothing but the standard library, "
        "so `make test` runs it beside the unit tests",
    )
    args = parser.parse_args(argv)
    if args.venv_only:
        prepare_venv()
        return 0

    t_start = time.perf_counter()
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(HERE))
    from render_notebooks import install_cell, load_config, repository_url

    from ptcourse import __version__ as version

    install = install_cell(repository_url(load_config()), version)
    student = sorted(Path(args.student).resolve().glob("*.ipynb"))
    if not student:
        log(f"no notebooks in {args.student}: run `make student` first")
        return 1
    wheel = build_wheel(version)
    log(f"built {wheel.relative_to(ROOT)}")
    prepare_venv()

    failed = []

    def report(path: Path, result: tuple[list[str], float, int]) -> None:
        problems, seconds, n_checks = result
        name = f"{path.parent.name}/{path.name}"
        log(
            f"{name}: {'ok' if not problems else 'FAILED'} in {seconds:.1f}s ({n_checks} checker cells)"
        )
        for p in problems:
            log(f"    {p}")
        if problems:
            failed.append(name)

    # The first notebook starts without ptcourse, as in a new Colab runtime, and installs the wheel.
    # Every notebook's first cell is that same install cell (tests/colab), so the others run with
    # ptcourse present (their install cell must do nothing), side by side: they change nothing.
    first, rest = student[0], (student[1:] if args.all else [])
    report(first, run_notebook(first, version, args.timeout, fresh=True, install=install))
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        results = pool.map(
            lambda p: run_notebook(p, version, args.timeout, fresh=False, install=install), rest
        )
        for path, result in zip(rest, results, strict=True):
            report(path, result)
    runs = [first, *rest]

    skip = install_cell_skips_when_present(install)
    log("install cell with ptcourse present: " + ("skips (ok)" if not skip else skip[0]))
    if skip:
        failed.append("install-cell-skip")
    log(f"total {time.perf_counter() - t_start:.1f}s")
    if failed:
        log(f"FAILED: {', '.join(failed)}")
        return 1
    if args.kernelspec:
        for folder in write_kernelspecs(Path(args.kernelspec).resolve()):
            log(f"kernelspec {folder.name} written to {folder}")
    log(f"{len(runs)} of {len(student)} student notebooks run here, in a Colab-faithful venv")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

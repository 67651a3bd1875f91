"""The Colab-like check: student notebooks run in a venv that holds only what Colab already has.

Usage (from the repository root; `make colab-check` runs it)::

    .venv/bin/python tools/colab_check.py [--notebooks notebooks/student] [--keep-going]

1. Build the ptcourse wheel into dist/ (``python -m build --wheel --no-isolation``).
2. Create (or reuse, when its stamp is fresh) ``.venv-colab``: python, torch==2.13.0 installed first
   (the local CPU wheel), then numpy, matplotlib, ipywidgets, and ipykernel + nbclient to run the
   notebooks, as Colab has a kernel. None of the course's dev tools (myst-nb, jupytext, pytest,
   hypothesis, nbval): if a chapter needed one, the run fails here as it would in Colab.
3. For each student notebook: uninstall ptcourse, then execute the notebook end to end with nbclient
   in a scratch directory (so the repository's sources cannot be imported), with pip pointed at the
   wheel only (PIP_FIND_LINKS=dist, PIP_NO_INDEX=1). The install cell must install the wheel's pinned
   version. Afterwards ptcourse must import at the wheel's version from the venv, ``pip freeze`` must
   differ only by ptcourse (torch, numpy, ... not replaced, nothing else pulled in), no cell may error,
   and every ``check.<name>(...)`` cell must print "not done yet" (never raise).
4. Once: with ptcourse present, the install cell must do nothing (no pip call) and succeed offline.

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
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent
VENV = ROOT / ".venv-colab"
DIST = ROOT / "dist"
STAMP = VENV / ".ptcourse-colab.stamp"
TORCH = "torch==2.13.0"
# What a Colab runtime already has (besides python and torch), plus the kernel machinery to run notebooks.
COLAB_PACKAGES = ["numpy", "matplotlib", "ipywidgets", "ipykernel", "nbclient"]
DEV_TOOLS = ["myst-nb", "jupytext", "pytest", "hypothesis", "nbval", "jupyter-book"]
INSTALL_RE = re.compile(r'"ptcourse==([^"]+)"')
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


def colab_requirements(pins: dict[str, str]) -> list[str]:
    """The Colab-like package list, pinned to the lock's versions where the lock has them."""
    return [f"{name}=={pins[name]}" if name in pins else name for name in COLAB_PACKAGES]


def install_pin(source: str) -> str | None:
    """The version an install cell pins (``"ptcourse==X"``), or None when it pins none."""
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


def checker_problems(nb: dict) -> tuple[int, list[str]]:
    """(number of checker cells, problems): each check.<name>(...) cell must print 'not done yet'."""
    n, problems = 0, []
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code":
            continue
        src = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        for name in CHECK_RE.findall(src):
            n += 1
            text = cell_text(cell)
            if f"{name}: {NOT_DONE}" not in text:
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


def ensure_venv(requirements: list[str]) -> None:
    """Create .venv-colab with torch then the Colab packages, unless its stamp is fresh."""
    stamp = hashlib.sha256(
        json.dumps([sys.version, TORCH, requirements, COLAB_PACKAGES]).encode()
    ).hexdigest()
    if venv_python().exists() and STAMP.exists() and STAMP.read_text() == stamp:
        log(f"reusing {VENV.name} (stamp fresh)")
        return
    log(f"creating {VENV.name}: {TORCH} first, then {' '.join(requirements)}")
    shutil.rmtree(VENV, ignore_errors=True)
    base = getattr(sys, "_base_executable", sys.executable)
    run([base, "-m", "venv", str(VENV)])
    pip = [str(venv_python()), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    for step in ([*pip, TORCH], [*pip, *requirements]):  # torch first: the local CPU wheel
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


def assert_colab_like() -> None:
    """The venv holds torch 2.13.0 and none of the course's dev tools."""
    names = {line.split("==")[0].split(" @ ")[0].lower() for line in pip_freeze()}
    present = sorted(set(DEV_TOOLS) & names)
    if present:
        raise SystemExit(f"{VENV.name} is not Colab-like: it has {present}")
    torch_line = [line for line in pip_freeze() if line.lower().startswith("torch==")]
    if not torch_line or not torch_line[0].startswith("torch==2.13.0"):
        raise SystemExit(f"{VENV.name} should hold {TORCH}, has {torch_line}")


def kernel_env(find_links: Path) -> dict[str, str]:
    """The environment the kernel (and the install cell's pip) sees: pip can reach only find_links."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "PYTHON", "VIRTUAL_ENV"))
    }
    env.update(
        PIP_FIND_LINKS=str(find_links),
        PIP_NO_INDEX="1",
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        PIP_CONFIG_FILE=os.devnull,
        PYTHONNOUSERSITE="1",
        MPLBACKEND="module://matplotlib_inline.backend_inline",
        PATH=f"{VENV / 'bin'}:{env.get('PATH', '')}",
    )
    return env


def run_notebook(path: Path, version: str, timeout: int) -> tuple[list[str], float, int]:
    """Execute one student notebook from scratch; return (problems, seconds, checker cells)."""
    problems: list[str] = []
    nb_src = json.loads(path.read_text())
    codes = code_sources(nb_src)
    if not codes or install_pin(codes[0]) != version:
        pin = install_pin(codes[0]) if codes else None
        problems.append(
            f"first code cell must be the install cell pinning ptcourse=={version}: {pin}"
        )
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
            env=kernel_env(DIST),
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
    removed, added = freeze_diff(before, pip_freeze())
    if removed or added != {f"ptcourse=={version}"}:
        problems.append(f"pip freeze changed beyond ptcourse: removed {removed}, added {added}")
    n_checks, check_problems = checker_problems(nb)
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--notebooks", default=str(ROOT / "notebooks" / "student"))
    parser.add_argument("--timeout", type=int, default=300, help="seconds per cell")
    args = parser.parse_args(argv)

    t_start = time.perf_counter()
    sys.path.insert(0, str(ROOT))
    from ptcourse import __version__ as version

    notebooks = sorted(Path(args.notebooks).resolve().glob("*.ipynb"))
    if not notebooks:
        log(f"no notebooks in {args.notebooks}: run `make student` first")
        return 1
    wheel = build_wheel(version)
    log(f"built {wheel.relative_to(ROOT)}")
    ensure_venv(colab_requirements(lock_pins()))
    assert_colab_like()

    failed = []
    for path in notebooks:
        problems, seconds, n_checks = run_notebook(path, version, args.timeout)
        status = "ok" if not problems else "FAILED"
        log(f"{path.name}: {status} in {seconds:.1f}s ({n_checks} checker cells)")
        for p in problems:
            log(f"    {p}")
        if problems:
            failed.append(path.name)

    first = code_sources(json.loads(notebooks[0].read_text()))[0]
    skip = install_cell_skips_when_present(first)
    log("install cell with ptcourse present: " + ("skips (ok)" if not skip else skip[0]))
    if skip:
        failed.append("install-cell-skip")
    log(f"total {time.perf_counter() - t_start:.1f}s")
    if failed:
        log(f"FAILED: {', '.join(failed)}")
        return 1
    log("all student notebooks run in a Colab-like venv")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

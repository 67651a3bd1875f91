"""Every chapter under 3 CPU kernel sets x 3 seed offsets: does each claim hold, and how far do glued numbers move?

`make claims-matrix` runs this. A result of the course is what holds across seeds and machines:
torch picks its CPU kernels per machine (``ATEN_CPU_CAPABILITY`` forces another set here), and
``PTCOURSE_SEED_OFFSET`` re-runs every experiment as another draw. For each chapter and variation a
notebook kernel executes the chapter with ``claim`` and ``glue`` recording instead of stopping at
the first failed claim (an injected first cell wraps them; the chapter's own code is unchanged).

Writes ``benchmarks/results/claims_matrix.json`` (every record) and ``claims_matrix.md``: a table of
every claim under every variation (value, bound, holds), the spread of every glued number, and the
wall time of each run. Exits 1 when any claim fails or a cell raises.

    python press/claims_matrix.py                       # the whole matrix, two runs at a time
    python press/claims_matrix.py --chapters 07 --caps native --offsets 0 1000
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
CAPS = ("native", "avx2", "default")
OFFSETS = (0, 1000, 2000)

# Injected as the notebook's first cell: claim() records and never raises; glue() records numbers.
RECORDER = """
import json as _json, math as _math, os as _os
import ptcourse.course.glue as _g
_LOG = _os.environ["PTCOURSE_CLAIMS_LOG"]
_claim, _glue = _g.claim, _g.glue
def _num(v):
    try:
        v = v.item() if hasattr(v, "item") else v
        return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None
    except Exception:
        return None
def _rec(**kw):
    with open(_LOG, "a") as fh:
        fh.write(_json.dumps(kw) + "\\n")
def claim(name, value, *, at_least=None, at_most=None, glue_it=True, display=False):
    try:
        _claim(name, value, at_least=at_least, at_most=at_most, glue_it=glue_it, display=display)
        ok, err = True, ""
    except _g.ClaimError as e:
        ok, err = False, str(e)
    _rec(kind="claim", name=name, value=_num(value) if not isinstance(value, bool) else bool(value),
         at_least=_num(at_least), at_most=_num(at_most), holds=ok, error=err)
    return value
def glue(name, value, display=False):
    _glue(name, value, display=display)
    v = _num(value)
    if v is not None and _math.isfinite(v):
        _rec(kind="glue", name=name, value=v)
_g.claim, _g.glue = claim, glue
"""


def chapters(selected: list[str] | None) -> list[Path]:
    from chapter import chapters as all_chapters
    from chapter import has_claims

    found = [p for p in all_chapters() if has_claims(p)]
    if selected:
        found = [p for p in found if p.name[:2] in selected]
    return found


def run_one(chapter: Path, cap: str, offset: int, timeout: int) -> dict:
    """Execute one chapter in one variation in a fresh kernel; return its records."""
    import jupytext
    import nbformat
    from nbclient import NotebookClient

    log = Path(tempfile.mkstemp(prefix="claims-", suffix=".jsonl")[1])
    env = {
        "PTCOURSE_CLAIMS_LOG": str(log),
        "PTCOURSE_SEED_OFFSET": str(offset),
        "MPLBACKEND": "Agg",
    }
    saved = {k: os.environ.get(k) for k in (*env, "ATEN_CPU_CAPABILITY")}
    os.environ.update(env)
    if cap == "native":
        os.environ.pop("ATEN_CPU_CAPABILITY", None)
    else:
        os.environ["ATEN_CPU_CAPABILITY"] = cap
    nb = jupytext.read(chapter)
    nb.cells.insert(0, nbformat.v4.new_code_cell(RECORDER))
    errors, start = [], time.perf_counter()
    try:
        client = NotebookClient(
            nb,
            timeout=timeout,
            kernel_name="python3",
            allow_errors=True,
            resources={"metadata": {"path": str(chapter.parent)}},
        )
        client.execute()
        for cell in nb.cells:
            for out in cell.get("outputs", []):
                if out.get("output_type") == "error":
                    errors.append(f"{out['ename']}: {out['evalue']}"[:300])
    except Exception as err:  # a timeout or a dead kernel: report it as the run's error
        errors.append(f"{type(err).__name__}: {err}"[:300])
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    records = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    log.unlink()
    return {
        "chapter": chapter.name,
        "cap": cap,
        "offset": offset,
        "seconds": time.perf_counter() - start,
        "errors": errors,
        "records": records,
    }


def _subprocess_run(chapter: Path, cap: str, offset: int, timeout: int) -> dict:
    """``run_one`` in its own process, so that two runs at a time share nothing."""
    out = subprocess.run(
        [
            sys.executable,
            __file__,
            "--one",
            str(chapter),
            cap,
            str(offset),
            "--timeout",
            str(timeout),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    if out.returncode != 0:
        return {
            "chapter": chapter.name,
            "cap": cap,
            "offset": offset,
            "seconds": 0.0,
            "errors": [out.stderr[-500:]],
            "records": [],
        }
    return json.loads(out.stdout.splitlines()[-1])


def _fmt(v) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    return f"{v:.4g}"


def report(runs: list[dict]) -> tuple[str, bool]:
    """The markdown report, and whether every claim held with no cell error."""
    variations = sorted(
        {(r["cap"], r["offset"]) for r in runs},
        key=lambda v: (CAPS.index(v[0]) if v[0] in CAPS else 9, v[1]),
    )
    heads = [f"{c}/+{o}" for c, o in variations]
    ok = all(not r["errors"] for r in runs)
    lines = [
        "# Claims matrix",
        "",
        f"Made by `make claims-matrix` (`press/claims_matrix.py`), {time.strftime('%Y-%m-%d')}; "
        f"native kernels here: {runs[0].get('native', '?')}; torch {runs[0].get('torch', '?')}."
        + (
            " The forced kernel set equal to the native one was not run twice: its column repeats the"
            " native runs."
            if any(r.get("same_as_native") for r in runs)
            else ""
        ),
        "",
    ]
    total = held = 0
    body = []
    for chapter in sorted({r["chapter"] for r in runs}):
        mine = {(r["cap"], r["offset"]): r for r in runs if r["chapter"] == chapter}
        names: list[str] = []
        for r in mine.values():
            for rec in r["records"]:
                if rec["kind"] == "claim" and rec["name"] not in names:
                    names.append(rec["name"])
        body += [
            "",
            f"## {chapter}",
            "",
            "| claim | bound | " + " | ".join(heads) + " |",
            "|---|---|" + "---:|" * len(heads),
        ]
        for name in names:
            cells, bound = [], ""
            for v in variations:
                recs = [
                    x
                    for x in mine.get(v, {"records": []})["records"]
                    if x["kind"] == "claim" and x["name"] == name
                ]
                if not recs:
                    cells.append("missing")
                    ok = False
                    continue
                x = recs[-1]
                bound = " ".join(
                    s
                    for s in (
                        f">= {_fmt(x['at_least'])}" if x["at_least"] is not None else "",
                        f"<= {_fmt(x['at_most'])}" if x["at_most"] is not None else "",
                    )
                    if s
                )
                total += 1
                held += x["holds"]
                ok &= x["holds"]
                cells.append(_fmt(x["value"]) + ("" if x["holds"] else " **FAILS**"))
            body.append(f"| `{name}` | {bound} | " + " | ".join(cells) + " |")
        errs = [f"{c}/+{o}: {e}" for (c, o), r in mine.items() for e in r["errors"]]
        if errs:
            body += ["", "Cell errors:", *[f"- {e}" for e in errs]]
    lines.append(
        f"**{held} of {total} claim checks hold** over {len(variations)} variations x "
        f"{len({r['chapter'] for r in runs})} chapters."
    )
    lines += [
        "",
        "Wall time per run (s): "
        + ", ".join(
            f"{r['chapter'][:2]} {r['cap']}/+{r['offset']} {r['seconds']:.0f}" for r in runs
        ),
    ]
    lines += body
    # the spread of every glued number across variations
    lines += [
        "",
        "## Glued numbers: spread across variations",
        "",
        "Relative spread = (max - min) / max(|median|, 1e-12).",
        "",
        "| chapter | number | min | median | max | relative spread |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for chapter in sorted({r["chapter"] for r in runs}):
        values: dict[str, list[float]] = {}
        for r in runs:
            if r["chapter"] == chapter:
                last = {x["name"]: x["value"] for x in r["records"] if x["kind"] == "glue"}
                for k, v in last.items():
                    values.setdefault(k, []).append(v)
        for k, vs in sorted(values.items()):
            vs = sorted(vs)
            med = vs[len(vs) // 2]
            spread = (vs[-1] - vs[0]) / max(abs(med), 1e-12)
            if spread > 0:
                lines.append(
                    f"| {chapter[:2]} | `{k}` | {vs[0]:.4g} | {med:.4g} | {vs[-1]:.4g} | {spread:.1%} |"
                )
    return "\n".join(lines) + "\n", ok


def _write(runs: list[dict], out: Path) -> int:
    """Write the report of ``runs`` to ``out``.md and ``out``.json; 0 when every claim held, else 1."""
    text, ok = report(runs)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(runs, indent=1) + "\n")
    out.with_suffix(".md").write_text(text)
    print(f"wrote {out.with_suffix('.md')} from {len(runs)} runs; every claim holds: {ok}")
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--chapters", nargs="*", help="two-digit chapter numbers (default: all with claims)"
    )
    parser.add_argument("--caps", nargs="*", default=list(CAPS), choices=CAPS)
    parser.add_argument("--offsets", nargs="*", type=int, default=list(OFFSETS))
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--timeout", type=int, default=900, help="seconds per cell")
    parser.add_argument(
        "--out", default=str(RESULTS / "claims_matrix"), help="path stem of the .json and .md"
    )
    parser.add_argument(
        "--one", nargs=3, metavar=("CHAPTER", "CAP", "OFFSET"), help=argparse.SUPPRESS
    )
    parser.add_argument(
        "--combine",
        nargs="+",
        metavar="JSON",
        help="write the report of earlier runs (.json or .partial.jsonl files) instead of running",
    )
    args = parser.parse_args(argv)
    if args.combine:
        runs = []
        for name in args.combine:
            text = Path(name).read_text()
            runs += (
                json.loads(text)
                if name.endswith(".json")
                else [json.loads(x) for x in text.splitlines() if x.strip()]
            )
        # the latest run of each (chapter, kernel set, offset) wins
        runs = list({(r["chapter"], r["cap"], r["offset"]): r for r in runs}.values())
        return _write(runs, Path(args.out))
    if args.one:
        chapter, cap, offset = args.one
        print(json.dumps(run_one(Path(chapter), cap, int(offset), args.timeout)))
        return 0
    import torch

    native = torch.backends.cpu.get_cpu_capability().lower()  # e.g. "avx2", "avx512", "default"
    caps = list(args.caps)
    same = [c for c in caps if c != "native" and c == native and "native" in caps]
    for c in same:  # forcing the machine's own kernel set is the native run: run it once
        caps.remove(c)
        print(f"{c} is this machine's own kernel set: the native runs stand for it", flush=True)
    jobs = [(c, cap, off) for c in chapters(args.chapters) for cap in caps for off in args.offsets]
    # slowest chapters first, so that the last runs are short ones
    jobs.sort(key=lambda j: -int(j[0].name[:2]))
    runs = []
    with cf.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        futures = {
            pool.submit(_subprocess_run, c, cap, off, args.timeout): (c, cap, off)
            for c, cap, off in jobs
        }
        for fut in cf.as_completed(futures):
            r = fut.result()
            bad = [x["name"] for x in r["records"] if x["kind"] == "claim" and not x["holds"]]
            print(
                f"{r['chapter']:32s} {r['cap']:8s} +{r['offset']:<5d} {r['seconds']:6.0f} s  "
                f"{len([x for x in r['records'] if x['kind'] == 'claim'])} claims, fails: {bad or 'none'}"
                + (f", errors: {r['errors']}" if r["errors"] else ""),
                flush=True,
            )
            r["native"], r["torch"] = torch.backends.cpu.get_cpu_capability(), torch.__version__
            runs.append(r)
            partial = Path(args.out).with_suffix(".partial.jsonl")  # each run as it ends
            partial.parent.mkdir(parents=True, exist_ok=True)
            with partial.open("a") as fh:
                fh.write(json.dumps(r) + "\n")
    for r in runs:
        r["native"], r["torch"] = torch.backends.cpu.get_cpu_capability(), torch.__version__
    for c in same:  # report the forced-native column from the native runs, marked as such
        runs += [{**r, "cap": c, "same_as_native": True} for r in runs if r["cap"] == "native"]
    return _write(runs, Path(args.out))


if __name__ == "__main__":
    sys.exit(main())

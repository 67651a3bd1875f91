"""What ``ptcourse demo`` prints: ``format_summary`` (one run), ``format_comparison`` (runs with
different ``beta``) and ``ProgressPrinter`` (the stderr lines while a demo trains).

A trend starts at the "start" column's value and ends at the "final" column's (the history between,
averaged into buckets); fractions (``metrics.METRICS[key].fraction``) are drawn on a fixed 0..1
scale, and compared runs share each metric's scale. Lines fit ``COLUMNS`` (80) characters; labels
come from ``metrics.METRICS`` ("hack rate", "distinct-2").
"""

from __future__ import annotations

import math
import sys
import textwrap
import time

from .metrics import METRICS

__all__ = ["COLUMNS", "format_summary", "format_comparison", "ProgressPrinter"]

#: the widest line the tables and the progress lines print (a default terminal)
COLUMNS = 80
#: a progress event's key -> how a progress line shows it
_FIELDS = {"reward": "reward {:.3f}", "kl": "KL {:.2f}", "entropy": "entropy {:.2f}",
           "hack_rate": "hack rate {:.0%}"}  # fmt: skip


def _bars() -> str:
    bars = "▁▂▃▄▅▆▇█"
    try:
        bars.encode(sys.stdout.encoding or "ascii")
    except (UnicodeEncodeError, LookupError):
        return "_.-~=*#@"
    return bars


def _series(start, history: list, final, width: int = 16) -> list[float]:
    """The trend of one metric: ``start``, the history averaged into buckets, then ``final``
    (``None`` and non-finite values dropped).

    >>> _series(0.0, [0.1, 0.2, 0.3, 0.4], 1.0, width=4)
    [0.0, 0.15000000000000002, 0.35, 1.0]
    """
    vals = [v for v in history if v is not None and math.isfinite(v)]
    step = max(1, math.ceil(len(vals) / max(width - 2, 1)))
    mid = [sum(vals[i : i + step]) / len(vals[i : i + step]) for i in range(0, len(vals), step)]
    ends = [v if v is not None and math.isfinite(v) else None for v in (start, final)]
    return [v for v in (ends[0], *mid, ends[1]) if v is not None]


def _spark(points: list[float], scale: tuple[float, float]) -> str:
    """One bar per point on the scale ``(lo, hi)`` (the lowest bar at or below ``lo``).

    >>> _spark([0.0, 0.5, 1.0], (0.0, 1.0)) in ("▁▅█", "_=@")
    True
    """
    if len(points) < 2:
        return ""
    bars, (lo, hi) = _bars(), scale
    if hi - lo < 1e-12:
        return bars[0] * len(points)
    return "".join(bars[max(0, min(7, int((p - lo) / (hi - lo) * 8)))] for p in points)


def _trends(key: str, results: list[dict]) -> list[str]:
    """Each run's sparkline of ``key`` ("" without history) on one scale: 0..1 or all runs' range."""
    pts = [_series(r.get("start", {}).get(key), r.get("history", {}).get(key, []),
                   r["final"].get(key)) for r in results]  # fmt: skip
    flat = [v for p in pts for v in p]
    scale = (min(flat), max(flat)) if flat and not METRICS[key].fraction else (0.0, 1.0)
    return [
        _spark(p, scale) if r.get("history", {}).get(key) else ""
        for r, p in zip(results, pts, strict=True)
    ]


def _row(label: str, width: int, start, final, trend: str, fmt: str = "{}") -> str:
    """One table line: label, start and final ("-" when not measured), trend."""
    s0, s1 = (fmt.format(v) if v is not None else "-" for v in (start, final))
    return f"{label:<{width}}  {s0:>7}  {s1:>7}   {trend}".rstrip()


def _header(result: dict, seconds: float | None, params: dict, title: str = "") -> list[str]:
    head = f"ptcourse demo {result['demo']}{title}"
    head += f"  [{seconds:.1f} s]" if seconds is not None else ""
    settings = ", ".join([f"seed {result['seed']}", *(f"{k} {v}" for k, v in params.items())])
    return [head, *textwrap.wrap(settings, COLUMNS - 2, initial_indent="  ",
                                 subsequent_indent="  ")]  # fmt: skip


def format_summary(result: dict, seconds: float | None = None) -> str:
    """A demo result as a table (metric, start, final, trend) and its sample answers.

    >>> r = {"demo": "x", "seed": 0, "params": {"beta": 0.5}, "final": {"reward": 1.0},
    ...      "start": {"reward": 0.5}, "history": {}, "samples": ["a"]}
    >>> print(format_summary(r))  # doctest: +NORMALIZE_WHITESPACE
    ptcourse demo x
      seed 0, beta 0.5
    <BLANKLINE>
      metric    start    final   trend
      reward    0.500    1.000
    <BLANKLINE>
    samples:
      a
    """
    final, start = result["final"], result.get("start", {})
    keys = [key for key in METRICS if final.get(key) is not None]
    w = max(len("metric"), *(len(METRICS[key].label) for key in keys))
    lines = [*_header(result, seconds, result["params"]), "",
             "  " + _row("metric", w, "start", "final", "trend")]  # fmt: skip
    trends = [_trends(key, [result])[0] for key in keys]
    for key, trend in zip(keys, trends, strict=True):
        m = METRICS[key]
        lines.append("  " + _row(m.label, w, start.get(key), final[key], trend, m.fmt))
    if any(trends):
        lines += ["", "  trend: start -> final; fractions on 0..1, other rows on their own range"]
    if result.get("samples"):
        lines += ["", "samples:"] + [f"  {s}" for s in result["samples"]]
    return "\n".join(lines)


def format_comparison(results: list[dict], seconds: float | None = None) -> str:
    """Runs of one demo with different ``beta``: per metric one line per run, trends on one scale.

    >>> a = {"demo": "x", "seed": 0, "params": {"beta": 0.5}, "final": {"kl": 1.0},
    ...      "start": {"kl": 0.0}, "history": {"kl": [0.0, 1.0]}, "samples": []}
    >>> b = {**a, "params": {"beta": 0.0}, "final": {"kl": 4.0}, "history": {"kl": [0.0, 4.0]}}
    >>> text = format_comparison([a, b])
    >>> rows = [line.split()[-1] for line in text.splitlines() if line.startswith("    beta")]
    >>> [[_bars().index(c) for c in row] for row in rows]  # bar heights 0..7 on one scale 0..4
    [[0, 0, 2, 2], [0, 0, 7, 7]]
    """
    first = results[0]
    tags = [f"beta {r['params'].get('beta')}" for r in results]
    fixed = {k: v for k, v in first["params"].items() if k != "beta"}
    keys = [k for k in METRICS if any(r["final"].get(k) is not None for r in results)]
    w = max(len("metric"), *(len(METRICS[k].label) for k in keys))
    lines = [*_header(first, seconds, fixed, f": {' vs '.join(tags)}"), "",
             "  " + _row("metric", w, "start", "final", "trend (shared scale)")]  # fmt: skip
    for key in keys:
        m = METRICS[key]
        lines.append(f"  {m.label}")
        for r, tag, trend in zip(results, tags, _trends(key, results), strict=True):
            cells = (r[column].get(key) for column in ("start", "final"))
            lines.append("    " + _row(tag, w - 2, *cells, trend, m.fmt))
    for r, tag in zip(results, tags, strict=True):
        if r.get("samples"):
            lines += ["", f"samples, {tag}:"] + [f"  {s}" for s in r["samples"][:3]]
    return "\n".join(lines)


class ProgressPrinter:
    """A ``run_demo(progress=...)`` callback printing about ``lines`` lines per phase on ``stream``.

    A line: phase, step of total, (RL) that step's reward, KL (nats per answer), entropy (nats per
    token) and hack rate, then the elapsed time; a phase's first line says the units.

    >>> import io
    >>> out = io.StringIO()
    >>> p = ProgressPrinter(out, lines=2, clock=lambda: 0.0)
    >>> for k in (1, 2, 3, 4):
    ...     p({"phase": "rl", "step": k, "steps": 4, "reward": 0.5, "kl": 1.0, "entropy": 2.0,
    ...        "hack_rate": 0.25})
    >>> print(out.getvalue(), end="")
    training rl (KL in nats per answer, entropy in nats per token):
    rl 2/4  reward 0.500  KL 1.00  entropy 2.00  hack rate 25%  [0.0 s]
    rl 4/4  reward 0.500  KL 1.00  entropy 2.00  hack rate 25%  [0.0 s]
    """

    def __init__(self, stream=None, lines: int = 10, clock=time.perf_counter, tag: str = ""):
        self.tag = tag  # e.g. "beta 0": which of two compared runs is training
        self.stream = sys.stderr if stream is None else stream
        self.lines, self.clock, self.t0 = lines, clock, clock()
        self.phases: set[str] = set()

    def __call__(self, event: dict) -> None:
        step, steps, phase = event["step"], event.get("steps"), event["phase"]
        phase = f"{phase}, {self.tag}" if self.tag and phase != "checkpoints" else phase
        every = max(1, steps // self.lines) if steps else 100
        if step % every and step != steps:
            return
        if phase not in self.phases:
            self.phases.add(phase)
            what = "training the checkpoints (cached for next time)" if phase == "checkpoints" \
                else f"training {phase}"  # fmt: skip
            units = " (KL in nats per answer, entropy in nats per token)" if "kl" in event else ""
            print(f"{what}{units}:", file=self.stream, flush=True)
        parts = [f"{phase} {step}/{steps}" if steps else f"{phase} step {step}"]
        parts += [text.format(event[k]) for k, text in _FIELDS.items() if event.get(k) is not None]
        parts.append(f"[{self.clock() - self.t0:.1f} s]")
        print("  ".join(parts), file=self.stream, flush=True)

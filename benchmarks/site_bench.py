"""Page weight and time to readable math of the built site, on a throttled link (issue 15).

Not a test: it prints and writes a markdown table (``benchmarks/results/site.md``) that the README
quotes. For each chapter of ``_build/html`` (or ``--site``), in a fresh Chromium context (nothing
cached), over a link emulated through the Chrome DevTools Protocol
(``Network.emulateNetworkConditions``: by default 1.6 Mbit/s down and up, 150 ms round trip,
Lighthouse's "slow 4G", as in issue 15):

- **weight**: bytes of every response on the first visit, counted uncompressed. The local server
  does not compress (the worst case, a host that does not either) unless ``--gzip``: then HTML,
  CSS and JS travel gzipped, as GitHub Pages (where the site is published) serves them;
- **first paint**: the browser's ``first-contentful-paint``;
- **math readable**: when the formulas can be read, measured in the page from navigation start:
  the latest of the first paint, MathJax's typeset (``MathJax.startup.promise``, for a site that
  typesets in the browser; pre-rendered math, ``_ext/prerender_math.py``, has none) and the end of
  the download of the math's stylesheet and every MathJax font file the page asked for (until its
  font arrives, the browser draws a formula's characters invisibly or in a fallback font).

    .venv/bin/python benchmarks/site_bench.py                      # all chapters
    .venv/bin/python benchmarks/site_bench.py --kbps 400 --rtt 400   # a slower link

Needs Debian's Chromium (/usr/bin/chromium) and a built site (``make book``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "site"))

import site_checks as checks  # noqa: E402

# Records, in the page, when MathJax's first typeset pass has finished (ms since navigation).
_MATH_CLOCK = """
(() => {
  const poll = () => {
    const mj = window.MathJax;
    if (mj && mj.startup && mj.startup.promise) {
      mj.startup.promise.then(() => { window.__ptcMathAt = performance.now(); });
    } else {
      setTimeout(poll, 20);
    }
  };
  poll();
})();
"""


# The latest of: first paint, MathJax's typeset (if it typesets here), the math stylesheet and fonts.
_MATH_READABLE = """() => {
  const times = [(performance.getEntriesByName('first-contentful-paint')[0] || {}).startTime || 0];
  if (window.__ptcMathAt !== undefined) times.push(window.__ptcMathAt);
  for (const r of performance.getEntriesByType('resource')) {
    if (/ptc-math\\.css|mathjax.*\\.woff2/.test(r.name)) times.push(r.responseEnd);
  }
  return Math.max(...times);
}"""


def measure(browser, url: str, kbps: float, rtt_ms: float, timeout_ms: int) -> dict:
    """Weight (bytes), first paint and math-readable times (s) of one throttled first visit."""
    if kbps <= 0 or rtt_ms < 0:
        raise ValueError(f"kbps must be > 0 and rtt_ms >= 0, got kbps={kbps!r}, rtt_ms={rtt_ms!r}")
    context = browser.new_context(viewport=checks.PHONE)
    sizes: dict[str, int] = {}
    try:
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        rate = kbps * 1000 / 8  # bytes per second
        cdp.send(
            "Network.emulateNetworkConditions",
            {
                "offline": False,
                "latency": rtt_ms,
                "downloadThroughput": rate,
                "uploadThroughput": rate,
            },
        )
        page.add_init_script(_MATH_CLOCK)

        def on_finished(request):
            try:
                response = request.response()
                if response is not None:
                    sizes[request.url] = len(response.body())
            except Exception:  # redirects, aborted bodies, a page already closed: no bytes
                sizes.setdefault(request.url, 0)

        page.on("requestfinished", on_finished)
        page.goto(url, wait_until="load", timeout=timeout_ms)
        has_math = page.evaluate("() => document.querySelector('.math') !== null")
        typesets = page.evaluate("() => !!(window.MathJax && window.MathJax.startup)")
        if has_math and typesets:
            page.wait_for_function("() => window.__ptcMathAt !== undefined", timeout=timeout_ms)
        page.wait_for_load_state("networkidle", timeout=timeout_ms)
        paint = page.evaluate(
            "() => (performance.getEntriesByName('first-contentful-paint')[0] || {}).startTime"
        )
        math_at = page.evaluate(_MATH_READABLE) if has_math else None
    finally:
        context.close()
    return {
        "bytes": sum(sizes.values()),
        "requests": len(sizes),
        "paint_s": paint / 1000 if paint else float("nan"),
        "math_s": math_at / 1000 if math_at else None,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--site", type=Path, default=checks.site_dir(), help="built site directory")
    parser.add_argument("--kbps", type=float, default=1600.0, help="link speed, kbit/s (both ways)")
    parser.add_argument("--rtt", type=float, default=150.0, help="round-trip time, ms")
    parser.add_argument("--timeout", type=float, default=120.0, help="per page, seconds")
    parser.add_argument(
        "--gzip", action="store_true", help="serve text files gzipped, as GitHub Pages does"
    )
    parser.add_argument(
        "--pages", nargs="*", help="only these pages (e.g. book/03_kl_divergence.html)"
    )
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "site.md")
    args = parser.parse_args(argv)
    if not (args.site / "index.html").is_file():
        parser.error(f"--site {args.site}: no index.html; run make book first")
    chapters = sorted(
        p.relative_to(args.site).as_posix() for p in (args.site / "book").glob("[0-9][0-9]_*.html")
    )
    if args.pages:
        chapters = args.pages
    from playwright.sync_api import sync_playwright

    server = checks.LocalServer(args.site, compress=args.gzip)
    rows = []
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=checks.CHROMIUM, args=checks.CHROMIUM_ARGS)
            for rel in chapters:
                r = measure(
                    browser, f"{server.url}/{rel}", args.kbps, args.rtt, int(args.timeout * 1000)
                )
                rows.append((rel, r))
                print(rel, r, flush=True)
            browser.close()
    finally:
        server.close()
    lines = [
        f"Link: {args.kbps:g} kbit/s, {args.rtt:g} ms RTT (CDP emulation), 390x844, first visit, "
        + (
            "text files served gzipped (as GitHub Pages does); weight counted uncompressed."
            if args.gzip
            else "served uncompressed."
        ),
        "",
        "| chapter | requests | weight (MB) | first paint (s) | math readable (s) |",
        "|---|---:|---:|---:|---:|",
    ]
    for rel, r in rows:
        math = f"{r['math_s']:.1f}" if r["math_s"] is not None else "no math"
        lines.append(
            f"| {rel} | {r['requests']} | {r['bytes'] / 1e6:.2f} | {r['paint_s']:.1f} | {math} |"
        )
    table = "\n".join(lines) + "\n"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(table, encoding="utf8")
    print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

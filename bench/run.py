"""`make bench`: how fast the book is for its authors and for its readers, against its budgets.

Authors: wall time of the one-page command (`make page`, less the time the page's code runs), of
`make test` (install already done), of `mkdocs build` without and with the examples executed, from
starting `mkdocs serve` to the first page served, and of the rebuild after one page is edited
(serve and rebuild run on a scratch copy of the book: the working tree is never touched).

Readers: the published site (examples executed) served the way GitHub Pages serves it (gzip for
text, tests/browser_support.py), each page loaded in headless chromium with a cold cache LOADS
times: requests, bytes sent by the server (headers and body), DOMContentLoaded and load (medians).
Then Lighthouse 12 (bench/node_modules) on every page, mobile (a throttled phone), RUNS times each
(medians). Budgets, for every page: first load ≤ 250 KB (gzip) in ≤ 15 requests; Lighthouse mobile
performance ≥ 95, accessibility, best practices and SEO 100.

Writes bench/results.md (tables, committed) and bench/results.json (raw, not committed); prints
the tables; exits 1 if a budget is missed. `--only authors|page|pages|lighthouse` (repeatable) runs
part of it, e.g. `make bench ARGS="--only page"`, `make bench ARGS="--only pages --only lighthouse"`,
and leaves bench/results.md (a full run's) as it is.
"""

import argparse
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.browser_support import CHROMIUM, CHROMIUM_ARGS, chromium_env, launch, serve  # noqa: E402

BIN = ROOT / ".venv" / "bin"
LIGHTHOUSE = ROOT / "bench" / "node_modules" / ".bin" / "lighthouse"
LOADS, RUNS = 5, 3
CATEGORIES = ["performance", "accessibility", "best-practices", "seo"]
ENV = dict(os.environ, NO_MKDOCS_2_WARNING="1", HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1",
           TF_CPP_MIN_LOG_LEVEL="2", JUPYTER_PLATFORM_DIRS="1")

# The budgets of the issue: (what, measured value's key, limit, "max" or "min").
AUTHOR_TARGETS = {"make test": 180, "mkdocs build": 10, "serve ready": 5, "rebuild": 2}
PAGE_MAX_BYTES, PAGE_MAX_REQUESTS = 250 * 1024, 15
LH_MIN = {"performance": 95, "accessibility": 100, "best-practices": 100, "seo": 100}


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def timed(cmd, env=ENV, must_pass=True) -> float:
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode:
        message = f"{' '.join(map(str, cmd))} failed:\n{done.stdout[-3000:]}{done.stderr[-3000:]}"
        if must_pass:
            raise SystemExit(message)
        log(message)
    return seconds


def build(site: Path, execute: bool) -> float:
    env = dict(ENV, BOOK_EXECUTE="true" if execute else "false")
    return timed([BIN / "mkdocs", "build", "--strict", "--clean", "--site-dir", site], env=env)


# --- authors ----------------------------------------------------------------------------------
def scratch_copy(into: Path) -> Path:
    """The book's sources in a scratch directory (same .venv), for serve/rebuild timings."""
    for name in ["docs", "examples", "hooks", "overrides", "tests"]:   # hooks/notebooks.py reads tests/
        shutil.copytree(ROOT / name, into / name)
    shutil.copy(ROOT / "mkdocs.yml", into / "mkdocs.yml")
    return into


def fetch(url: str) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.read().decode("utf-8", "replace")
    except OSError:
        return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve_and_rebuild(work: Path) -> tuple[float, list[float]]:
    """Seconds from `mkdocs serve` (as `make serve` runs it) to the first page, and per edit of
    one page, seconds from saving it to the server sending the new text."""
    src = scratch_copy(work / "book")
    port = free_port()
    url = f"http://127.0.0.1:{port}/ch1-background/definition/"
    start = time.perf_counter()
    server = subprocess.Popen([BIN / "mkdocs", "serve", "--dev-addr", f"127.0.0.1:{port}", "--livereload",
                               "--dirty"],
                              cwd=src, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while fetch(url) is None:
            if time.perf_counter() - start > 120:
                raise SystemExit("mkdocs serve did not answer within 120 s")
            time.sleep(0.05)
        ready = time.perf_counter() - start
        rebuilds = []
        page = src / "docs" / "ch1-background" / "definition.md"
        for n in range(RUNS):
            marker = f"bench-edit-{n}-{time.time_ns()}"
            time.sleep(1.0)  # let the watcher settle
            edited = time.perf_counter()
            page.write_text(page.read_text(encoding="utf-8") + f"\n\n{marker}\n", encoding="utf-8")
            while marker not in (fetch(url) or ""):
                if time.perf_counter() - edited > 120:
                    raise SystemExit("the edit did not show up within 120 s")
                time.sleep(0.02)
            rebuilds.append(time.perf_counter() - edited)
        return ready, rebuilds
    finally:
        server.terminate()
        server.wait(timeout=30)


def bench_authors(work: Path) -> dict:
    log("authors: make test (a few minutes) ...")
    # Not the `make bench` command line's variables (ARGS would reach pytest through MAKEFLAGS).
    clean = {k: v for k, v in ENV.items() if k not in {"MAKEFLAGS", "MFLAGS", "MAKELEVEL", "ARGS"}}
    test = timed(["make", "test"], env=clean, must_pass=False)  # its time is news even when red
    log("authors: mkdocs build without examples executed (3 runs) ...")
    plain = [build(work / "site-plain", execute=False) for _ in range(RUNS)]
    log("authors: mkdocs build with BOOK_EXECUTE=true ...")
    executed = build(work / "site-executed", execute=True)
    log("authors: mkdocs serve and rebuilds ...")
    ready, rebuilds = serve_and_rebuild(work)
    return {"make test": test, "mkdocs build": statistics.median(plain), "mkdocs build runs": plain,
            "mkdocs build (BOOK_EXECUTE=true)": executed, "serve ready": ready,
            "rebuild": statistics.median(rebuilds), "rebuild runs": rebuilds}


# --- authors: the one-page command --------------------------------------------------------------
ONE_PAGE = "docs/ch1-background/definition.md"
ONE_PAGE_BUDGET = 15   # seconds, not counting the time the page's own code runs


def bench_one_page(work: Path) -> dict:
    """`make page`'s command (`pytest -n0 <page>`: its code, formulas, links, images, nav, front
    matter, prose) RUNS times: wall time, and wall time less the time its code blocks ran (pytest's
    own per-test times, from a JUnit XML report), which is what the budget is about."""
    import xml.etree.ElementTree as ET
    walls, checks = [], []
    for n in range(RUNS):
        report = work / f"one-page-{n}.xml"
        wall = timed([BIN / "pytest", "-n0", "-q", f"--junitxml={report}", ONE_PAGE], must_pass=False)
        code = sum(float(case.get("time", 0)) for case in ET.parse(report).iter("testcase")
                   if case.get("name", "").startswith("line "))
        walls.append(wall)
        checks.append(wall - code)
    return {"page": ONE_PAGE, "wall": statistics.median(walls), "wall runs": walls,
            "without code": statistics.median(checks), "without code runs": checks}


# --- readers: page weights --------------------------------------------------------------------
def page_paths(site: Path) -> list[str]:
    paths = []
    for html in sorted(site.rglob("index.html")):
        rel = html.parent.relative_to(site)
        paths.append("" if str(rel) == "." else f"{rel}/")
    return paths


def load_once(browser, base: str, path: str, served: list) -> dict:
    """One cold load: a fresh browser context (empty cache), until the network is quiet."""
    context = browser.new_context()
    page = context.new_page()
    pending, last = set(), [time.monotonic()]

    def track(change):
        return lambda r: (change(r), last.__setitem__(0, time.monotonic()))

    page.on("request", track(pending.add))
    page.on("requestfinished", track(pending.discard))
    page.on("requestfailed", track(pending.discard))
    served.clear()
    page.goto(base + path, wait_until="load")
    while pending or time.monotonic() - last[0] < 0.3:
        page.wait_for_timeout(25)
    timing = page.evaluate("""() => { const t = performance.getEntriesByType("navigation")[0];
                                      return [t.domContentLoadedEventEnd, t.loadEventEnd]; }""")
    context.close()
    return {"requests": len(served), "bytes": sum(n for _, _, n in served),
            "errors": [f"{status} {p}" for p, status, _ in served if status >= 400],
            "dcl_ms": timing[0], "load_ms": timing[1]}


def bench_pages(site: Path) -> dict:
    from playwright.sync_api import sync_playwright

    served, results = [], {}
    with serve(site, gzip=True, log=served) as base, sync_playwright() as playwright:
        browser = launch(playwright)
        for path in page_paths(site):
            runs = [load_once(browser, base, path, served) for _ in range(LOADS)]
            results[path] = {key: statistics.median(run[key] for run in runs)
                             for key in ["requests", "bytes", "dcl_ms", "load_ms"]}
            results[path]["errors"] = sorted({e for run in runs for e in run["errors"]})
            log(f"pages: {path or '/'}: {results[path]}")
        browser.close()
    return results


# --- readers: Lighthouse ----------------------------------------------------------------------
# Lighthouse starts chromium itself: the same chromium, with the same Chinese font, as the tests'.
_LIGHTHOUSE_ENV = dict(ENV, CHROME_PATH=CHROMIUM, FONTCONFIG_FILE=chromium_env()["FONTCONFIG_FILE"])


def lighthouse_once(url: str, desktop: bool, out: Path) -> dict:
    flags = " ".join(["--headless=new", *CHROMIUM_ARGS])
    cmd = [LIGHTHOUSE, url, "--quiet", "--output=json", f"--output-path={out}",
           f"--chrome-flags={flags}", f"--only-categories={','.join(CATEGORIES)}"]
    if desktop:
        cmd.append("--preset=desktop")
    load = os.getloadavg()[0]
    subprocess.run(cmd, check=True, capture_output=True, env=_LIGHTHOUSE_ENV)
    report = json.loads(out.read_text())
    scores = {c: round(report["categories"][c]["score"] * 100) for c in CATEGORIES}
    metrics = {m: report["audits"][m]["numericValue"] for m in
               ["first-contentful-paint", "largest-contentful-paint", "total-blocking-time",
                "cumulative-layout-shift"]}
    failing = sorted({ref["id"] for c in CATEGORIES for ref in report["categories"][c]["auditRefs"]
                      if ref["weight"] and c != "performance"
                      and (report["audits"][ref["id"]]["score"] or 0) < 1
                      and report["audits"][ref["id"]]["scoreDisplayMode"] in ("binary", "numeric")})
    return {"scores": scores, "metrics": metrics, "failing": failing, "load": load}


def bench_lighthouse(site: Path, pages: dict, work: Path) -> dict:
    results = {}
    with serve(site, gzip=True) as base:
        for path in pages:
            for form in ["mobile"]:
                runs = []
                for n in range(RUNS):
                    runs.append(lighthouse_once(base + path, form == "desktop", work / f"lh-{n}.json"))
                    log(f"lighthouse: {path or '/'} {form} run {n + 1}: {runs[-1]['scores']}")
                results[f"{path}|{form}"] = {
                    "page": path, "form": form,
                    "scores": {c: statistics.median(r["scores"][c] for r in runs) for c in CATEGORIES},
                    "performance runs": [r["scores"]["performance"] for r in runs],
                    "metrics": {m: statistics.median(r["metrics"][m] for r in runs)
                                for m in runs[0]["metrics"]},
                    "failing": sorted({a for r in runs for a in r["failing"]}),
                    "load": statistics.median(r["load"] for r in runs),
                }
    return results


# --- report -----------------------------------------------------------------------------------
def budgets(data: dict) -> list[tuple[str, str, bool]]:
    """(budget, measured, met) for everything measured."""
    rows = []
    for key, limit in AUTHOR_TARGETS.items():
        if key in data.get("authors", {}):
            value = data["authors"][key]
            rows.append((f"{key} ≤ {limit} s", f"{value:.1f} s", value <= limit))
    if "one page" in data:
        value = data["one page"]["without code"]
        rows.append((f"one-page command, less the page's code ≤ {ONE_PAGE_BUDGET} s", f"{value:.1f} s",
                     value <= ONE_PAGE_BUDGET))
    for path, r in data.get("pages", {}).items():
        rows.append((f"{path or '/'}: ≤ 250 KB, ≤ {PAGE_MAX_REQUESTS} requests",
                     f"{r['bytes'] / 1024:.0f} KB, {r['requests']:.0f} requests",
                     r["bytes"] <= PAGE_MAX_BYTES and r["requests"] <= PAGE_MAX_REQUESTS))
    for path, r in data.get("pages", {}).items():
        if r["errors"]:
            rows.append((f"{path or '/'}: no failed request", ", ".join(r["errors"]), False))
    for r in data.get("lighthouse", {}).values():
        wanted = LH_MIN if r["form"] == "mobile" else {c: v for c, v in LH_MIN.items() if c != "performance"}
        got = " / ".join(f"{r['scores'][c]:.0f}" for c in wanted)
        budget = " / ".join(f"{c} ≥ {v}" for c, v in wanted.items())
        rows.append((f"Lighthouse {r['form']} {r['page'] or '/'}: {budget}", got,
                     all(r["scores"][c] >= v for c, v in wanted.items())))
    return rows


def markdown(data: dict) -> str:
    out = [f"# make bench: results as measured\n\n{data['when']} on {data['machine']}.\n"]
    if "authors" in data:
        a = data["authors"]
        out += ["## Authors\n", "| measure | seconds | target |", "|---|---:|---:|",
                f"| `make test` (no install) | {a['make test']:.0f} | ≤ 180 |",
                f"| `mkdocs build` (examples not executed; median of {RUNS}) | {a['mkdocs build']:.1f} "
                "| ≤ 10 |",
                f"| `mkdocs build` with `BOOK_EXECUTE=true` | {a['mkdocs build (BOOK_EXECUTE=true)']:.0f} "
                "| |",
                f"| `mkdocs serve` start to first page served | {a['serve ready']:.1f} | ≤ 5 |",
                f"| rebuild after editing one page (median of {RUNS}) | {a['rebuild']:.1f} | ≤ 2 |", ""]
    if "one page" in data:
        p = data["one page"]
        out += ["## The one-page command\n", "| measure | seconds | target |", "|---|---:|---:|",
                f"| `make page PAGE={p['page']}` (median of {RUNS}) | {p['wall']:.1f} | |",
                f"| the same, less the time the page's code ran | {p['without code']:.1f} "
                f"| ≤ {ONE_PAGE_BUDGET} |", ""]
    if "lighthouse" in data:
        out += ["## Lighthouse 12 (median of 3 runs; performance runs in brackets)\n",
                "| page | form | performance | accessibility | best practices | SEO "
                "| FCP s | LCP s | TBT ms | CLS | below 1 | load avg |",
                "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|"]
        for r in data["lighthouse"].values():
            s, m = r["scores"], r["metrics"]
            out.append(f"| {r['page'] or '/'} | {r['form']} | {s['performance']:.0f} "
                       f"{r['performance runs']} | {s['accessibility']:.0f} | {s['best-practices']:.0f} | "
                       f"{s['seo']:.0f} | {m['first-contentful-paint'] / 1000:.1f} | "
                       f"{m['largest-contentful-paint'] / 1000:.1f} | "
                       f"{m['total-blocking-time']:.0f} | {m['cumulative-layout-shift']:.3f} | "
                       f"{', '.join(r['failing']) or '–'} | {r.get('load', 0):.1f} |")
        out.append("")
    if "pages" in data:
        out += [f"## Every page, cold cache, served with gzip (median of {LOADS} loads)\n",
                "| page | requests | KB transferred | DOMContentLoaded ms | load ms |",
                "|---|---:|---:|---:|---:|"]
        for path, r in data["pages"].items():
            out.append(f"| {path or '/'} | {r['requests']:.0f} | {r['bytes'] / 1024:.0f} | "
                       f"{r['dcl_ms']:.0f} | {r['load_ms']:.0f} |")
        out.append("")
    out += ["## Budgets\n", "| budget | measured | met |", "|---|---|---|"]
    out += [f"| {b} | {m} | {'yes' if ok else '**NO**'} |" for b, m, ok in budgets(data)]
    return "\n".join(out) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", choices=["authors", "page", "pages", "lighthouse"])
    parser.add_argument("--site", type=Path, help="measure this built site instead of building one")
    args = parser.parse_args()
    parts = set(args.only or ["authors", "page", "pages", "lighthouse"])
    cpuinfo = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    cpu = next((line.split(":", 1)[1].strip() for line in cpuinfo.splitlines()
                if line.startswith("model name")), platform.processor())
    data = {"when": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "machine": f"{os.cpu_count()} cores ({cpu}), {platform.system()}, load average at start "
                       f"{os.getloadavg()[0]:.1f}"}
    with tempfile.TemporaryDirectory(prefix="book-bench-") as tmp:
        work = Path(tmp)
        if "page" in parts:
            log("authors: the one-page command (3 runs) ...")
            data["one page"] = bench_one_page(work)
        if "authors" in parts:
            data["authors"] = bench_authors(work)
            site = work / "site-executed"
        if parts & {"pages", "lighthouse"}:
            site = args.site or work / "site-executed"
            if not site.exists():
                log("readers: building the published site (examples executed) ...")
                build(site, execute=True)
            data["pages"] = bench_pages(site)
            if "lighthouse" in parts:
                data["lighthouse"] = bench_lighthouse(site, data["pages"], work)
    data["machine"] += f", at the end {os.getloadavg()[0]:.1f}"
    (ROOT / "bench" / "results.json").write_text(json.dumps(data, indent=1, ensure_ascii=False))
    report = markdown(data)
    if args.only:   # the committed report is one full run's; a part of a run would replace it
        print("(a partial run: bench/results.md, the last full run's report, is left as it is)")
    else:
        (ROOT / "bench" / "results.md").write_text(report, encoding="utf-8")
    print(report)
    missed = [b for b, _, ok in budgets(data) if not ok]
    if missed:
        raise SystemExit("budgets missed:\n  " + "\n  ".join(missed))


if __name__ == "__main__":
    main()

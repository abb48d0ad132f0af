"""Shared fixtures: the site is built once per test session (strict, examples executed)."""

import os
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from filelock import FileLock

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def site(tmp_path_factory) -> Path:
    """`mkdocs build --strict` with every example executed: exactly what `make build` publishes.

    Under pytest-xdist all workers share one build: the first to get here builds, the others wait
    on the lock and reuse it (or its failure).
    """
    shared = tmp_path_factory.getbasetemp()
    if "PYTEST_XDIST_WORKER" in os.environ:
        shared = shared.parent  # the session's directory, common to all workers
    out, log = shared / "site", shared / "site-build.log"
    with FileLock(str(shared / "site.lock")):
        if not log.exists():
            # Not MPLBACKEND: tests/snippets.py sets Agg for its blocks, and in the notebook kernel
            # that would hide every figure an example draws.
            env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
            env["BOOK_EXECUTE"] = "true"
            done = subprocess.run(
                [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
                cwd=ROOT, env=env, capture_output=True, text=True)
            log.write_text(f"exit status {done.returncode}\n{done.stdout}{done.stderr}")
        report = log.read_text()
    if not report.startswith("exit status 0\n"):
        pytest.fail("mkdocs build --strict failed:\n" + report[-6000:], pytrace=False)
    return out


@pytest.fixture(scope="session")
def pages(site) -> dict[str, str]:
    """Every built HTML page, keyed by its path in the site ('ch1-background/index.html')."""
    return {str(p.relative_to(site)): p.read_text(encoding="utf-8") for p in site.rglob("*.html")}


class _Collector(HTMLParser):
    """Ids, and every URL-bearing attribute, of one HTML page."""

    URL_ATTRS = {"href", "src", "poster", "data"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids, self.urls, self.inline_css = set(), [], []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for key in ("id", "name"):
            if attrs.get(key):
                self.ids.add(attrs[key])
        for key, value in attrs.items():
            if value and key in self.URL_ATTRS:
                self.urls.append((tag, key, value, attrs.get("rel", "")))
            elif value and key == "srcset":
                self.urls += [(tag, key, part.split()[0], "") for part in value.split(",") if part.strip()]
            elif value and key == "style":
                self.inline_css.append(value)
        self._in_style = tag == "style"

    def handle_endtag(self, tag):
        self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.inline_css.append(data)


@pytest.fixture(scope="session")
def parsed(pages) -> dict[str, _Collector]:
    """Each built page, parsed: `.ids`, `.urls` [(tag, attr, url, rel)], `.inline_css`."""
    out = {}
    for path, html in pages.items():
        collector = _Collector()
        collector.feed(html)
        out[path] = collector
    return out

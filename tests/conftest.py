"""Shared fixtures: the site is built once per test session (strict, examples executed)."""

import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from filelock import FileLock

ROOT = Path(__file__).resolve().parent.parent
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def pytest_report_header(config):
    # Said up front, so that a minute without a dot does not look like a hang.
    return ("the site is built once, by the first test that needs it, with every example executed "
            "(their runs from .cache/examples/ when no example changed; under CI only runs made during "
            "this make test, which executes them beside the code blocks; else a few minutes)")


def build_site(tmp_path_factory) -> tuple[Path, str]:
    """`mkdocs build --strict` with every example executed, once per test session: (the site, the
    build's log, starting "exit status N"). Exactly what `make build` publishes.

    Under pytest-xdist all workers share one build: the first to get here builds, the others wait
    on the lock and reuse it (or its failure). `make test` sets BOOK_SITE_DIR and, when every test
    passed, publishes that very site as site/. BOOK_BUILT_SITE names a site built before, to check
    as it is.

    The build stamps each page from the record of the last snippet run (hooks/stamp.py): `make
    test` runs the snippets first.
    """
    if os.environ.get("BOOK_BUILT_SITE"):
        # A site already built (`make pdf` checks the site it printed; a guard shown to fail on a
        # damaged copy): used as it is, never rebuilt.
        return Path(os.environ["BOOK_BUILT_SITE"]).resolve(), "exit status 0\n(built before this run)\n"
    shared = tmp_path_factory.getbasetemp()
    if "PYTEST_XDIST_WORKER" in os.environ:
        shared = shared.parent  # the session's directory, common to all workers
    out = ROOT / os.environ["BOOK_SITE_DIR"] if os.environ.get("BOOK_SITE_DIR") else shared / "site"
    log = shared / "site-build.log"
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
            if done.returncode == 0:
                _serve_under_its_path(out)
        return out, log.read_text()


def build_failure(log: str) -> str | None:
    """What went wrong in a build log, without colour codes and INFO lines; None if it built."""
    if log.startswith("exit status 0\n"):
        return None
    lines = [line for line in _ANSI.sub("", log).splitlines() if not line.startswith("INFO")]
    return "mkdocs build --strict failed:\n" + "\n".join(lines)[-6000:]


@pytest.fixture(scope="session")
def site(tmp_path_factory) -> Path:
    """The built site. If the build failed, tests/test_build.py reports it, once; the tests that
    need the site skip (a failing session fixture would repeat its error in every one of them)."""
    out, log = build_site(tmp_path_factory)
    if build_failure(log):
        pytest.skip("the site build failed: tests/test_build.py::test_the_site_builds says why")
    return out


def _serve_under_its_path(site: Path):
    """A site published under a path (SITE_URL https://owner.github.io/book/) links to its assets
    from 404.html as /book/assets/...; the tests serve it at /, so /book/ must lead there too: a
    link back to the site's root (`make test` deletes it before site/ is published)."""
    prefix = urlsplit(os.environ.get("SITE_URL", "")).path.strip("/")
    if prefix:
        link = site / prefix
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(os.path.relpath(site, link.parent), target_is_directory=True)


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

"""Shared fixtures: the site is built once per test session (strict, examples executed)."""

import os
import subprocess
import sys
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
    shared = tmp_path_factory.getbasetemp().parent
    out, log = shared / "site", shared / "site-build.log"
    with FileLock(str(shared / "site.lock")):
        if not log.exists():
            env = dict(os.environ, BOOK_EXECUTE="true")
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

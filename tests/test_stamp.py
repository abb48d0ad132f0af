"""Promise: each page with code says what verified it, from the run that did, never from a constant.

* The snippet runner records, per page, what ran: outcome per chain, number of blocks, versions of
  Python and of the libraries the page imports, date, commit (tests/snippets.py); a page with a
  failing block is recorded as failed. Shown on a one-page book run here.
* The build writes each page's stamp from that record (hooks/stamp.py): every built page with code
  carries exactly the sentence its record gives for its current content. Under `make test`
  (BOOK_REQUIRE_VERIFIED=1), which runs the snippets before it builds, every page must say "全部
  运行通过" with this machine's versions and this commit.
* The wording is honest: a failed, changed or unrecorded page says so.
* `make test` and `make build` run the snippets before they build the site they check or publish.
"""

import hashlib
import importlib.metadata
import json
import os
import re
import subprocess
import sys
import textwrap
from html import unescape

import pytest

from hooks.blocks import parse
from tests.conftest import ROOT
from tests.test_publishing import _dry_run


def _load_stamp_hook():
    """hooks/stamp.py as mkdocs loads it (its `import blocks` is hooks/blocks.py)."""
    import importlib.util

    import hooks.blocks
    sys.modules.setdefault("blocks", hooks.blocks)
    spec = importlib.util.spec_from_file_location("book_stamp_hook", ROOT / "hooks" / "stamp.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


record_path, stamp = _load_stamp_hook().record_path, _load_stamp_hook().stamp

PAGES = sorted(p for p in (ROOT / "docs").rglob("*.md") if any(b.skip is None for b in parse(p)[0]))
_STAMP = re.compile(r'<p class="book-stamp" data-state="(\w+)"><small>(.*?)</small></p>', re.S)


def _built(site, page):
    rel = page.relative_to(ROOT / "docs").with_suffix("")
    return site / (rel.parent if rel.name == "index" else rel) / "index.html"


def _git_head() -> str:
    return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                          text=True).stdout.strip()


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT / "docs")))
def test_each_page_says_what_verified_it(site, page):
    html = _built(site, page).read_text(encoding="utf-8")
    found = _STAMP.findall(html)
    assert len(found) == 1, f"{page.name}: {len(found)} stamps"
    file = record_path(ROOT, str(page.relative_to(ROOT / "docs")))
    record = json.loads(file.read_text(encoding="utf-8")) if file.exists() else None
    state, text = stamp(record, hashlib.sha256(page.read_bytes()).hexdigest())
    assert (found[0][0], unescape(found[0][1])) == (state, text), "the stamp is not its record's"
    if os.environ.get("BOOK_REQUIRE_VERIFIED"):
        assert state == "passed", f"{page.name}: {text}"
        here = {d: importlib.metadata.version(d) for d in record["versions"]}
        assert record["versions"] == here and record["python"] == ".".join(map(str, sys.version_info[:3]))
        assert record["commit"] == _git_head()
        for version in here.values():
            assert version in text


RECORD = {"sha256": "x", "when": "2026-12-01", "python": "3.11.7", "commit": "abc1234", "page dirty": False,
          "versions": {"torch": "2.13.0+cpu", "tensorflow": "2.21.0"}, "blocks": 13, "skipped blocks": 1,
          "complete": True, "passed": True, "failed": []}


def test_the_stamp_says_what_happened():
    assert stamp(RECORD, "x") == ("passed", "本页 12 段代码于 2026-12-01 在 Python 3.11.7 / PyTorch "
                                  "2.13.0+cpu / TensorFlow 2.21.0 下全部运行通过"
                                  "（提交 abc1234；另有 1 段标明不运行）。")
    failed = dict(RECORD, passed=False, failed=["line 40 [TensorFlow]", "line 7"])
    state, text = stamp(failed, "x")
    assert state == "failed" and "未全部通过" in text and "第 40 行（TensorFlow）、第 7 行" in text
    assert "全部运行通过" not in text
    assert stamp(RECORD, "changed")[0] == "stale" and "尚未验证" in stamp(RECORD, "changed")[1]
    assert stamp(None, "x")[0] == "unverified" and "尚未验证" in stamp(None, "x")[1]
    assert "本页另有未提交的修改" in stamp(dict(RECORD, **{"page dirty": True}), "x")[1]


def test_the_runner_records_what_ran(tmp_path):
    """Two pages, one with a failing block: the record says which, with the versions installed."""
    docs = tmp_path / "docs"
    docs.mkdir()
    fence = "```"
    (docs / "good.md").write_text(textwrap.dedent(f"""\
        # Good

        {fence}python
        import numpy as np
        print(np.arange(3).sum())
        {fence}

        <!--pytest-codeblocks:expected-output-->
        {fence}text
        3
        {fence}

        <!--pytest.mark.skip(reason="shown only")-->
        {fence}python
        raise SystemExit
        {fence}
        """), encoding="utf-8")
    (docs / "bad.md").write_text(f"# Bad\n\n{fence}python\nx = 1\n{fence}\n\n{fence}python\n1 / 0\n{fence}\n",
                                 encoding="utf-8")
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "tests.snippets", "-p", "no:cacheprovider", "-c",
         str(tmp_path / "pytest.ini"), "--rootdir", str(tmp_path), "-n0", "-q", "docs"],
        cwd=tmp_path, env=dict(os.environ, PYTHONPATH=str(ROOT)), capture_output=True, text=True)
    assert done.returncode == 1, done.stdout[-2000:]
    good = json.loads((tmp_path / ".cache/verified/good.json").read_text())
    bad = json.loads((tmp_path / ".cache/verified/bad.json").read_text())
    assert good["passed"] and good["complete"] and (good["blocks"], good["skipped blocks"]) == (2, 1)
    assert good["versions"] == {"numpy": importlib.metadata.version("numpy")}
    assert good["python"] == ".".join(map(str, sys.version_info[:3]))
    assert good["sha256"] == hashlib.sha256((docs / "good.md").read_bytes()).hexdigest()
    assert good["commit"] is None                     # not a git repository: the stamp says so
    assert [c["outcome"] for c in good["chains"]] == ["passed", "skipped"]
    assert not bad["passed"] and bad["failed"] == ["line 7"]
    state, text = stamp(bad, bad["sha256"])
    assert state == "failed" and "第 7 行" in text


def test_snippets_run_before_the_site_is_built_and_published():
    test = _dry_run("test")
    snippets = next(i for i, line in enumerate(test) if re.search(r"pytest\S* .*\bdocs\b", line))
    checks = next(i for i, line in enumerate(test) if re.search(r"BOOK_SITE_DIR=.*pytest\S* tests\b", line))
    assert snippets < checks, "make test must run the code blocks before it builds the site it checks"
    assert "BOOK_REQUIRE_VERIFIED=1" in test[checks]
    build = _dry_run("build")
    assert next(i for i, x in enumerate(build) if "pytest" in x and "docs" in x) < next(
        i for i, x in enumerate(build) if "mkdocs build" in x)

"""Promise: every page with code is offered as Jupyter notebooks whose code is what the tests ran.

hooks/notebooks.py writes, at build time, one notebook per framework tab beside each page with
code (one when it has no tabs). Checked here, on the built site:

* each such page links its notebook(s) under its title, and each is valid per nbformat;
* the code cells of each notebook are exactly the chains the snippet tests ran and passed for a
  reader of that tab, in reading order, block by block: compared with the record the snippet run
  left (.cache/verified/, tests/snippets.py), which must be of the page as it is now. This is the
  proof that they run, rather than executing them all again in `make test`: the chains already ran
  there, and running them twice would double the code's share of its 3-minute budget;
* a cell's outputs are the outputs the page shows (the ones the tests compared);
* one notebook, a page whose code reads the repository through `__file__`, is executed by
  nbclient in the book's kernel from a folder inside the repository, as a reader runs it, and
  prints what the page shows. BOOK_RUN_NOTEBOOKS=1 executes every notebook so (minutes).
"""

import json
import os
import re
import shutil
import sys
from pathlib import Path

import nbformat
import pytest

from hooks.blocks import parse
from tests.conftest import ROOT

PAGES = sorted(p for p in (ROOT / "docs").rglob("*.md") if "figures" not in p.parts)


def _with_code(page: Path) -> bool:
    return any(b.skip is None for b in parse(page)[0])


CODE_PAGES = [p for p in PAGES if _with_code(p)]


def _id(page: Path) -> str:
    return str(page.relative_to(ROOT / "docs"))


def _labels(page: Path) -> list[str]:
    groups = parse(page)[1]
    return sorted({label for labels in groups.values() for label in labels}) or [""]


def _folder(site: Path, page: Path) -> Path:
    rel = page.relative_to(ROOT / "docs").with_suffix("")
    return site / (rel.parent if rel.name == "index" else rel)


def _name(page: Path, label: str) -> str:
    stem = page.stem if page.stem != "index" else (page.parent.name if page.parent != ROOT / "docs"
                                                    else "index")
    return f"{stem}.{label.lower()}.ipynb" if label else f"{stem}.ipynb"


def _record(page: Path) -> dict:
    import hashlib
    file = ROOT / ".cache" / "verified" / page.relative_to(ROOT / "docs").with_suffix(".json")
    assert file.exists(), (f"{_id(page)}: no record of a snippet run (.cache/verified/): run the "
                           "snippets first (`make test` does, before it builds)")
    record = json.loads(file.read_text(encoding="utf-8"))
    assert record["sha256"] == hashlib.sha256(page.read_bytes()).hexdigest(), (
        f"{_id(page)}: changed since the snippet run recorded in {file.relative_to(ROOT)}")
    return record


def _code_cells(nb) -> list[tuple[int, int, str]]:
    """(chain head, block line, code) of each code cell but the set-up cell."""
    return [(c.metadata["book"]["chain"], c.metadata["book"]["line"], c.source)
            for c in nb.cells if c.cell_type == "code" and not c.metadata.get("book", {}).get("setup")]


@pytest.mark.parametrize("page", CODE_PAGES, ids=_id)
def test_a_page_with_code_offers_valid_notebooks(site, page):
    folder = _folder(site, page)
    html = (folder / "index.html").read_text(encoding="utf-8")
    downloads = re.search(r'<div class="book-downloads">(.*?)</div>', html, re.S)
    assert downloads and html.index("</h1>") < downloads.start(), f"{_id(page)}: no notebook under the title"
    for label in _labels(page):
        name = _name(page, label)
        assert f'href="{name}" download' in downloads[1], f"{_id(page)}: no link to {name}"
        assert "下载 Jupyter 笔记本" in downloads[1]
        nb = nbformat.read(folder / name, as_version=4)
        nbformat.validate(nb)
        assert nb.metadata["kernelspec"]["name"] == "python3"
        assert nb.metadata["book"]["tab"] == label


@pytest.mark.parametrize("page", CODE_PAGES, ids=_id)
def test_code_cells_are_the_chains_the_tests_ran(site, page):
    record = _record(page)
    ran = [c for c in record["chains"] if c["outcome"] != "skipped"]
    assert all(c["outcome"] == "passed" for c in ran), f"{_id(page)}: a chain failed in the recorded run"
    covered = set()
    for label in _labels(page):
        nb = nbformat.read(_folder(site, page) / _name(page, label), as_version=4)
        cells = _code_cells(nb)
        expected = [(c["lines"][0], line, code.rstrip("\n")) for c in ran if label in c["readers"]
                    for line, code in zip(c["lines"], c["code"], strict=True)]
        got = [(head, line, code.removeprefix("%%bash\n")) for head, line, code in cells]
        assert got == expected, (
            f"{_id(page)} [{label or 'no tabs'}]: the notebook's code cells are not the chains the tests "
            f"ran: cells at lines {[g[:2] for g in got]}, chains at {[e[:2] for e in expected]}")
        covered |= {head for head, _, _ in got}
    missing = sorted(c["name"] for c in ran if c["lines"][0] not in covered)
    assert not missing, f"{_id(page)}: chains the tests ran that no notebook has: {missing}"


@pytest.mark.parametrize("page", CODE_PAGES, ids=_id)
def test_cell_outputs_are_the_outputs_the_page_shows(site, page):
    shown = {b.line: b.expected for b in parse(page)[0] if b.expected is not None}
    for label in _labels(page):
        nb = nbformat.read(_folder(site, page) / _name(page, label), as_version=4)
        for cell in nb.cells:
            if cell.cell_type != "code" or cell.metadata["book"].get("setup"):
                continue
            streams = "".join(o.text for o in cell.outputs if o.output_type == "stream")
            assert streams == shown.get(cell.metadata["book"]["line"], ""), (
                f"{_id(page)}:{cell.metadata['book']['line']}: the cell's output is not the page's")


# --- running them as a reader does ---------------------------------------------------------------

def _run(nb_path: Path, label: str) -> list[str]:
    """Execute a notebook as a reader would, from a folder inside the repository; the problems."""
    from nbclient import NotebookClient
    nb = nbformat.read(nb_path, as_version=4)
    shown = [("".join(o.text for o in c.outputs if o.output_type == "stream"), c.metadata["book"]["line"])
             for c in nb.cells if c.cell_type == "code" and not c.metadata["book"].get("setup")]
    work = ROOT / ".cache" / "notebook-runs" / nb_path.stem
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}   # the kernel's own inline backend
    client = NotebookClient(nb, kernel_name="ai-book", timeout=600, allow_errors=False,
                            resources={"metadata": {"path": str(work)}})
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        client.execute()
    finally:
        os.environ.clear()
        os.environ.update(saved)
        shutil.rmtree(work, ignore_errors=True)
    printed = ["".join(o.get("text", "") for o in c.outputs if o.get("name") == "stdout")
               for c in nb.cells if c.cell_type == "code" and not c.metadata["book"].get("setup")]
    return [f"{nb_path.name} line {line}: printed {got!r}, the page shows {want!r}"
            for (want, line), got in zip(shown, printed, strict=True)
            if got.rstrip("\n") != want.rstrip("\n")]


def _kernel_missing() -> str | None:
    spec = Path(sys.prefix) / "share" / "jupyter" / "kernels" / "ai-book" / "kernel.json"
    return None if spec.exists() else f"no kernel ai-book ({spec}; `make` installs it)"


# The page run in every `make test`: its code reads the repository through __file__ (the set-up
# cell), and it is among the quickest of those pages.
RUN_IN_MAKE_TEST = "ch4-code/transformers.md"


@pytest.mark.parametrize(
    "page", [p for p in CODE_PAGES if os.environ.get("BOOK_RUN_NOTEBOOKS") or _id(p) == RUN_IN_MAKE_TEST],
    ids=_id)
def test_a_reader_who_runs_all_cells_gets_the_page_s_outputs(site, page):
    if why := _kernel_missing():
        pytest.skip(why)
    problems = []
    for label in _labels(page):
        problems += _run(_folder(site, page) / _name(page, label), label)
    assert not problems, "\n".join(problems)

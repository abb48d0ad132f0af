"""Promise: every example ran in the build and its page shows real outputs, figures and downloads.

The examples themselves are executed by the site build (tests/conftest.py: `site`), with
mkdocs-jupyter's allow_errors off: an example that raises, or whose metric misses the bar it
asserts, fails that build and with it every test here.
"""

import json
import re

import jupytext
import pytest

from tests.conftest import ROOT

EXAMPLES = sorted((ROOT / "examples").glob("*.py"))
# What TensorFlow / CUDA print at start-up; it belongs in the build log, not on a page.
NOISE = re.compile(r"oneDNN custom operations|cuda_(?:platform|dnn|blas)|Could not find cuda|"
                   r"^[IWE]\d{4} \d\d:\d\d|TF_ENABLE_ONEDNN_OPTS", re.M)


@pytest.mark.parametrize("script", EXAMPLES, ids=lambda p: p.stem)
def test_header_says_what_the_example_teaches(script):
    cells = jupytext.read(script).cells
    header = cells[0].source if cells and cells[0].cell_type == "markdown" else ""
    assert header.startswith("# "), f"{script.name}: first cell must be a Markdown title"
    assert re.search(r"\]\(\.\./\.\./ch\d[^)]*\)", header), f"{script.name}: link back to its section"


@pytest.mark.parametrize("script", EXAMPLES, ids=lambda p: p.stem)
def test_a_section_links_to_the_example(script):
    linking = [md for md in (ROOT / "docs").rglob("*.md") if f"examples/{script.name}" in md.read_text()]
    assert linking, f"no page of docs/ links to examples/{script.name}"


@pytest.mark.parametrize("script", EXAMPLES, ids=lambda p: p.stem)
def test_page_shows_executed_outputs_and_figures(site, script):
    html = (site / "examples" / script.stem / "index.html").read_text(encoding="utf-8")
    outputs = re.findall(r'class="[^"]*\bjp-OutputArea-output\b', html)
    assert outputs, f"{script.name}: the page shows no outputs (was it executed?)"
    # Figures are PNG files beside the page (hooks/images.py), each a real image of some size.
    figures = re.findall(r'<img [^>]*src="(output-[0-9a-f]{12}\.png)"', html)
    assert figures, f"{script.name}: the page shows no figure"
    folder = site / "examples" / script.stem
    assert all((folder / f).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for f in figures)
    assert "data:image/png;base64," not in html, f"{script.name}: a figure left inline"
    assert "No description has been provided" not in html, f"{script.name}: a figure without alt text"
    assert "Traceback (most recent call last)" not in html
    # A warning (a deprecation TensorFlow logs, say) is a red box on the page: teach without one.
    warned = re.findall(r'data-mime-type="application/vnd\.jupyter\.stderr"[^>]*>(.{0,200})', html, re.S)
    assert not warned, f"{script.name}: the page shows what the example wrote to stderr: {warned[:2]}"
    assert not NOISE.search(re.sub(r"<[^>]+>", "", html)), f"{script.name}: TF start-up noise on the page"


@pytest.mark.parametrize("script", EXAMPLES, ids=lambda p: p.stem)
def test_downloads_are_the_script_and_its_notebook(site, script):
    folder = site / "examples" / script.stem
    assert (folder / script.name).read_text() == script.read_text()
    notebook = json.loads((folder / f"{script.stem}.ipynb").read_text())
    assert len(notebook["cells"]) == len(jupytext.read(script).cells)

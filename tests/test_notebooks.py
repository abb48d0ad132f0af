"""Promise: an example page is a notebook a reader can take away, built once per change.

* The downloaded .ipynb holds the outputs of the build's run, a kernel every Jupyter has, links to
  the published site (not site-relative ones), and the data files it reads lie beside it.
* The downloads sit right under the page's title.
* The example pages share one notebook stylesheet.
* An example runs again only when its script, its data, the lock or Python changed (never
  cached under CI); a failing example stops the build once, naming its line in the .py.
* A failed site build is reported by one test (tests/test_build.py), not by every test that needs
  the site.
"""

import importlib.util
import json
import os
import re
import subprocess
import sys
import textwrap
import time

import jupytext
import nbformat
import pytest

from tests.conftest import ROOT, build_failure

EXAMPLES = sorted((ROOT / "examples").glob("*.py"))


@pytest.mark.parametrize("script", EXAMPLES, ids=lambda p: p.stem)
def test_downloaded_notebook_stands_on_its_own(site, script):
    folder = site / "examples" / script.stem
    nb = json.loads((folder / f"{script.stem}.ipynb").read_text(encoding="utf-8"))
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert any(c["outputs"] for c in code), f"{script.name}: the downloaded notebook has no outputs"
    links = [u for c in nb["cells"] if c["cell_type"] == "markdown"
             for u in re.findall(r"\]\(([^)\s]+)", "".join(c["source"]))]
    relative = [u for u in links if not re.match(r"^(?:https?:|mailto:|#)", u)]
    assert not relative, f"{script.name}: links that break in a downloaded copy: {relative}"
    text = script.read_text(encoding="utf-8")
    for data in (ROOT / "examples" / "data").glob("*"):
        if data.name in text:
            assert (folder / data.name).read_bytes() == data.read_bytes(), f"{data.name} not beside it"


@pytest.mark.parametrize("script", EXAMPLES, ids=lambda p: p.stem)
def test_downloads_follow_the_title(site, script):
    html = (site / "examples" / script.stem / "index.html").read_text(encoding="utf-8")
    assert html.index("</h1>") < html.index('class="book-downloads"') < html.index("</article>")


def test_example_pages_share_one_stylesheet(site):
    sheets = {re.search(r'href="[./]*(assets/stylesheets/notebook\.[0-9a-f]{8}\.css)"',
                        (site / "examples" / s.stem / "index.html").read_text())[1] for s in EXAMPLES}
    assert len(sheets) == 1, sheets
    assert len(list((site / "assets" / "stylesheets").glob("notebook.*.css"))) == 1


def _load_hook():
    spec = importlib.util.spec_from_file_location("examples_hook_under_test", ROOT / "hooks/examples.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module   # as mkdocs loads a hook
    spec.loader.exec_module(module)
    return module


def test_an_example_runs_again_only_when_what_it_depends_on_changed(tmp_path, monkeypatch):
    hook = _load_hook()
    (tmp_path / "examples" / "data").mkdir(parents=True)
    (tmp_path / "requirements.lock").write_text("numpy==2.4.6\n")
    data = tmp_path / "examples" / "data" / "numbers.csv"
    data.write_text("1\n")
    script = tmp_path / "examples" / "count.py"
    script.write_text("# %%\nprint(open('examples/data/numbers.csv').read())\n")
    runs = []
    monkeypatch.setattr(hook, "ROOT", tmp_path)
    monkeypatch.setattr(hook, "_execute", lambda nb, script, kernel: runs.append(script.name))
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("BOOK_EXAMPLES_SINCE", raising=False)   # `make test` sets it
    hook._state["execute"] = True
    for _ in range(2):
        hook._notebook(script, "ai-book")
    assert runs == ["count.py"]                      # the second build reused the first run
    for changed in (script, data, tmp_path / "requirements.lock"):
        changed.write_text(changed.read_text() + "\n")
        hook._notebook(script, "ai-book")
    assert len(runs) == 4                            # each change ran it again
    monkeypatch.setenv("CI", "true")
    hook._notebook(script, "ai-book")
    assert len(runs) == 5                            # CI always runs it afresh
    monkeypatch.setenv("BOOK_EXAMPLES_SINCE", str(time.time() - 60))
    hook._notebook(script, "ai-book")
    assert len(runs) == 5                            # ... or takes the run of this `make test`
    monkeypatch.setenv("BOOK_EXAMPLES_SINCE", str(time.time() + 60))
    hook._notebook(script, "ai-book")
    assert len(runs) == 6                            # but not one from before it started
    assert len(list((tmp_path / ".cache" / "examples").glob("count-run-*"))) == 3   # the last 3 kept


def test_an_example_that_reads_the_book_runs_again_when_a_page_changes(tmp_path, monkeypatch):
    hook = _load_hook()
    (tmp_path / "docs").mkdir()
    page = tmp_path / "docs" / "index.md"
    page.write_text("# Book\n")
    (tmp_path / "examples").mkdir()
    reader = tmp_path / "examples" / "reader.py"
    reader.write_text("# %%\nprint(len(open('docs/index.md').read()))\n")
    other = tmp_path / "examples" / "other.py"
    other.write_text("# %%\nprint(1)\n")
    runs = []
    monkeypatch.setattr(hook, "ROOT", tmp_path)
    monkeypatch.setattr(hook, "_execute", lambda nb, script, kernel: runs.append(script.name))
    monkeypatch.delenv("CI", raising=False)
    hook._state["execute"] = True
    for script in (reader, other):
        hook._notebook(script, "ai-book")
    page.write_text("# Book, edited\n")
    for script in (reader, other):
        hook._notebook(script, "ai-book")
    assert runs == ["reader.py", "other.py", "reader.py"]   # only the one that learns from the pages


def test_two_examples_at_a_time_each_keep_to_half_of_the_cores(tmp_path, monkeypatch):
    """Each kernel sees (and sizes its threads from) its own half of the cores: two kernels each
    spinning threads on every core would cost a quarter more CPU for the same output."""
    hook = _load_hook()
    (tmp_path / "examples").mkdir()
    scripts = []
    for name in ("a", "b", "c"):
        scripts.append(tmp_path / "examples" / f"{name}.py")
        scripts[-1].write_text("# %%\nimport os\nprint(sorted(os.sched_getaffinity(0)))\n")
    monkeypatch.setattr(hook, "ROOT", tmp_path)
    monkeypatch.delenv("CI", raising=False)
    hook._state["execute"] = True
    runs = hook.notebooks(scripts, "ai-book")
    seen = [nbformat.read(nb, as_version=4).cells[0].outputs[0].text for nb in runs]
    cores = sorted(os.sched_getaffinity(0))
    halves = {str(cores[: len(cores) // 2]), str(cores[len(cores) // 2:])} if len(cores) > 1 else {str(cores)}
    assert {text.strip() for text in seen} <= halves, (seen, cores)
    assert sorted(os.sched_getaffinity(0)) == cores   # the build's own threads keep every core


def _build_with_example(tmp_path, script: str, **env: str) -> subprocess.CompletedProcess:
    """`mkdocs build --strict` of a one-page book with one example, examples/broken.py."""
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "index.md").write_text("# Book\n")
    (tmp_path / "examples").mkdir()
    (tmp_path / "examples" / "broken.py").write_text(textwrap.dedent(script))
    (tmp_path / "mkdocs.yml").write_text(textwrap.dedent(f"""\
        INHERIT: {ROOT / "mkdocs.yml"}
        nav: [index.md, examples/broken.py]
        hooks: [{ROOT / "hooks/examples.py"}]
        plugins:
          - search
          - mkdocs-jupyter: {{include: ["examples/*/*.ipynb"], execute: true, allow_errors: false,
                              kernel_name: ai-book, include_source: true}}
        theme: {{name: material, custom_dir: {ROOT / "overrides"}}}
        watch: []
        """))
    return subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict"], cwd=tmp_path,
                          env=dict(os.environ, NO_MKDOCS_2_WARNING="1", **env), capture_output=True,
                          text=True, timeout=600)


def test_a_failing_example_is_reported_once_with_its_line(tmp_path):
    done = _build_with_example(tmp_path, """\
        # %% [markdown]
        # # Broken

        # %%
        x = 1

        # %%
        y = 2
        z = y / (x - 1)
        """)
    log = done.stdout + done.stderr
    assert done.returncode != 0
    headline = "examples/broken.py:9: this example failed (ZeroDivisionError: division by zero)"
    assert headline in log, log[-3000:]
    assert log.count("ZeroDivisionError: division by zero") <= 2   # the headline and the traceback's
    assert "\x1b[" not in log


def test_an_example_cell_that_never_returns_fails_the_build_with_its_line(tmp_path):
    done = _build_with_example(tmp_path, """\
        # %% [markdown]
        # # Stuck

        # %%
        import time

        # %%
        while True:
            time.sleep(0.1)
        """, BOOK_CELL_TIMEOUT="3")
    log = done.stdout + done.stderr
    assert done.returncode != 0
    headline = "examples/broken.py:8: this cell was still running after 3 s (BOOK_CELL_TIMEOUT)"
    assert headline in log, log[-3000:]


def test_a_failed_site_build_is_reported_plainly_by_one_test(tmp_path, monkeypatch):
    assert build_failure("exit status 0\nINFO - fine\n") is None
    assert build_failure("exit status 1\nINFO - fine\n\x1b[31mERROR - boom\x1b[0m\n") == (
        "mkdocs build --strict failed:\nexit status 1\nERROR - boom")
    # Every test but tests/test_build.py gets the site from the fixture, which skips on a failure.
    import tests.conftest as conftest
    monkeypatch.setattr(conftest, "build_site", lambda factory: (tmp_path, "exit status 1\nERROR - boom\n"))
    with pytest.raises(pytest.skip.Exception, match="test_build.py::test_the_site_builds says why"):
        conftest.site.__wrapped__(None)


def test_the_notebook_has_every_cell_of_the_script(site):
    for script in EXAMPLES:
        nb = nbformat.read(site / "examples" / script.stem / f"{script.stem}.ipynb", as_version=4)
        assert len(nb.cells) == len(jupytext.read(script).cells)

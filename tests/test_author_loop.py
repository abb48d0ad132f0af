"""Promise: an author learns about a mistake from the fast commands, not minutes later.

* `pytest docs/<page>.md` (= `make page PAGE=…`) checks the page's formulas, links and anchors,
  images, includes, nav entry and front matter besides running its code (tests/page_checks.py);
* `make serve` shows a formula that does not parse in the browser, naming file:line, and keeps
  serving (while `make build` / `make test` still stop on it: tests/test_fail_closed.py);
* `make serve` rebuilds only the page saved, yet shows a changed figure the page includes.

Each case runs the real machinery on a small book in a temporary directory, with the book's own
hooks and Markdown settings (mkdocs.yml inherited).
"""

import contextlib
import os
import socket
import subprocess
import sys
import textwrap
import time
import urllib.request

from tests.conftest import ROOT

GOOD = textwrap.dedent("""\
    ---
    description: A page that is right in every way the checks look at.
    ---

    # Good

    ## Target

    Text with $a^2$.
    """)


def make_book(tmp_path, pages: dict[str, str], nav: list[str]):
    docs = tmp_path / "docs"
    docs.mkdir()
    for name, text in pages.items():
        (docs / name).write_text(textwrap.dedent(text), encoding="utf-8")
    (tmp_path / "mkdocs.yml").write_text(textwrap.dedent(f"""\
        INHERIT: {ROOT / "mkdocs.yml"}
        nav: {nav}
        plugins: [search]
        hooks: [{ROOT / "hooks/katex.py"}, {ROOT / "hooks/snippets.py"}]
        theme: {{name: material, custom_dir: {ROOT / "overrides"}}}
        watch: []
        """))
    (tmp_path / "pytest.ini").write_text("[pytest]\n")


def test_the_one_page_command_catches_what_only_the_build_used_to(tmp_path):
    make_book(tmp_path, {"index.md": GOOD, "page.md": """\
        # Page without a description, not in the nav

        $$
        \\frac{1}{2
        $$

        [gone](missing.md), [nowhere](index.md#no-such-heading), [here](#no-anchor)

        ![a figure](figures/none.png)

        --8<-- "figures/none.svg"

        ```python
        print(6 * 7)
        ```

        <!--pytest-codeblocks:expected-output-->
        ```text
        42
        ```
        """}, nav=["index.md"])
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "tests.snippets", "-p", "no:cacheprovider", "-c",
         str(tmp_path / "pytest.ini"), "--rootdir", str(tmp_path), "-n0", "docs/page.md"],
        cwd=tmp_path, env=dict(os.environ, PYTHONPATH=str(ROOT)), capture_output=True, text=True)
    seconds = time.perf_counter() - start
    out = done.stdout
    assert done.returncode == 1 and "1 failed, 1 passed" in out, out   # the code ran and passed
    assert "docs/page.md:4: formula does not parse" in out
    assert "contains a link 'missing.md'" in out
    assert "contains a link 'index.md#no-such-heading'" in out
    assert "contains a link '#no-anchor'" in out
    assert "contains a link 'figures/none.png'" in out
    assert "docs/page.md:11: includes figures/none.svg, which is not in docs/" in out
    assert "docs/page.md: not in mkdocs.yml's nav" in out
    assert "docs/page.md:1: no front-matter `description:`" in out
    print(f"one-page command on a small book: {seconds:.1f} s")


def test_a_right_page_passes_the_one_page_command(tmp_path):
    # The build behind it reads the other pages for their anchors only (hooks/page_check.py): an
    # equation's id and a heading's there must still be found, their code blocks still parse.
    other = (GOOD + "\n$$\nE = mc^2 \\tag{1.1}\n$$\n\n"
             "```python title=\"x\"\nprint(1)\n```\n\n## After the code\n")
    make_book(tmp_path, {"index.md": other, "page.md": GOOD.replace("# Good", "# Page") +
                         "\n[back](index.md#target), [式 (1.1)](index.md#eq-1.1), "
                         "[after](index.md#after-the-code)\n"}, nav=["index.md", "page.md"])
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "tests.snippets", "-p", "no:cacheprovider", "-c",
         str(tmp_path / "pytest.ini"), "--rootdir", str(tmp_path), "-n0", "docs/page.md"],
        cwd=tmp_path, env=dict(os.environ, PYTHONPATH=str(ROOT)), capture_output=True, text=True)
    assert done.returncode == 0, done.stdout
    assert "1 passed" in done.stdout   # the page checks, on a page without code


def _get(url: str, timeout: float = 5) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.read().decode("utf-8", "replace")
    except OSError:
        return None


def _wait_for(url: str, predicate, seconds: float = 90) -> str:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        text = _get(url)
        if text is not None and predicate(text):
            return text
        time.sleep(0.3)
    raise AssertionError(f"{url}: not as expected within {seconds} s; last answer:\n{(text or '')[:2000]}")


@contextlib.contextmanager
def _serving(book):
    """`mkdocs serve` on the book as `make serve` runs it (--dirty); yields its URL."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "mkdocs", "serve", "--dev-addr", f"127.0.0.1:{port}", "--livereload",
         "--dirty"],
        cwd=book, env=dict(os.environ, NO_MKDOCS_2_WARNING="1"), stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    try:
        yield f"http://127.0.0.1:{port}/"
        assert server.poll() is None, "the server stopped"
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_serve_shows_a_bad_formula_and_keeps_serving(tmp_path):
    make_book(tmp_path, {"index.md": GOOD}, nav=["index.md"])
    page = tmp_path / "docs" / "index.md"
    with _serving(tmp_path) as url:
        _wait_for(url, lambda t: "katex" in t)
        page.write_text(page.read_text() + "\nBroken: $\\frac{1}{2$ here.\n", encoding="utf-8")
        shown = _wait_for(url, lambda t: "formula does not parse" in t)
        assert "docs/index.md:11: formula does not parse" in shown
        page.write_text(textwrap.dedent(GOOD) + "\nFixed: $\\frac{1}{2}$ here.\n", encoding="utf-8")
        _wait_for(url, lambda t: "Fixed" in t and "formula does not parse" not in t)


def test_serve_shows_a_changed_figure_though_only_saved_pages_are_rebuilt(tmp_path):
    # hooks/dirty_serve.py: `make serve` rebuilds only the Markdown saved (mkdocs serve --dirty); a
    # figure the page includes is no Markdown, and the page must still show its new version.
    make_book(tmp_path, {"index.md": GOOD + '\n--8<-- "figure.svg"\n'}, nav=["index.md"])
    config = tmp_path / "mkdocs.yml"
    hook = ROOT / "hooks" / "dirty_serve.py"
    hooks = config.read_text().replace("hooks/snippets.py]", f"hooks/snippets.py, {hook}]")
    assert "dirty_serve" in hooks
    config.write_text(hooks, encoding="utf-8")
    figure = tmp_path / "docs" / "figure.svg"
    figure.write_text('<svg xmlns="http://www.w3.org/2000/svg"><text>first drawing</text></svg>\n')
    page = tmp_path / "docs" / "index.md"
    with _serving(tmp_path) as url:
        _wait_for(url, lambda t: "first drawing" in t)
        time.sleep(1.1)   # a file system's modification times may be whole seconds
        page.write_text(page.read_text() + "\nA saved sentence.\n", encoding="utf-8")
        _wait_for(url, lambda t: "A saved sentence." in t)
        time.sleep(1.1)
        figure.write_text(figure.read_text().replace("first drawing", "second drawing"))
        _wait_for(url, lambda t: "second drawing" in t, seconds=30)

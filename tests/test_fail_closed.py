"""Promise: an author's mistake fails the tests or the build with a message naming file and line.

Each case writes a one-page book into a temporary directory and runs the real machinery on it:
tests/snippets.py for code blocks, and `mkdocs build --strict` with the book's own hooks and
Markdown settings (mkdocs.yml inherited) for formulas and links.
"""

import os
import subprocess
import sys
import textwrap

import pytest

from tests.conftest import ROOT

FENCE = "```"


def run_snippets(tmp_path, markdown: str) -> subprocess.CompletedProcess:
    page = tmp_path / "docs" / "page.md"
    page.parent.mkdir(parents=True)
    page.write_text(textwrap.dedent(markdown).replace("'''", FENCE), encoding="utf-8")
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "tests.snippets", "-p", "no:cacheprovider",
         "-c", str(tmp_path / "pytest.ini"), "--rootdir", str(tmp_path), str(page)],
        cwd=tmp_path, env=dict(os.environ, PYTHONPATH=str(ROOT)), capture_output=True, text=True)


def build(tmp_path, markdown: str) -> subprocess.CompletedProcess:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "index.md").write_text(textwrap.dedent(markdown), encoding="utf-8")
    (tmp_path / "mkdocs.yml").write_text(textwrap.dedent(f"""\
        INHERIT: {ROOT / "mkdocs.yml"}
        nav: [index.md]
        plugins: [search]
        hooks: [{ROOT / "hooks/katex.py"}, {ROOT / "hooks/snippets.py"}]
        theme: {{name: material, custom_dir: {ROOT / "overrides"}}}
        watch: []
        """))
    return subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict"], cwd=tmp_path,
                          capture_output=True, text=True)


def test_a_block_that_raises_names_its_line(tmp_path):
    done = run_snippets(tmp_path, """\
        # Page

        '''python
        x = 1
        y = x / 0
        '''
        """)
    assert done.returncode == 1
    assert "docs/page.md:3: this block raised" in done.stdout
    assert 'page.md", line 5, in <module>' in done.stdout   # the traceback points at the .md line
    assert "ZeroDivisionError" in done.stdout


def test_a_wrong_shown_output_fails(tmp_path):
    done = run_snippets(tmp_path, """\
        '''python
        print(6 * 7)
        '''

        <!--pytest-codeblocks:expected-output-->
        '''text
        41
        '''
        """)
    assert done.returncode == 1
    assert "docs/page.md:1: output differs from the page" in done.stdout
    assert "-41" in done.stdout and "+42" in done.stdout


def test_printing_without_showing_the_output_fails(tmp_path):
    done = run_snippets(tmp_path, """\
        '''python
        print("hidden")
        '''
        """)
    assert done.returncode == 1
    assert "docs/page.md:1: the block prints, but the page shows no output" in done.stdout


@pytest.mark.parametrize("fence, message", [
    ("'''py", "fence info `py` is never run"),
    ("'''python3", "fence info `python3` is never run"),
    ("'''{.python}", "is never run"),
    ("~~~python", "~~~python fences are not run"),
    ("'''bash", "blocks run in a shell"),
])
def test_a_fence_the_tests_would_skip_is_an_error(tmp_path, fence, message):
    close = "~~~" if fence.startswith("~") else "'''"
    done = run_snippets(tmp_path, f"# Page\n\n{fence}\nprint(1)\n{close}\n")
    assert done.returncode != 0
    assert "docs/page.md:3: " in done.stdout and message in done.stdout


def test_markers_after_prose_fences_are_errors(tmp_path):
    done = run_snippets(tmp_path, """\
        '''text
        not code
        '''

        <!--pytest-codeblocks:cont-->
        '''python
        pass
        '''

        '''text
        also not code
        '''

        <!--pytest-codeblocks:expected-output-->
        '''text
        never checked
        '''
        """)
    assert done.returncode != 0
    assert "docs/page.md:5: `cont` must follow a ```python block" in done.stdout
    assert "docs/page.md:14: `expected-output` must follow" in done.stdout


def test_a_skip_needs_a_visible_reason(tmp_path):
    done = run_snippets(tmp_path, """\
        <!--pytest.mark.skip(reason="")-->
        '''python
        pass
        '''
        """)
    assert done.returncode != 0
    assert "docs/page.md:1: a skipped block needs a reason" in done.stdout


def test_a_formula_that_does_not_parse_fails_the_build(tmp_path):
    done = build(tmp_path, r"""
        # Page

        Fine: $a^2$.

        $$
        \frac{1}{2
        $$
        """)
    assert done.returncode != 0
    assert "docs/index.md:7: formula does not parse" in done.stderr


def test_a_broken_link_or_anchor_fails_the_build(tmp_path):
    done = build(tmp_path, "# Page\n\n[gone](missing.md) and [nowhere](#no-such-anchor)\n")
    assert done.returncode != 0
    assert "'index.md' contains a link 'missing.md'" in done.stderr
    assert "'index.md' contains a link '#no-such-anchor'" in done.stderr


def test_a_correct_page_builds(tmp_path):
    # The cases above fail for the reason they name, not because the harness is broken.
    done = build(tmp_path, "# Page\n\n$$ x^2 < y \\tag{1.1.1} $$\n\n[式 (1.1.1)](#eq-1.1.1), $a \\ne b$\n")
    assert done.returncode == 0, done.stderr
    assert 'id="eq-1.1.1"' in (tmp_path / "site" / "index.html").read_text()


def test_each_tab_is_run_as_a_reader_who_chose_it(tmp_path):
    # The TensorFlow tab must not lean on a name only the PyTorch tab defines: a reader who chose
    # TensorFlow never ran that code. The block after the tabs runs once after each tab.
    done = run_snippets(tmp_path, """\
        '''python
        shared = 1
        '''

        === "PyTorch"

            <!--pytest-codeblocks:cont-->
            '''python
            only_torch = shared + 1
            '''

        === "TensorFlow"

            <!--pytest-codeblocks:cont-->
            '''python
            value = only_torch
            '''

        <!--pytest-codeblocks:cont-->
        '''python
        assert shared == 1
        '''
        """)
    assert done.returncode == 1
    assert "1 failed, 1 passed" in done.stdout            # the PyTorch reader's session is fine
    assert "docs/page.md::line 1 [TensorFlow]" in done.stdout
    assert "docs/page.md:15: this block raised" in done.stdout
    assert "NameError: name 'only_torch' is not defined" in done.stdout

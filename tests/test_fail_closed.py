"""Promise: an author's mistake fails the tests or the build with a message naming file and line.

Each case writes a one-page book into a temporary directory and runs the real machinery on it:
tests/snippets.py for code blocks, and `mkdocs build --strict` with the book's own hooks and
Markdown settings (mkdocs.yml inherited) for formulas and links.
"""

import os
import re
import subprocess
import sys
import textwrap
import time

import pytest

from hooks.blocks import AuthorError, parse
from tests.conftest import ROOT

FENCE = "```"


def run_snippets(tmp_path, markdown: str, *args: str,
                 timeout: float | None = None) -> subprocess.CompletedProcess:
    page = tmp_path / "docs" / "page.md"
    page.parent.mkdir(parents=True, exist_ok=True)
    page.write_text(textwrap.dedent(markdown).replace("'''", FENCE), encoding="utf-8")
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "tests.snippets", "-p", "no:cacheprovider",
         "-c", str(tmp_path / "pytest.ini"), "--rootdir", str(tmp_path), *args,
         str(page.parent)],   # the folder: a page named alone also gets its site checks
        cwd=tmp_path, env=dict(os.environ, PYTHONPATH=str(ROOT)), capture_output=True, text=True,
        timeout=timeout)


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


def author_error(tmp_path, markdown: str) -> str:
    """The error the one parse (hooks/blocks.py) raises for a page: the runner's collection error
    for it (test_a_fence_neither_run_nor_known_fails_the_run), checked here without a pytest run."""
    page = tmp_path / "page.md"
    page.write_text(markdown.replace("'''", FENCE), encoding="utf-8")
    with pytest.raises(AuthorError) as error:
        parse(page)
    return str(error.value)


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


def test_a_block_that_never_returns_fails_with_the_line_it_was_at(tmp_path):
    done = run_snippets(tmp_path, """\
        '''python
        import time
        '''

        <!--pytest-codeblocks:cont-->
        '''python
        def wait():
            while True:
                time.sleep(0.05)

        wait()
        '''

        '''bash
        sleep 600 & echo $! > PIDFILE; wait; echo done
        '''

        <!--pytest-codeblocks:expected-output-->
        '''text
        done
        '''
        """.replace("PIDFILE", str(tmp_path / "sleep.pid")), "-o", "snippet_timeout=2", timeout=120)
    assert done.returncode == 1, done.stdout
    assert ("docs/page.md:6: this block was still running after 2 s (snippet_timeout in pyproject.toml);"
            " it was at docs/page.md:9: time.sleep(0.05)") in done.stdout
    # A shell block runs in processes of its own: named, and every one of them stopped.
    assert "docs/page.md:14: this block was still running after 2 s" in done.stdout
    assert "2 failed" in done.stdout
    sleeper = int((tmp_path / "sleep.pid").read_text())
    time.sleep(0.5)   # SIGKILL is delivered asynchronously
    assert not _alive(sleeper), "the stopped block left a process running"


def test_a_block_stuck_in_c_code_ends_the_run_with_its_line(tmp_path):
    # deque() consumes the endless count() inside C: no signal handler runs until it returns.
    done = run_snippets(tmp_path, """\
        '''python
        import collections
        import itertools

        collections.deque(itertools.count(), maxlen=0)
        '''
        """, "-o", "snippet_timeout=1", timeout=120)
    assert done.returncode != 0, done.stdout
    assert "Timeout" in done.stderr and 'docs/page.md", line 5 in <module>' in done.stderr, done.stderr


def test_any_other_check_that_never_returns_fails_the_run(tmp_path):
    # The project's own settings (pyproject.toml), one planted test that hangs, a short limit.
    (tmp_path / "test_hangs.py").write_text("import time\n\n\ndef test_hangs():\n    time.sleep(600)\n")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-c", str(ROOT / "pyproject.toml"), "--rootdir", str(ROOT),
         "-n0", "-o", "timeout=2", str(tmp_path / "test_hangs.py")],
        cwd=ROOT, capture_output=True, text=True, timeout=120)
    shown = done.stdout + done.stderr
    assert done.returncode != 0, shown
    assert "Timeout" in shown and 'test_hangs.py", line 5, in test_hangs' in shown, shown


def _alive(pid: int) -> bool:
    try:   # a zombie (Z) is dead, only not yet reaped
        return open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_printing_without_showing_the_output_fails(tmp_path):
    done = run_snippets(tmp_path, """\
        '''python
        print("hidden")
        '''
        """)
    assert done.returncode == 1
    assert "docs/page.md:1: the block prints, but the page shows no output" in done.stdout


@pytest.mark.parametrize("fence", ["py", "python3", "python3.11", "Python", "{.python}", "shell", "zsh",
                                   "js", ""])
def test_a_fence_neither_run_nor_known_is_an_error(tmp_path, fence):
    # An allow-list: a fence runs, or is a display language the book knows; nothing else passes.
    error = author_error(tmp_path, f"# Page\n\n'''{fence}\nprint(1)\n'''\n")
    assert f"page.md:3: fence info `{fence}` is neither run nor a known display language" in error


def test_a_fence_neither_run_nor_known_fails_the_run(tmp_path):
    done = run_snippets(tmp_path, "# Page\n\n'''py\nprint(1)\n'''\n")
    assert done.returncode != 0
    assert "docs/page.md:3: fence info `py` is neither run nor a known display language" in done.stdout


@pytest.mark.parametrize("fence, message", [
    ("~~~python", "~~~python fences are not run"),
    ("'''bash", "blocks run in a shell"),
])
def test_a_fence_the_tests_would_skip_is_an_error(tmp_path, fence, message):
    close = "~~~" if fence.startswith("~") else "'''"
    error = author_error(tmp_path, f"# Page\n\n{fence}\nprint(1)\n{close}\n")
    assert "page.md:3: " in error and message in error


def test_display_fences_and_titled_blocks_pass(tmp_path):
    done = run_snippets(tmp_path, """\
        '''python title="x.py"
        print(2)
        '''

        <!--pytest-codeblocks:expected-output-->
        '''text
        2
        '''

        '''console
        $ make test
        '''

        ~~~~markdown
        '''python
        shown, not run
        '''
        ~~~~
        """)
    assert done.returncode == 0, done.stdout
    assert "1 passed" in done.stdout


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


# --- one marker grammar (hooks/blocks.py), for the tests and the site ---------------------------

def test_a_new_tab_set_starts_a_new_group(tmp_path):
    page = tmp_path / "page.md"
    page.write_text('=== "PyTorch"\n\n    x\n\n=== "TensorFlow"\n\n    y\n\n'
                    '===! "SGD"\n\n    z\n\n=== "Adam"\n\n    w\n', encoding="utf-8")
    assert parse(page)[1] == {0: ["PyTorch", "TensorFlow"], 1: ["SGD", "Adam"]}


def test_prose_checks_mask_fences_as_the_runner_reads_them():
    # A list item's fence may close at another indent; the runner reads it as code, so the prose
    # checks must not read it as prose (they use the runner's lexer).
    from tests.test_prose import prose
    source = "1. 步骤：\n\n    ```python\n    x = 0.5\n```\n\n正文。\n"
    assert "0.5" not in prose(source) and "正文" in prose(source)


def test_the_site_labels_blocks_from_the_tests_parse(tmp_path):
    # An output shown in a ~~~ fence is the output the tests compare: the site titles *it* "输出",
    # never the next Python block.
    done = build(tmp_path, """\
        # Page

        ```python
        print(1)
        ```

        <!--pytest-codeblocks:expected-output-->
        ~~~text
        1
        ~~~

        ```python
        x = 2
        ```

        <!--pytest-codeblocks:cont-->
        ```python
        y = x
        ```

        <!--pytest.mark.skip(reason="needs a GPU")-->
        ```python
        z = 3
        ```
        """)
    assert done.returncode == 0, done.stderr
    page = (tmp_path / "site" / "index.html").read_text()
    titles = re.findall(r'<span class="filename">([^<]*)</span>', page)
    assert titles == ["输出", "接上段"], titles
    assert "此代码块不在测试中运行：needs a GPU" in page
    assert "pytest" not in re.sub(r"<[^>]+>", "", page.split("<article", 1)[1])


# --- a chain runs as a script would ---------------------------------------------------------------

def test_a_chain_runs_in_a_real_main_module(tmp_path):
    done = run_snippets(tmp_path, """\
        '''python
        import inspect
        import pickle

        import torch


        class Point:
            def __init__(self, x=1):
                self.x = x


        class Twice(torch.nn.Module):
            def forward(self, x):
                return 2 * x
        '''

        <!--pytest-codeblocks:cont-->
        '''python
        assert "class Point" in inspect.getsource(Point)
        assert pickle.loads(pickle.dumps(Point(3))).x == 3
        assert torch.jit.script(Twice())(torch.ones(2)).tolist() == [2.0, 2.0]
        '''

        '''python
        import multiprocessing


        def square(n):
            return n * n


        if __name__ == "__main__":   # a spawned worker imports the chain again, as it would a script
            for method in ("fork", "spawn"):
                with multiprocessing.get_context(method).Pool(2) as pool:
                    assert pool.map(square, range(4)) == [0, 1, 4, 9], method
        '''
        """)
    assert done.returncode == 0, done.stdout
    assert "2 passed" in done.stdout


def test_matplotlib_state_does_not_leak_from_one_chain_to_the_next(tmp_path):
    done = run_snippets(tmp_path, """\
        '''python
        import matplotlib.pyplot as plt
        from matplotlib import font_manager
        from mplfonts.conf import FONT_DIR
        font_manager.fontManager.addfont(f"{FONT_DIR}/NotoSansCJKsc-Regular.otf")
        plt.rcParams.update({"font.family": "Noto Sans CJK SC", "lines.linewidth": 7})
        '''

        '''python
        import matplotlib
        from matplotlib import font_manager
        assert matplotlib.rcParams["lines.linewidth"] == 1.5
        assert matplotlib.rcParams["font.family"] == ["sans-serif"]
        assert "Noto Sans CJK SC" not in {f.name for f in font_manager.fontManager.ttflist}
        '''
        """, "-n0", "-p", "no:randomly")
    assert done.returncode == 0, done.stdout
    assert "2 passed" in done.stdout


def test_a_figure_that_differs_keeps_its_difference_image(tmp_path):
    figures = tmp_path / "docs" / "figures"
    figures.mkdir(parents=True)
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    plt.figure(figsize=(2, 2)).savefig(figures / "x.png")   # an empty figure is committed
    plt.close("all")
    done = run_snippets(tmp_path, """\
        '''python
        import matplotlib.pyplot as plt
        plt.figure(figsize=(2, 2))
        plt.plot([0, 1], [0, 1], linewidth=8)
        plt.savefig("x.png")
        '''
        """)
    assert done.returncode == 1
    assert "docs/page.md:1: x.png differs from docs/figures/x.png" in done.stdout
    # dict.fromkeys: under CI pytest repeats the whole message in its short summary.
    kept = list(dict.fromkeys(re.findall(r"(?:drawn now|difference): (\S+)", done.stdout)))
    assert kept == [".cache/figure-diffs/page/x.png", ".cache/figure-diffs/page/x-failed-diff.png"]
    assert all((tmp_path / k).is_file() for k in kept)


def test_a_deprecated_call_in_a_snippet_fails_it(tmp_path):
    done = run_snippets(tmp_path, """\
        '''python
        import warnings

        import numpy as np
        stacked = np.row_stack([[1], [2]])
        '''
        """)
    assert done.returncode == 1
    assert "docs/page.md:5: this block calls a deprecated API (DeprecationWarning: `row_stack`" in done.stdout


def test_a_deprecation_torch_announces_as_a_user_warning_fails_too(tmp_path):
    done = run_snippets(tmp_path, """\
        '''python
        import warnings
        warnings.warn("quantized tensor creation functions are deprecated", UserWarning)
        '''
        """)
    assert done.returncode == 1
    assert "docs/page.md:3: this block calls a deprecated API (UserWarning: quantized" in done.stdout


def test_a_deprecation_tensorflow_logs_fails_the_block(tmp_path):
    # TensorFlow's own words (tf.compat.v1.to_float, TF 2.21), logged as it logs them; importing
    # TensorFlow here would cost seconds. docs/ch5-trends/compute.md's call of
    # tf.quantization.quantize, which logs this way from TensorFlow's inside, failed so.
    done = run_snippets(tmp_path, """\
        '''python
        import logging
        logging.getLogger("tensorflow").warning(
            "From /site-packages/tensorflow/python/util/dispatch.py:1264: to_float (from "
            "tensorflow.python.ops.math_ops) is deprecated and will be removed in a future version.")
        '''
        """)
    assert done.returncode == 1
    assert ("docs/page.md:1: while this block ran, TensorFlow logged that an API it called is deprecated:"
            "\nFrom /site-packages/tensorflow/python/util/dispatch.py:1264: to_float") in done.stdout


def test_a_library_warning_about_its_own_internals_passes(tmp_path):
    done = run_snippets(tmp_path, """\
        '''python
        import warnings
        warnings.warn_explicit("internal", DeprecationWarning, "/site-packages/numpy/x.py", 1)
        '''
        """)
    assert done.returncode == 0, done.stdout

"""pytest plugin: every code block of docs/**/*.md is a test, and no block escapes silently.

Authors mark blocks with pytest-codeblocks' HTML-comment syntax, read by this plugin:

    <!--pytest-codeblocks:cont-->             the next block continues the previous Python block
                                               (same variables), like the next cell of a notebook
    <!--pytest-codeblocks:expected-output-->  the next fence is exactly what the previous block
                                               prints (hooks/snippets.py titles it "输出")
    <!--pytest.mark.skip(reason="…")-->       do not run the next block; the reason is shown on
                                               the page and in the test summary

A *chain* (a block plus the `cont` blocks after it) is one test, named after its first line. Code in
content tabs (`=== "PyTorch"` / `=== "TensorFlow"`) is run the way a reader meets it: for each tab
label, the blocks a reader who chose that label sees, in page order; so a `cont` block in the
TensorFlow tab continues the page's last block outside the tabs (or in the same tab), never the
PyTorch tab's code. A chain that differs by choice is one test per choice ("line 12 [PyTorch]"). Each
block runs with `__name__ == "__main__"`, compiled under the .md file's own path and line numbers,
so a traceback points at the Markdown line that failed (and `tf.function` / `torch.jit.script` can
read their source). A block that prints without showing its output fails, and so does a shown
output that differs from what the block prints. Image files a chain writes (`plt.savefig("x.png")`)
must match the committed `figures/x.png` beside the page; `BOOK_UPDATE_FIGURES=1` rewrites them.

Why not pytest-codeblocks' own runner: it runs every block in fresh globals, allows one output per
`cont` chain, and skips fences it does not recognise (`py`, `python title=…`, `~~~`) without a word.
Here, any fence that would not run and is not plainly prose fails collection, naming file and line.
"""

import contextlib
import difflib
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

import pytest

# Before any snippet imports a framework: offline, quiet, headless, and polite on a 2-core machine.
os.environ.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", TF_CPP_MIN_LOG_LEVEL="2",
                  MPLBACKEND="Agg", TOKENIZERS_PARALLELISM="false")
if "PYTEST_XDIST_WORKER" in os.environ:
    os.environ.setdefault("OMP_NUM_THREADS", "1")

RUNNABLE = {"python", "sh", "bash"}
# Info strings a reader would take for runnable code but that pytest-codeblocks never ran.
PYTHON_LOOKALIKES = {"py", "py3", "python3", "Python", "ipython", "pycon", "python-repl"}
FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
MARKER = re.compile(r"^\s*<!--\s*(?P<body>pytest[-.].*?)\s*-->\s*$")
TAB = re.compile(r"""^(?P<indent>[ \t]*)===\+?!?\s+(["'])(?P<label>.*)\2\s*$""")
SKIP = re.compile(r"""^pytest\.mark\.skip\(\s*reason\s*=\s*(["'])(?P<reason>.*?)\1\s*\)$""")
IMAGE_SUFFIXES = {".png", ".svg", ".jpg", ".gif"}


class AuthorError(Exception):
    """A mistake in the Markdown itself; the message starts with file:line."""


@dataclass
class Block:
    path: Path
    line: int                   # line of the opening fence
    lang: str
    code: str
    cont: bool = False
    skip: str | None = None     # reason
    expected: str | None = None
    expected_line: int = 0
    ignore_whitespace: bool = False
    tabs: tuple = ()            # ((tab group id, label), ...) from the outermost tab inwards
    where: str = ""             # "docs/page.md:12", for messages

    def __post_init__(self):
        self.where = f"{_rel(self.path)}:{self.line}"


def _rel(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def parse(path: Path) -> tuple[list[Block], dict[int, list[str]]]:
    """The runnable blocks of one Markdown file with their markers, and the labels of each tab
    group; AuthorError on any misuse."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    blocks, errors, pending = [], [], {}
    last_code = None          # (lang, Block|None) of the last fence that is not a shown output
    open_tabs: list[tuple[int, int, str]] = []   # (indent, group id, label), outermost first
    group_labels: dict[int, list[str]] = {}
    i = 0

    def err(n, msg):
        errors.append(f"{_rel(path)}:{n}: {msg}")

    while i < len(lines):
        n, line = i + 1, lines[i]
        if line.strip():
            width = len(line) - len(line.lstrip(" \t"))
            tab = TAB.match(line)
            same_group = tab and open_tabs and open_tabs[-1][0] == width
            while open_tabs and open_tabs[-1][0] >= width and not (same_group and open_tabs[-1][0] == width):
                open_tabs.pop()
            if tab:
                group = open_tabs.pop()[1] if same_group else len(group_labels)
                group_labels.setdefault(group, []).append(tab["label"])
                open_tabs.append((width, group, tab["label"]))
                i += 1
                continue
        if marker := MARKER.match(line):
            body = marker["body"]
            if body == "pytest-codeblocks:cont":
                if not (last_code and last_code[0] == "python" and last_code[1]):
                    err(n, "`cont` must follow a ```python block (it continues that block)")
                pending["cont"] = n
            elif body in ("pytest-codeblocks:expected-output",
                          "pytest-codeblocks:expected-output-ignore-whitespace"):
                target = last_code[1] if last_code else None
                if target is None:
                    err(n, "`expected-output` must follow a ```python/```sh/```bash block; "
                           "after any other fence it would never be checked")
                elif target.expected is not None:
                    err(n, f"the block at line {target.line} already has an expected output")
                pending["expected"] = (target, body.endswith("whitespace"))
            elif skip := SKIP.match(body):
                if not skip["reason"].strip():
                    err(n, "a skipped block needs a reason the reader can see")
                pending["skip"] = skip["reason"]
            else:
                err(n, f"unknown or unsupported marker <!--{body}-->; use cont, expected-output "
                       'or pytest.mark.skip(reason="…")')
            i += 1
            continue

        fence = FENCE.match(line)
        if not fence:
            i += 1
            continue
        indent, mark, info = fence["indent"], fence["fence"], fence["info"].strip()
        j = i + 1
        while j < len(lines) and not re.match(rf"^[ \t]*{re.escape(mark[0])}{{{len(mark)},}}\s*$",
                                               lines[j]):
            j += 1
        if j == len(lines):
            err(n, f"fence {mark}{info} is never closed")
            break
        code = "".join(_dedent(lines[k], len(indent)) for k in range(i + 1, j))
        lang = info.split()[0] if info else ""
        if lang.startswith("{") or lang.lstrip(".") in PYTHON_LOOKALIKES | {"{.python}"}:
            err(n, f"fence info `{info}` is never run by the tests; write ```python "
                   "(or ```text / ```console for something that is not code to run)")
        if mark[0] == "~" and lang in RUNNABLE:
            err(n, f"~~~{lang} fences are not run by the tests; use ```{lang}")

        if "expected" in pending:
            target, ignore_ws = pending.pop("expected")
            if target is not None:
                target.expected, target.expected_line = code, n
                target.ignore_whitespace = ignore_ws
        elif lang in RUNNABLE and mark[0] == "`":
            block = Block(path, n, lang, code, cont="cont" in pending, skip=pending.get("skip"),
                          tabs=tuple((group, label) for _, group, label in open_tabs))
            if block.cont and block.skip is not None:
                err(n, "a `cont` block cannot be skipped on its own; skip the first block of "
                       "its chain")
            blocks.append(block)
            last_code = (lang, block)
        else:
            for key in ("cont", "skip"):
                if key in pending:
                    err(n, f"`{key}` marker before a ```{lang or '(no language)'} fence, which "
                           "is not run")
            last_code = (lang, None)
        pending.pop("cont", None)
        pending.pop("skip", None)
        i = j + 1

    if pending:
        err(len(lines), f"marker(s) {sorted(pending)} at the end of the file apply to nothing")
    for b in blocks:
        if b.lang in ("sh", "bash") and b.skip is None and b.expected is None:
            err(b.line, f"```{b.lang} blocks run in a shell: show their expected-output, or "
                        'mark them <!--pytest.mark.skip(reason="…")--> (or use ```console)')
    if errors:
        raise AuthorError("\n".join(errors))
    return blocks, group_labels


def _dedent(line: str, width: int) -> str:
    stripped = line.lstrip(" \t")
    return line[min(width, len(line) - len(stripped)):]


def chains(blocks: list[Block], group_labels: dict[int, list[str]]) -> list[tuple[str, list[Block]]]:
    """The chains a reader runs, as (tab choice, blocks). Choosing a label shows that tab in every
    group that has it (Material's linked tabs) and the first tab elsewhere."""
    choices = sorted({label for labels in group_labels.values() for label in labels}) or [""]
    out, seen = [], set()
    for choice in choices:
        current = None
        for b in blocks:
            shown = {g: choice if choice in group_labels[g] else group_labels[g][0] for g, _ in b.tabs}
            if any(label != shown[g] for g, label in b.tabs):
                continue
            if b.cont and current is not None:
                current.append(b)
            else:
                current = [b]
                out.append((choice, current))
    unique = []
    for choice, chain in out:
        key = tuple(b.line for b in chain)
        if key not in seen:
            seen.add(key)
            unique.append((choice, chain))
    return sorted(unique, key=lambda c: (c[1][0].line, c[0]))


# --- pytest integration ------------------------------------------------------------------------

def pytest_collect_file(file_path, parent):
    if file_path.suffix == ".md" and "docs" in file_path.relative_to(parent.config.rootpath).parts:
        return MarkdownFile.from_parent(parent, path=file_path)


class MarkdownFile(pytest.File):
    def collect(self):
        try:
            found = chains(*parse(self.path))
        except AuthorError as e:
            raise self.CollectError(str(e)) from None
        heads = [chain[0].line for _, chain in found]
        for choice, chain in found:
            name = f"line {chain[0].line}"
            if heads.count(chain[0].line) > 1:
                name += f" [{choice}]"
            item = Chain.from_parent(self, name=name)
            item.blocks = chain
            if chain[0].skip is not None:
                item.add_marker(pytest.mark.skip(reason=f"line {chain[0].line}: {chain[0].skip}"))
            yield item


class SnippetFailure(Exception):
    pass


class Chain(pytest.Item):
    blocks: list[Block]

    def runtest(self):
        namespace = {"__name__": "__main__", "__file__": str(self.path)}
        workdir = Path(tempfile.mkdtemp(prefix="snippet-"))
        old_cwd = os.getcwd()
        os.chdir(workdir)
        try:
            for block in self.blocks:
                start = time.perf_counter()
                out = _run_python(block, namespace) if block.lang == "python" else _run_shell(block)
                self.user_properties.append((block.where, round(time.perf_counter() - start, 3)))
                _check_output(block, out)
            _check_figures(self.blocks[0], workdir)
        finally:
            os.chdir(old_cwd)
            if "matplotlib.pyplot" in sys.modules:
                sys.modules["matplotlib.pyplot"].close("all")
            shutil.rmtree(workdir, ignore_errors=True)

    def repr_failure(self, excinfo):
        if isinstance(excinfo.value, SnippetFailure):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return self.path, self.blocks[0].line - 1, f"{self.blocks[0].where}"


def _run_python(block: Block, namespace: dict) -> str:
    # Pad with newlines so the compiled code's line numbers are the Markdown file's.
    source = "\n" * block.line + block.code
    code = compile(source, str(block.path.resolve()), "exec")
    buffer = io.StringIO()
    try:
        with contextlib.redirect_stdout(buffer):
            exec(code, namespace)
    except Exception as exc:
        tb = exc.__traceback__
        while tb and tb.tb_frame.f_code.co_filename != code.co_filename:
            tb = tb.tb_next  # drop this runner's frames
        shown = "".join(traceback.format_exception(type(exc), exc, tb or exc.__traceback__))
        printed = f"\nIt printed before failing:\n{buffer.getvalue()}" if buffer.getvalue() else ""
        raise SnippetFailure(f"{block.where}: this block raised\n{shown}{printed}") from None
    return buffer.getvalue()


def _run_shell(block: Block) -> str:
    done = subprocess.run(block.code, shell=True, capture_output=True, text=True,
                          executable="/bin/bash")
    if done.returncode:
        raise SnippetFailure(f"{block.where}: exit status {done.returncode}\n{done.stderr}")
    return done.stdout


def _check_output(block: Block, out: str):
    if block.expected is None:
        if out.strip():
            raise SnippetFailure(
                f"{block.where}: the block prints, but the page shows no output. Add after it:\n"
                f"<!--pytest-codeblocks:expected-output-->\n```text\n{out}```")
        return
    want, got = block.expected, out
    if block.ignore_whitespace:
        same = re.sub(r"\s+", "", want) == re.sub(r"\s+", "", got)
    else:
        same = want.rstrip("\n") == got.rstrip("\n")
    if not same:
        diff = "".join(difflib.unified_diff(
            want.splitlines(keepends=True), got.splitlines(keepends=True),
            f"shown on the page (line {block.expected_line})", "printed now"))
        raise SnippetFailure(f"{block.where}: output differs from the page\n{diff}")


def _check_figures(head: Block, workdir: Path):
    figures = head.path.parent / "figures"
    for made in sorted(p for p in workdir.rglob("*") if p.suffix in IMAGE_SUFFIXES):
        committed = figures / made.name
        if os.environ.get("BOOK_UPDATE_FIGURES"):
            figures.mkdir(exist_ok=True)
            shutil.copyfile(made, committed)
            continue
        if not committed.exists():
            raise SnippetFailure(
                f"{head.where}: writes {made.name}, but {_rel(committed)} is not committed; "
                "run `make figures`, look at it, and commit it")
        if made.suffix == ".png":
            from matplotlib.testing.compare import compare_images
            if problem := compare_images(str(committed), str(made), tol=2):
                raise SnippetFailure(f"{head.where}: {made.name} differs from {_rel(committed)}:"
                                     f" {problem}\n(run `make figures` if the change is intended)")
        elif made.read_bytes() != committed.read_bytes():
            raise SnippetFailure(f"{head.where}: {made.name} differs from {_rel(committed)}")

"""The one reading of a page's code blocks and their test markers, for the tests and for the site.

tests/snippets.py runs what `parse()` finds; hooks/snippets.py labels the same blocks on the page
("输出", "接上段", why a block is not run). Not a hook itself: mkdocs puts hooks/ on sys.path while
it loads the hooks (so they `import blocks`), the tests import it as `hooks.blocks`.

Two steps, each readable alone:

* `lex(text)`: the lines that matter, as tokens: fences (with their code), test markers, tab
  labels (`=== "PyTorch"`), and any other non-blank line (it closes the tabs it is not indented in).
* `parse(path)`: the marker/tab state machine over those tokens: runnable blocks with their
  markers, the tab each sits in, and every misuse as one AuthorError naming file:line.

Then `chains()`: which blocks run together (a `cont` block continues the one before), for each tab
a reader can choose; `reader_chains()`: those one reader runs, in reading order (a notebook's cells).

Fence info strings are an allow-list: a fence either runs (```python, ```sh, ```bash) or is shown
as it is (```text, ```console, ```markdown). Anything else (```py, ```python3.11, ```shell, ```zsh,
{.python}, a bare ```) is an error: a reader would take it for code the tests ran.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

RUNNABLE = {"python", "sh", "bash"}
DISPLAY = {"text", "console", "markdown"}   # the book shows these, never runs them
OUTPUT_MARKERS = {"pytest-codeblocks:expected-output": False,
                  "pytest-codeblocks:expected-output-ignore-whitespace": True}
_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<mark>`{3,}|~{3,})(?P<info>[^`]*)$")
_MARKER = re.compile(r"^[ \t]*<!--\s*(?P<body>pytest[-.].*?)\s*-->[ \t]*$")
_TAB = re.compile(r"""^[ \t]*===(?P<flags>[+!]*)\s+(["'])(?P<label>.*)\2\s*$""")
_SKIP = re.compile(r"""^pytest\.mark\.skip\(\s*reason\s*=\s*(["'])(?P<reason>.*?)\1\s*\)$""")


class AuthorError(Exception):
    """A mistake in the Markdown itself; each line of the message starts with file:line."""


# --- lexing -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Token:
    line: int          # 1-based line in the file
    indent: int        # width of the line's leading whitespace


@dataclass(frozen=True)
class Fence(Token):
    end: int           # line of the closing fence
    mark: str          # "```" or "~~~" (or longer), as written
    info: str
    code: str          # the content, dedented by the fence's own indent

    @property
    def lang(self) -> str:
        return self.info.split()[0] if self.info else ""


@dataclass(frozen=True)
class Marker(Token):
    body: str          # "pytest-codeblocks:cont", 'pytest.mark.skip(reason="…")', …


@dataclass(frozen=True)
class Tab(Token):
    label: str
    new_set: bool      # `===!`: starts a new tab group even right after another one


@dataclass(frozen=True)
class Text(Token):
    pass


def _width(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


def lex(text: str, where: str = "<text>", first_line: int = 1) -> list[Token]:
    """Tokens of every non-blank line outside fences, and one per fence. `where` names the file in
    messages; `first_line` is the file line of text's first line (text may lack front matter)."""
    lines = text.splitlines(keepends=True)
    tokens: list[Token] = []
    i = 0
    while i < len(lines):
        n, line = first_line + i, lines[i]
        if not line.strip():
            i += 1
            continue
        width = _width(line)
        if fence := _FENCE.match(line.rstrip("\n")):
            mark = fence["mark"]
            closing = re.compile(rf"^[ \t]*{re.escape(mark[0])}{{{len(mark)},}}[ \t]*$")
            j = next((k for k in range(i + 1, len(lines)) if closing.match(lines[k].rstrip("\n"))), None)
            if j is None:
                raise AuthorError(f"{where}:{n}: fence {mark}{fence['info'].strip()} is never closed")
            code = "".join(_dedent(lines[k], width) for k in range(i + 1, j))
            tokens.append(Fence(n, width, first_line + j, mark, fence["info"].strip(), code))
            i = j + 1
            continue
        if marker := _MARKER.match(line):
            tokens.append(Marker(n, width, marker["body"]))
        elif tab := _TAB.match(line):
            tokens.append(Tab(n, width, tab["label"], "!" in tab["flags"]))
        else:
            tokens.append(Text(n, width))
        i += 1
    return tokens


def _dedent(line: str, width: int) -> str:
    return line[min(width, _width(line)):]


# --- the marker / tab state machine -------------------------------------------------------------

@dataclass
class Block:
    path: Path
    line: int                   # line of the opening fence
    lang: str
    code: str
    cont: bool = False
    skip: str | None = None     # reason
    expected: str | None = None
    expected_line: int = 0      # line of the fence that shows the output
    ignore_whitespace: bool = False
    tabs: tuple = ()            # ((tab group id, label), ...) from the outermost tab inwards
    where: str = field(default="", repr=False)   # "docs/page.md:12", for messages

    def __post_init__(self):
        self.where = f"{rel(self.path)}:{self.line}"


_START = Path.cwd()   # where the command was started: messages name files relative to it


def rel(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(_START))
    except ValueError:
        return str(path)


@dataclass
class _State:
    """What the parse remembers between tokens."""
    where: str
    blocks: list[Block] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    pending: dict = field(default_factory=dict)     # markers waiting for their fence
    last: Block | None = None     # the runnable block the last non-output fence was (None: prose)
    open_tabs: list[tuple[int, int, str]] = field(default_factory=list)  # (indent, group, label)
    groups: dict[int, list[str]] = field(default_factory=dict)

    def err(self, line: int, message: str):
        self.errors.append(f"{self.where}:{line}: {message}")


Groups = dict[int, list[str]]   # tab group id -> its labels, in page order


def parse(path: Path, text: str | None = None, first_line: int = 1) -> tuple[list[Block], Groups]:
    """The runnable blocks of one Markdown file with their markers, and the labels of each tab
    group; AuthorError on any misuse. `text` (default: the file) may start at `first_line`."""
    s = _State(rel(path))
    text = path.read_text(encoding="utf-8") if text is None else text
    for token in lex(text, s.where, first_line):
        _close_tabs(s, token)
        if isinstance(token, Tab):
            _open_tab(s, token)
        elif isinstance(token, Marker):
            _marker(s, token)
        elif isinstance(token, Fence):
            _fence(s, token, path)
    if s.pending:
        s.err(first_line + text.count("\n"), f"marker(s) {sorted(s.pending)} at the end of the file "
                                             "apply to nothing")
    for b in s.blocks:
        if b.lang in ("sh", "bash") and b.skip is None and b.expected is None:
            s.err(b.line, f"```{b.lang} blocks run in a shell: show their expected-output, or mark "
                          'them <!--pytest.mark.skip(reason="…")--> (or use ```console)')
    if s.errors:
        raise AuthorError("\n".join(s.errors))
    return s.blocks, s.groups


def _close_tabs(s: _State, token: Token):
    # A line indented no deeper than a tab label ends that tab, unless it is the next label of the
    # same group (same indent, no `!`).
    continues = isinstance(token, Tab) and not token.new_set
    while s.open_tabs and (s.open_tabs[-1][0] > token.indent
                           or (s.open_tabs[-1][0] == token.indent and not continues)):
        s.open_tabs.pop()


def _open_tab(s: _State, tab: Tab):
    same_group = s.open_tabs and s.open_tabs[-1][0] == tab.indent
    group = s.open_tabs.pop()[1] if same_group else len(s.groups)
    s.groups.setdefault(group, []).append(tab.label)
    s.open_tabs.append((tab.indent, group, tab.label))


def _marker(s: _State, m: Marker):
    if m.body == "pytest-codeblocks:cont":
        if not (s.last and s.last.lang == "python"):
            s.err(m.line, "`cont` must follow a ```python block (it continues that block)")
        s.pending["cont"] = m.line
    elif m.body in OUTPUT_MARKERS:
        if s.last is None:
            s.err(m.line, "`expected-output` must follow a ```python/```sh/```bash block; after "
                          "any other fence it would never be checked")
        elif s.last.expected is not None:
            s.err(m.line, f"the block at line {s.last.line} already has an expected output")
        s.pending["expected"] = (s.last, OUTPUT_MARKERS[m.body])
    elif skip := _SKIP.match(m.body):
        if not skip["reason"].strip():
            s.err(m.line, "a skipped block needs a reason the reader can see")
        s.pending["skip"] = skip["reason"]
    else:
        s.err(m.line, f"unknown or unsupported marker <!--{m.body}-->; use cont, expected-output "
                      'or pytest.mark.skip(reason="…")')


def _fence(s: _State, f: Fence, path: Path):
    if f.lang not in RUNNABLE | DISPLAY:
        s.err(f.line, f"fence info `{f.info}` is neither run nor a known display language: write "
                      f"```python (or ```bash) to run it, ```text or ```console to show it "
                      f"(known: {', '.join(sorted(RUNNABLE | DISPLAY))})")
    elif f.mark[0] == "~" and f.lang in RUNNABLE:
        s.err(f.line, f"~~~{f.lang} fences are not run by the tests; use ```{f.lang}")
    if "expected" in s.pending:
        target, ignore_ws = s.pending.pop("expected")
        if f.lang not in DISPLAY:
            s.err(f.line, "a shown output is a ```text (or ```console) fence")
        if target is not None:
            target.expected, target.expected_line, target.ignore_whitespace = f.code, f.line, ignore_ws
    elif f.lang in RUNNABLE and f.mark[0] == "`":
        block = Block(path, f.line, f.lang, f.code, cont="cont" in s.pending, skip=s.pending.get("skip"),
                      tabs=tuple((group, label) for _, group, label in s.open_tabs))
        if block.cont and block.skip is not None:
            s.err(f.line, "a `cont` block cannot be skipped on its own; skip the first block of its chain")
        s.blocks.append(block)
        s.last = block
    else:
        for key in ("cont", "skip"):
            if key in s.pending:
                s.err(f.line, f"`{key}` marker before a ```{f.lang or '(no language)'} fence, which is "
                              "not run")
        s.last = None
    s.pending.pop("cont", None)
    s.pending.pop("skip", None)


# --- chains: what runs together, as a reader runs it -----------------------------------------------

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


def reader_chains(blocks: list[Block], group_labels: dict[int, list[str]], choice: str) -> list[list[Block]]:
    """The chains of `chains()` that a reader who chose `choice` runs, in reading order (the code
    cells of that reader's notebook, hooks/notebooks.py; the record of a run, tests/snippets.py)."""
    shown = {g: choice if choice in labels else labels[0] for g, labels in group_labels.items()}
    seen = [b for b in blocks if all(shown[g] == label for g, label in b.tabs)]
    return [chain for _, chain in chains(seen, {g: [label] for g, label in shown.items()})]

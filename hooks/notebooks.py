"""Every page with code, as Jupyter notebooks beside it: one per framework where it has tabs.

Generated at build time from the page's Markdown, never committed: `rnn.md` with PyTorch and
TensorFlow tabs gives `rnn.pytorch.ipynb` and `rnn.tensorflow.ipynb` beside the page, a page
without tabs `<name>.ipynb` (a chapter's index.md: `<chapter folder>.ipynb`).

* Code cells are the chains the snippet tests run, for that tab label, in reading order:
  `reader_chains` over `hooks/blocks.py`'s parse (the one grammar). Each cell's
  metadata names its chain (`book.chain`, the line of its first block) and its block's line:
  tests/test_page_notebooks.py checks them against the chains the last run recorded.
* A block's shown output (its `expected-output` fence) is the cell's stdout; a figure a block
  saves (`plt.savefig("x.png")`) is attached from the committed `figures/x.png`.
* The prose is Markdown cells: formulas as written (Jupyter's MathJax reads `$…$`, `\\tag`),
  the chosen tab's text, admonitions as bold titles (exercises' answers included, with their
  code cells), figures attached (SVG diagrams on white, PNGs), links to the published site.
* A skipped block stays in the text as code with its reason; it is not a code cell.
* A page whose code reads the repository (`Path(__file__)`: examples/data/, the book's own
  pages) starts with a set-up cell that sets `__file__` to the page in the reader's clone.
"""

import base64
import posixpath
import re
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import nbformat
import page_check
from blocks import AuthorError, Fence, Marker, Tab, _close_tabs, _open_tab, _State, lex, parse, reader_chains
from cjk_breaks import _BREAK  # a Chinese line break is no space (as on the page)

ROOT = Path(__file__).resolve().parent.parent

_ADMONITION = re.compile(
    r"""^(?P<indent>[ \t]*)(?:!!!|\?\?\?\+?)\s+(?P<kind>[\w-]+)(?:\s+"(?P<title>[^"]*)")?\s*$""")
_INCLUDE = re.compile(r"""^[ \t]*--8<--\s+"(?P<path>[^"]+)"\s*$""")
_FIGURE = re.compile(r"^[ \t]*</?figure\b[^>]*>[ \t]*$")
_CAPTION = re.compile(r"^(?P<indent>[ \t]*)<figcaption>(?P<text>.*)</figcaption>[ \t]*$")
_ATTRS = re.compile(r"[ \t]*\{:?[ \t]*[#.][^}]*\}[ \t]*$")
_LINK = re.compile(r"(!?)\[((?:[^\[\]]|\[[^\]]*\])*)\]\(([^)\s]+)\)")
_SAVEFIG = re.compile(r"""savefig\(\s*["']([^"']+)["']""")
KINDS = {"note": "注", "tip": "提示", "warning": "注意", "question": "问题", "success": "答案"}


def notebook_name(src_uri: str, choice: str) -> str:
    path = Path(src_uri)
    stem = path.stem if path.stem != "index" else (path.parent.name or "index")
    return f"{stem}.{choice.lower()}.ipynb" if choice else f"{stem}.ipynb"


def on_page_markdown(markdown, page, config, files):
    page.book_notebooks = []
    path = page.file.abs_src_path
    if path is None or not path.endswith(".md") or page_check.other_page(page):
        return markdown
    source = page.file.content_string
    try:
        blocks, groups = parse(Path(path), source)
    except AuthorError:
        return markdown      # hooks/snippets.py reports it
    if not any(b.skip is None for b in blocks):
        return markdown
    choices = sorted({label for labels in groups.values() for label in labels}) or [""]
    base = urljoin(config.site_url or "/", page.url)
    page.book_notebooks_made = []
    for choice in choices:
        nb = _notebook(Path(path), source, blocks, groups, choice, page, files, base)
        name = notebook_name(page.file.src_uri, choice)
        page.book_notebooks.append({"name": name, "label": choice})
        page.book_notebooks_made.append((name, nb))
    return markdown


def on_post_page(output, page, config):
    folder = Path(page.file.abs_dest_path).parent
    for name, nb in getattr(page, "book_notebooks_made", []):
        folder.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(nbformat.writes(nb), encoding="utf-8")
    return output


# --- one notebook -------------------------------------------------------------------------------

def _tabs_of_lines(text: str, where: str) -> dict[int, tuple]:
    """For each line of `text` (1-based), the tabs it sits in: ((group, label), ...), by the same
    state machine that hooks/blocks.py's parse runs. A blank line belongs where the line before it is."""
    s = _State(where)
    out, current = {}, ()
    tokens = lex(text, where)
    for token in tokens:
        _close_tabs(s, token)
        if isinstance(token, Tab):
            _open_tab(s, token)
        current = tuple((g, label) for _, g, label in s.open_tabs)
        end = token.end if isinstance(token, Fence) else token.line
        for n in range(token.line, end + 1):
            out[n] = current
    filled, last = {}, ()
    for n in range(1, text.count("\n") + 2):
        last = out.get(n, last)
        filled[n] = last
    return filled, tokens


def _notebook(path: Path, source: str, blocks, groups, choice, page, files, base):
    where = str(path)
    line_tabs, tokens = _tabs_of_lines(source, where)
    shown = {g: choice if choice in labels else labels[0] for g, labels in groups.items()}
    visible = {n: all(shown[g] == label for g, label in tabs) for n, tabs in line_tabs.items()}
    chains = [c for c in reader_chains(blocks, groups, choice) if c[0].skip is None]   # skipped: text
    cell_of = {b.line: (chain[0].line, b) for chain in chains for b in chain}
    outputs = {b.expected_line: b for b in blocks if b.expected is not None}
    skipped = {b.line: b for b in blocks if b.skip is not None}
    fences = {t.line: t for t in tokens if isinstance(t, Fence)}
    markers = {t.line for t in tokens if isinstance(t, Marker)}
    tab_lines = {t.line for t in tokens if isinstance(t, Tab)}
    lines = source.split("\n")
    first = _body_start(lines)

    cells, text, attachments = [], [], {}
    stack: list[int] = []             # indents of open containers (tabs, admonitions)
    joinable = math = False           # the last line is prose (outside display math)

    def flush():
        chunk = "\n".join(text).strip("\n")
        text.clear()
        if chunk.strip():
            cell = nbformat.v4.new_markdown_cell(_dedent(chunk))
            used = {k: v for k, v in attachments.items() if f"attachment:{k}" in cell.source}
            if used:
                cell.attachments = used
            cells.append(cell)

    n = first
    while n <= len(lines):
        line = lines[n - 1]
        if not line.strip():
            text.append("")
            joinable = False
            n += 1
            continue
        indent = len(line) - len(line.lstrip(" \t"))
        while stack and indent <= stack[-1]:
            stack.pop()
        shift = 4 * len(stack)
        end = fences[n].end if n in fences else n
        if not visible.get(n, True) or n in markers:
            n = end + 1
            continue
        if n in tab_lines:
            stack.append(indent)
            n += 1
            continue
        if n in cell_of:
            flush()
            head, block = cell_of[n]
            cells.append(_code_cell(block, head, path))
        elif n in outputs and outputs[n].skip is None:
            pass                                  # the output of the cell before it
        elif n in skipped:
            code = [_strip(lines[k - 1], shift) for k in range(n, end + 1)]
            text += [*code, "", f"*此代码块不在测试中运行：{skipped[n].skip}*"]
        elif n in fences:
            text += [_strip(lines[k - 1], shift) for k in range(n, end + 1)]
        elif m := _ADMONITION.match(line):
            title = m["title"] if m["title"] is not None else KINDS.get(m["kind"], m["kind"])
            text += [f"{_strip(m['indent'], shift)}**{title}**" if title else "", ""]
            stack.append(indent)
        elif _FIGURE.match(line):
            pass
        elif m := _INCLUDE.match(line):
            name, data = _svg(ROOT / "docs" / m["path"])
            attachments[name] = {"image/svg+xml": data}
            alt = _svg_title(ROOT / "docs" / m["path"])
            text.append(f"{_strip(line[:indent], shift)}![{alt}](attachment:{name})")
        elif m := _CAPTION.match(line):
            text += ["", f"{_strip(m['indent'], shift)}*{m['text'].strip()}*"]
        else:
            prose = _prose(_strip(line, shift), page, files, base, path, attachments)
            math ^= prose.strip().startswith("$$") and prose.strip().count("$$") == 1
            if joinable and _BREAK.search(text[-1][-1:] + "\n" + prose.lstrip()[:1]):
                text[-1] += prose.lstrip()       # a line break between two Chinese characters
            else:
                text.append(prose)
            joinable = not math
            n = end + 1
            continue
        joinable = False
        n = end + 1
    flush()

    label = f"（{choice} 标签页）" if choice else ""
    intro = (f"本笔记本由本书的页面 [{page.title}]({base}) 在构建时生成{label}："
             "代码单元就是测试逐段运行的代码（练习的参考答案也在内），每个单元下的输出就是页面上显示、测试核对过的输出。"
             "在本书仓库的 `.venv` 中依次运行全部单元，得到的就是这些输出。")
    front = [nbformat.v4.new_markdown_cell(intro)]
    if any("__file__" in b.code for chain in chains for b in chain):
        front.append(_setup_cell(path))
    nb = nbformat.v4.new_notebook(cells=front + cells)
    nb.metadata.update({
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"},
        "book": {"page": _rel(path), "tab": choice, "url": base}})
    return nb


def _body_start(lines: list[str]) -> int:
    """The first line after the front matter (1-based)."""
    if lines and lines[0].strip() == "---":
        for k in range(1, len(lines)):
            if lines[k].strip() in ("---", "..."):
                return k + 2
    return 1


def _strip(line: str, width: int) -> str:
    lead = len(line) - len(line.lstrip(" \t"))
    return line[min(lead, width):]


def _dedent(chunk: str) -> str:
    lines = chunk.split("\n")
    lead = min((len(x) - len(x.lstrip(" ")) for x in lines if x.strip()), default=0)
    return "\n".join(x[lead:] for x in lines)


def _rel(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def _code_cell(block, head: int, path: Path):
    source = block.code.rstrip("\n")
    if block.lang in ("sh", "bash"):
        source = "%%bash\n" + source
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["book"] = {"chain": head, "line": block.line}
    if block.expected is not None:
        cell.outputs.append(nbformat.v4.new_output("stream", name="stdout", text=block.expected))
    for name in _SAVEFIG.findall(block.code):
        figure = path.parent / "figures" / Path(name).name
        if figure.suffix == ".png" and figure.exists():
            data = base64.b64encode(figure.read_bytes()).decode()
            cell.outputs.append(nbformat.v4.new_output("display_data", data={"image/png": data,
                                                                             "text/plain": name}))
    return cell


def _setup_cell(path: Path):
    page = _rel(path)
    code = f'''# 本页的代码用 __file__（页面自己的路径）找到仓库里的文件（examples/data/、docs/）。
# 在 Jupyter 里它指向本书仓库中的这一页：在仓库里任意位置打开本笔记本即可。
from pathlib import Path

for _folder in [Path.cwd(), *Path.cwd().parents]:
    if (_folder / "{page}").is_file() and (_folder / "mkdocs.yml").is_file():
        __file__ = str(_folder / "{page}")
        break
else:
    raise FileNotFoundError("本页的代码读取本书仓库中的文件：请在本书仓库（git clone）里打开本笔记本")'''
    cell = nbformat.v4.new_code_cell(code)
    cell.metadata["book"] = {"setup": True}
    return cell


def _svg(path: Path) -> tuple[str, str]:
    """An SVG diagram as an attachment: drawn in currentColor, so on white with black ink."""
    svg = path.read_text(encoding="utf-8")
    svg = re.sub(r"<svg\b", '<svg style="color:#000;background:#fff"', svg, count=1)
    return path.name, base64.b64encode(svg.encode()).decode()


def _svg_title(path: Path) -> str:
    m = re.search(r"<title[^>]*>(.*?)</title>", path.read_text(encoding="utf-8"), re.S)
    return re.sub(r"[\[\]\s]+", " ", m[1]).strip() if m else path.stem


def _prose(line: str, page, files, base: str, path: Path, attachments: dict) -> str:
    line = _ATTRS.sub("", line)

    def link(m):
        bang, text, target = m[1], m[2], m[3]
        if bang and not re.match(r"^[a-z]+:", target):
            image = (path.parent / target).resolve()
            if image.is_file():
                kind = {".png": "image/png", ".svg": "image/svg+xml", ".jpg": "image/jpeg"}.get(image.suffix)
                if kind:
                    attachments[image.name] = {kind: base64.b64encode(image.read_bytes()).decode()}
                    return f"![{text}](attachment:{image.name})"
        return f"{bang}[{text}]({_absolute(target, page, files, base)})"

    return _LINK.sub(link, line)


def _absolute(target: str, page, files, base: str) -> str:
    """A link as it works from a downloaded notebook: to the published site."""
    if re.match(r"^[a-z][a-z0-9+.-]*:", target):
        return target
    if target.startswith("#"):
        return base + target
    parts = urlsplit(target)
    src = posixpath.normpath(posixpath.join(posixpath.dirname(page.file.src_uri), parts.path))
    file = files.get_file_from_path(src)
    url = _site(base, page) + file.url if file is not None else urljoin(base, parts.path)
    return url + (f"#{parts.fragment}" if parts.fragment else "")


def _site(base: str, page) -> str:
    """The site's root URL, from the page's absolute URL and its path in the site."""
    return base[: len(base) - len(page.url)] if page.url and base.endswith(page.url) else base

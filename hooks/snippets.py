"""Turn the snippet-test markers in the Markdown into what a reader should see.

The markers are read by hooks/blocks.py, the same parse tests/snippets.py runs, so a page shows
exactly what the tests checked. Before Markdown is rendered:

* a fence the tests compare with a block's output gets the title "输出";
* a block that continues the one before it (`cont`) gets the title "接上段";
* a skipped block is preceded by a visible note giving the reason it is not run;
* every marker line disappears.

A page the parse rejects is logged as an error with file:line, which fails a strict build (as the
tests would); under `mkdocs serve` (or a one-page check, hooks/page_check.py) the page also shows it.
"""

import html
import logging
from pathlib import Path

import page_check
from blocks import AuthorError, Fence, Marker, lex, parse  # hooks/blocks.py (mkdocs puts hooks/ on sys.path)

log = logging.getLogger("mkdocs.hooks.snippets")
_serving = {"now": False}


def on_startup(command, dirty):
    _serving["now"] = command == "serve"


def on_config(config):
    # Showing errors instead of stopping: an include (`--8<--`) that is missing would stop the
    # build from inside Markdown; tests/page_checks.py checks the includes of the page it checks.
    if _serving["now"] or page_check.PAGE:
        config.mdx_configs.setdefault("pymdownx.snippets", {})["check_paths"] = False
    page_check.configure(config)
    return config


def on_page_markdown(markdown, page, config, files):
    path = page.file.abs_src_path
    if path is None or not path.endswith(".md"):
        return markdown
    source = page.file.content_string
    # mkdocs hands over the page without its front matter: number lines as in the file.
    first = source[: len(source) - len(markdown)].count("\n") + 1 if source.endswith(markdown) else 1
    try:
        blocks, _ = parse(Path(path), markdown, first)
    except AuthorError as err:
        log.error("%s", err)   # a strict build (make build, make test) stops on it when done
        if not (_serving["now"] or page_check.PAGE):
            return markdown
        return f'!!! failure "测试标记有误"\n\n    ```text\n{_indent(str(err))}\n    ```\n\n' + markdown
    lines = markdown.split("\n")
    titles = {b.expected_line: "输出" for b in blocks if b.expected is not None}
    titles |= {b.line: "接上段" for b in blocks if b.cont}
    notes = {b.line: b.skip for b in blocks if b.skip is not None}
    tokens = lex(markdown, first_line=first)
    drop = {t.line for t in tokens if isinstance(t, Marker)}
    # A one-page check reads the other pages for their anchors: their code need not be highlighted.
    plain = ({t.line: t.lang for t in tokens if isinstance(t, Fence) and t.lang}
             if page_check.other_page(page) else {})
    out = []
    for n, line in enumerate(lines, start=first):
        if n in drop:
            continue
        if n in notes:
            indent, reason = line[: len(line) - len(line.lstrip())], html.escape(notes[n])
            out.append(f'{indent}<p class="snippet-skipped">此代码块不在测试中运行：{reason}</p>')
            out.append("")
        if n in titles and "title=" not in line:
            line = f'{line.rstrip()} title="{titles[n]}"'
        if n in plain:
            line = line.replace(plain[n], "text", 1)
        out.append(line)
    return "\n".join(out)


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.splitlines())

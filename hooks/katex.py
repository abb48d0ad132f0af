"""Render every formula with KaTeX at build time, and fail the build on one that does not parse.

Authors write `$...$` and `$$...$$`; pymdownx.arithmatex (generic mode) turns them into
`<span|div class="arithmatex">` elements. A small Markdown tree-processor, registered here, replaces
each one with KaTeX's HTML (+MathML for screen readers) from pykatex, so a page ships no math
JavaScript, only the self-hosted KaTeX CSS and fonts. A display formula with `\\tag{3.1}` gets
`id="eq-3.1"`, so `[式 (3.1)](#eq-3.1)` links to it and mkdocs' anchor validation knows the id.

Every formula is rendered (and so checked) while the Markdown is converted, but its HTML goes into
the page only in `on_post_page`: until then the element holds its TeX, which is what the search
index gets. KaTeX's markup is most of a page's bytes; indexing it cost seconds per build and filled
the index with glyph soup.

Example pages (notebooks rendered by mkdocs-jupyter) bypass Markdown; their `$...$` are rendered in
`on_page_content` instead.
"""

import html
import logging
import os
import re

import pykatex
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor
from mkdocs.exceptions import PluginError

_current = {"page": None}  # the page being rendered, for error messages
# Rendered formulas, by (tex, display). mkdocs loads a hook module once per process, so under
# `mkdocs serve` an edit re-renders only what changed (~1.7 ms a formula, ~1,100 in the book).
# Failures are not cached.
_CACHE: dict[tuple[str, bool], str] = {}


def render(tex: str, display: bool) -> str:
    """KaTeX HTML for one formula; raises ValueError with KaTeX's message if it does not parse."""
    if (tex, display) not in _CACHE:
        try:
            _CACHE[tex, display] = pykatex.renderToString(
                tex, displayMode=display, throwOnError=True, strict="error")
        except Exception as err:  # pykatex.ParseError, or a strict-mode error
            raise ValueError(str(err)) from None
    return _CACHE[tex, display]


def equation_id(tex: str) -> str | None:
    tag = re.search(r"\\tag\*?\{([^}]*)\}", tex)
    return "eq-" + re.sub(r"\s+", "", tag.group(1)) if tag else None


def fail(tex: str, message: str) -> str:
    """Stop the build, naming the source file and the line where the formula starts. Under
    `mkdocs serve` (or BOOK_SHOW_ERRORS=1) log it and show it in the page instead, in the formula's
    place: a server stopped by an exception leaves the browser waiting until the file is fixed."""
    page = _current["page"]
    where, line = "?", 1
    if page is not None:
        where = os.path.relpath(page.file.abs_src_path)
        source = page.file.content_string
        if page.file.src_uri.startswith("examples/"):   # a notebook: name the script it is made from
            where = page.file.src_uri
            with open(os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), where),
                      encoding="utf-8") as script:
                source = script.read()
        first = tex.strip().splitlines()[0].strip() if tex.strip() else tex
        pos = source.find(first)
        line = source.count("\n", 0, pos) + 1 if pos >= 0 else 1
    error = f"{where}:{line}: formula does not parse: {message}\n    {tex.strip()}"
    if not (_show_errors["now"] or os.environ.get("BOOK_SHOW_ERRORS")):
        raise PluginError(error)
    logging.getLogger("mkdocs.hooks.katex").error(error)
    shown = f'<strong class="book-error" style="color:#d32f2f">{html.escape(error)}</strong>'
    _CACHE[tex, True] = _CACHE[tex, False] = shown  # what on_post_page puts in its place
    return shown


_show_errors = {"now": False}


def on_startup(command, dirty):
    _show_errors["now"] = command == "serve"


class _KatexTreeprocessor(Treeprocessor):
    def run(self, root):
        for heading in (el for el in root.iter() if el.tag in {"h1", "h2", "h3", "h4", "h5", "h6"}):
            if any("arithmatex" in (e.get("class") or "") for e in heading.iter()):
                fail(heading[0].text or "", "no formulas in headings: they garble the anchor "
                     "and the table of contents; put the formula in the text below")
        for el in root.iter():
            if "arithmatex" not in (el.get("class") or "").split():
                continue
            text = el.text or ""
            display = text.startswith("\\[")
            tex = html.unescape(text[2:-2])  # arithmatex escaped &<>"; strip \( \) or \[ \]
            try:
                render(tex, display)  # checked now, placed by on_post_page
            except ValueError as err:
                fail(tex, str(err))
            el.text = self.md.htmlStash.store(html.escape(tex, quote=False))
            el.set("class", "math-display" if display else "math-inline")
            if display and (eq := equation_id(tex)):
                el.set("id", eq)


class KatexExtension(Extension):
    def extendMarkdown(self, md):
        # after arithmatex has built the elements, before mkdocs collects anchor ids (priority 5)
        md.treeprocessors.register(_KatexTreeprocessor(md), "katex", 6)


def on_config(config):
    config.markdown_extensions.append(KatexExtension())
    return config


def on_page_markdown(markdown, page, config, files):
    _current["page"] = page
    return markdown


_PLACED = re.compile(r'(<(span|div) class="math-(inline|display)"[^>]*>)([^<]*)(</\2>)')


def on_post_page(output, page, config):
    """Put each formula's KaTeX HTML (rendered above, so from the cache) in place of its TeX."""
    return _PLACED.sub(lambda m: m[1] + render(html.unescape(m[4]), m[3] == "display") + m[5], output)


# --- notebook pages -------------------------------------------------------------------------
# nbconvert leaves math in Markdown cells as literal, HTML-escaped `$$...$$` / `$...$` text.
_NB_DISPLAY = re.compile(r"\$\$(.+?)\$\$", re.S)
_NB_INLINE = re.compile(r"(?<![\\$])\$(?!\$)([^$\n]+?)(?<!\\)\$")
_NB_MARKDOWN_CELL = re.compile(
    r'(<div class="[^"]*jp-RenderedMarkdown[^"]*"[^>]*>)(.*?)(</div>)', re.S)


def _render_nb_cell(match):
    def sub(display):
        def one(m):
            tex = html.unescape(m.group(1))
            try:
                out = render(tex, display)
            except ValueError as err:
                out = fail(tex, str(err))
            eq = equation_id(tex) if display else None
            tag, cls = ("div", "math-display") if display else ("span", "math-inline")
            id_attr = f' id="{eq}"' if eq else ""
            return f'<{tag} class="{cls}"{id_attr}>{out}</{tag}>'
        return one
    body = _NB_DISPLAY.sub(sub(True), match.group(2))
    body = _NB_INLINE.sub(sub(False), body)
    return match.group(1) + body + match.group(3)


def on_page_content(html_text, page, config, files):
    if page.file.src_uri.startswith("examples/"):
        _current["page"] = page
        html_text = _NB_MARKDOWN_CELL.sub(_render_nb_cell, html_text)
    return html_text

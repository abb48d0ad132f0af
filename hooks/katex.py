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

Example pages (notebooks rendered by mkdocs-jupyter) bypass Markdown; their `$...$` are checked in
`on_page_content` instead, and placed the same way.

Two things KaTeX would do that a reader should not meet:

* An equation number (`\\tag`) is pinned by KaTeX to the right edge of the formula's own box: on
  a formula wider than the column it covers the last terms, and it scrolls away with the formula.
  So a numbered formula is drawn without its tag, in a box that scrolls sideways on its own, and
  the number is a separate element beside that box (book.css: it wraps below the formula when
  both do not fit on one line). Screen readers still hear the number: the MathML (KaTeX's copy
  for them) is that of the tagged formula, and the visible number is aria-hidden.
* A line may break between inline math and the Chinese punctuation after it (a line starting
  with "，"). The formula and that punctuation are wrapped in one `math-nobreak` span, an
  inline-block (book.css): Chromium breaks after KaTeX's inline-blocks whatever the white-space
  or word joiner around them, but not inside an inline-block that fits on the line.

`readable(tex)` gives a formula as plain text a reader can read (`y = ϕ(xW+b)`), for the search
index (hooks/search_index.py).
"""

import html
import logging
import os
import re
import sys
import xml.etree.ElementTree as ET

import page_check  # hooks/page_check.py (mkdocs puts hooks/ on sys.path to load a hook)
import pykatex
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor
from mkdocs.exceptions import PluginError

# mkdocs loads this file as the module "hooks/katex.py"; hooks/search_index.py does `import katex`.
# One module under both names, so the cache of rendered formulas exists once.
sys.modules.setdefault("katex", sys.modules[__name__])

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


_TAG = re.compile(r"\\tag(\*?)\{([^}]*)\}")


def equation_id(tex: str) -> str | None:
    tag = _TAG.search(tex)
    return "eq-" + re.sub(r"\s+", "", tag.group(2)) if tag else None


def display(tex: str) -> str:
    """A display formula's content: the formula in its own scrolling box (focusable, so a keyboard
    can scroll it), and its number, if it has one, beside that box instead of on it."""
    tagged = render(tex, True)
    tag = _TAG.search(tex)
    if 'class="katex-mathml"' not in tagged:  # an error shown in the page (`make serve`)
        return tagged
    number = ""
    if tag:
        plain = render(_TAG.sub("", tex, count=1), True)
        # KaTeX's output is <span class="katex-display"><span class="katex">MATHML HTML</span></span>
        mathml = re.search(r'<span class="katex-mathml">.*?</math></span>', tagged, re.S)
        shown = re.search(r'<span class="katex-mathml">.*?</math></span>', plain, re.S)
        if not (mathml and shown):
            raise PluginError("hooks/katex.py: KaTeX's output changed (no katex-mathml span)")
        tagged = plain[:shown.start()] + mathml[0] + plain[shown.end():]
        text = html.escape(tag.group(2).strip())
        number = (f'<span class="math-number" aria-hidden="true">'
                  f'{text if tag.group(1) else f"({text})"}</span>')
    return f'<div class="math-scroll" tabindex="0">{tagged}</div>{number}'


# --- formulas as text, for the search index -------------------------------------------------------
_MATHML = "{http://www.w3.org/1998/Math/MathML}"
_SUPERSCRIPT = str.maketrans("0123456789+-−=()niT⊤′*", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁻⁼⁽⁾ⁿⁱᵀᵀ′*")
_SUBSCRIPT = str.maketrans("0123456789+-−=()aehijklmnoprstuvx", "₀₁₂₃₄₅₆₇₈₉₊₋₋₌₍₎ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ")
_RELATIONS = set("=<>≤≥≈≠≡∈∉⊂⊆→←↦⇒⇔∝∼≃:")
_ACCENTS = {"^": "\u0302", "ˆ": "\u0302", "~": "\u0303", "˜": "\u0303", "¯": "\u0304",
            "‾": "\u0305", "→": "\u20d7", "˙": "\u0307", "¨": "\u0308"}


def _script(text: str, table: dict, mark: str) -> str:
    """A sub- or superscript: in Unicode's small letters when each character has one, else `_x`."""
    text = text.replace(" ", "")
    if all(ord(c) in table for c in text):
        return text.translate(table)
    return f"{mark}{text}" if len(text) == 1 else f"{mark}({text})"


def _grouped(text: str) -> str:
    return text if len(text) <= 1 or re.fullmatch(r"[\w.]+", text) else f"({text})"


def _linear(el) -> str:
    """One MathML element as linear text: fractions a/b, scripts as Unicode where there is one."""
    tag = el.tag.removeprefix(_MATHML)
    kids = list(el)
    if tag == "annotation":
        return ""
    if tag in {"mi", "mn", "mtext", "ms"}:
        return el.text or ""
    if tag == "mo":
        op = (el.text or "").strip()
        return f" {op} " if op in _RELATIONS else op
    if tag == "mspace":
        return " "
    if tag in {"mphantom"}:
        return ""
    parts = [_linear(k) for k in kids]
    if tag == "mfrac" and len(parts) == 2:
        return f"{_grouped(parts[0].strip())}/{_grouped(parts[1].strip())}"
    if tag == "msqrt":
        return f"√({''.join(parts).strip()})"
    if tag == "mroot" and len(parts) == 2:
        return f"{_script(parts[1], _SUPERSCRIPT, '^')}√({parts[0].strip()})"
    if tag in {"msub", "munder"} and len(parts) == 2:
        return parts[0] + _script(parts[1].strip(), _SUBSCRIPT, "_")
    if tag in {"msup", "mover"} and len(parts) == 2:
        if tag == "mover" and parts[1].strip() in _ACCENTS:
            return parts[0] + _ACCENTS[parts[1].strip()]
        return parts[0] + _script(parts[1].strip(), _SUPERSCRIPT, "^")
    if tag in {"msubsup", "munderover"} and len(parts) == 3:
        return (parts[0] + _script(parts[1].strip(), _SUBSCRIPT, "_")
                + _script(parts[2].strip(), _SUPERSCRIPT, "^"))
    if tag == "mtd":
        return "".join(parts).strip()
    if tag == "mtr":
        return " ".join(p for p in parts if p)
    if tag == "mtable":
        return "；".join(p for p in parts if p)
    return "".join(parts)


def readable(tex: str, display_mode: bool = False) -> str:
    """A formula as one line of plain text (from KaTeX's MathML): what the search index shows."""
    out = render(tex, display_mode)
    mathml = re.search(r"<math\b.*?</math>", out, re.S)
    if not mathml:
        return tex
    try:
        text = _linear(ET.fromstring(mathml[0]))
    except ET.ParseError:
        return tex
    return re.sub(r"\s+", " ", text.replace("\u2061", " ")).strip()  # U+2061: after "log"


def fail(tex: str, message: str) -> str:
    """Stop the build, naming the source file and the line where the formula starts. Under
    `mkdocs serve` (or a one-page check) log it and show it in the page instead, in the formula's
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
    if not (_show_errors["now"] or page_check.PAGE):
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
        # A one-page check builds the other pages for their anchors (ids kept), not their formulas.
        check = _current["page"] is None or not page_check.other_page(_current["page"])
        for el in root.iter():
            if "arithmatex" not in (el.get("class") or "").split():
                continue
            text = el.text or ""
            display = text.startswith("\\[")
            tex = html.unescape(text[2:-2])  # arithmatex escaped &<>"; strip \( \) or \[ \]
            try:
                if check:
                    render(tex, display)  # checked now, placed by on_post_page
            except ValueError as err:
                fail(tex, str(err))
            el.text = self.md.htmlStash.store(html.escape(tex, quote=False))
            el.set("class", "math-display" if display else "math-inline")
            if display and (eq := equation_id(tex)):
                el.set("id", eq)
        _keep_punctuation_with_math(root)


# Chinese punctuation that must not start a line (避头): kept on the line of the math before it.
_CLOSING = re.compile(r"[，。、；：？！）」』”’》〉】〕]+")


def _keep_punctuation_with_math(root):
    """`$x$，` -> <span class="math-nobreak"><span class="math-inline">x</span>，</span>."""
    parents = {child: parent for parent in root.iter() for child in parent}
    for el in [e for e in root.iter() if e.get("class") == "math-inline"]:
        punctuation = _CLOSING.match(el.tail or "")
        if not punctuation or el not in parents:
            continue
        parent = parents[el]
        wrapper = ET.Element("span", {"class": "math-nobreak"})
        wrapper.tail = el.tail[punctuation.end():]
        el.tail = punctuation[0]
        parent.insert(list(parent).index(el), wrapper)
        parent.remove(el)
        wrapper.append(el)


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
    if page_check.other_page(page):
        return output
    def place(m):
        tex = html.unescape(m[4])
        return m[1] + (display(tex) if m[3] == "display" else render(tex, False)) + m[5]
    return _PLACED.sub(place, output)


# --- notebook pages -------------------------------------------------------------------------
# nbconvert leaves math in Markdown cells as literal, HTML-escaped `$$...$$` / `$...$` text.
_NB_DISPLAY = re.compile(r"\$\$(.+?)\$\$", re.S)
_NB_INLINE = re.compile(r"(?<![\\$])\$(?!\$)([^$\n]+?)(?<!\\)\$")
_NB_MARKDOWN_CELL = re.compile(
    r'(<div class="[^"]*jp-RenderedMarkdown[^"]*"[^>]*>)(.*?)(</div>)', re.S)


_NB_CLOSING = re.compile(r'(<span class="math-inline">[^<]*</span>)(' + _CLOSING.pattern + ")")


def _render_nb_cell(match):
    """Check each formula now (the page is known), leave its TeX for on_post_page to place, as the
    Markdown pages do: the search index then reads the same thing on both kinds of page."""
    def sub(display_mode):
        def one(m):
            tex = html.unescape(m.group(1))
            try:
                render(tex, display_mode)
            except ValueError as err:
                fail(tex, str(err))
            eq = equation_id(tex) if display_mode else None
            tag, cls = ("div", "math-display") if display_mode else ("span", "math-inline")
            id_attr = f' id="{eq}"' if eq else ""
            return f'<{tag} class="{cls}"{id_attr}>{html.escape(tex, quote=False)}</{tag}>'
        return one
    body = _NB_DISPLAY.sub(sub(True), match.group(2))
    body = _NB_INLINE.sub(sub(False), body)
    body = _NB_CLOSING.sub(r'<span class="math-nobreak">\1\2</span>', body)
    return match.group(1) + body + match.group(3)


def on_page_content(html_text, page, config, files):
    if page.file.src_uri.startswith("examples/") and not page_check.other_page(page):
        _current["page"] = page
        html_text = _NB_MARKDOWN_CELL.sub(_render_nb_cell, html_text)
    return html_text

"""Promise: every formula reaches the reader as KaTeX HTML made at build time, never as raw TeX."""

import re

# Code (with mkdocs-jupyter's hidden copy of each cell's source, for its copy button), and the
# MathML copy of each formula (its <annotation> holds the TeX source, on purpose).
_CODE = re.compile(r"<(pre|code|script|style|textarea|math)\b.*?</\1>"
                   r'|<div class="clipboard-copy-txt"[^>]*>[^<]*</div>', re.S)
_TAGS = re.compile(r"<[^>]+>")
# What TeX looks like when nothing rendered it.
_RAW_TEX = re.compile(r"\$\$|\\\(|\\\)|\\\[|\\\]|\\begin\{|\$[^$\s][^$<]*\\[A-Za-z]+[^$<]*\$")


def _visible_text(html: str) -> str:
    return _TAGS.sub(" ", _CODE.sub(" ", html))


def test_no_raw_tex_left(pages):
    found = [f"{page}: …{m.group(0)[:60]}…" for page, html in sorted(pages.items())
             for m in _RAW_TEX.finditer(_visible_text(html))]
    assert not found, "formulas left as raw TeX:\n" + "\n".join(found)


def test_every_formula_is_rendered_with_mathml(pages):
    problems = []
    for page, html in sorted(pages.items()):
        wrappers = len(re.findall(r'class="math-(?:inline|display)"', html))
        katex = html.count('<span class="katex">')
        mathml = html.count("<math")
        if "katex-error" in html or 'class="arithmatex"' in html:
            problems.append(f"{page}: an unrendered or failed formula")
        if not wrappers == katex == mathml:
            problems.append(f"{page}: {wrappers} formulas, {katex} KaTeX renderings, {mathml} MathML")
    assert not problems, "\n".join(problems)


def test_numbered_formulas_have_unique_anchors(pages):
    for page, html in pages.items():
        ids = re.findall(r'class="math-display" id="(eq-[^"]+)"', html)
        assert len(ids) == len(set(ids)), f"{page}: duplicate equation numbers {sorted(ids)}"


def test_pages_need_no_math_javascript(pages):
    for page, html in pages.items():
        assert not re.search(r"<script[^>]*(katex|mathjax|MathJax)", html), page


def test_the_checks_see_formulas(pages):
    # Guard: the book has formulas, and the chapter 1.1 page renders its three numbered ones.
    html = pages["ch1-background/definition/index.html"]
    assert {"eq-1.1.1", "eq-1.1.2", "eq-1.1.3"} <= set(re.findall(r'id="(eq-[^"]+)"', html))
    assert _RAW_TEX.search(_visible_text("<p>$$x$$ and $\\alpha$</p>"))
    assert _RAW_TEX.search(_visible_text("<p>\\begin{aligned}x</p>"))
    assert not _RAW_TEX.search(_visible_text('<div class="clipboard-copy-txt" id="c">"$\\alpha$"</div>'))
    assert not _RAW_TEX.search(_visible_text('<math><annotation encoding="application/x-tex">\\begin{aligned}'
                                             "</annotation></math>"))

"""Promise: every page meets WCAG 2.1 AA as axe-core checks it, in light and dark, at 375 and 1280 px.

axe-core (pinned in bench/package-lock.json, installed by `make` into bench/node_modules) runs in
headless chromium on every built page, four ways, with zero violations allowed. What each way
checks is what can differ in it (RULES). Each page is loaded once and audited four ways in turn
(the palette's scheme switched, the window resized); a few pages at a time, each in its own
browser context, in one browser:

* light, 1280 px: every WCAG 2.0/2.1 A and AA rule, on the whole page;
* dark, 1280 px: the colour rules (contrast, links told apart from text), on the whole page: the
  dark scheme changes colours and nothing else;
* light, 375 px: on the whole page, what depends on the width (which boxes scroll and can be
  reached by keyboard); on the header, which is the one part built differently for a phone (its
  buttons; the navigation becomes a drawer, closed, hidden), every rule;
* dark, 375 px: the colour rules on the header (the text of the page has the same colours at
  every width: book.css and Material change sizes with the width, never colours).

axe-core walks the whole document on every run, whatever it is told to leave out, so what no rule
judges is taken out of the page first (`_LIGHTEN_JS`), the layout kept to the pixel (checked):

* KaTeX's visual copy of each formula (`.katex-html`, aria-hidden; screen readers read its MathML,
  which is audited) is not audited: its glyphs take the colour of the text around them
  (test_no_formula_sets_its_own_colour). Each unbreakable run of it (`.base`) becomes one empty box
  of its size on its baseline (thousands of glyph spans per chapter-3 page, walked by every run).
* A code block's tokens are judged by their colours: of the tokens drawn alike (their colour and
  everything behind them, in light and in dark) each page keeps the first, and the rest become
  plain text of their code block (which stays audited).
* The MathML is audited by the first run (every rule); invisible and out of the flow, it is removed
  before the colour and layout runs, which would only walk it.

Before the audit every text block is laid out (book.css defers those below the first screen), so
the audit sees the page as a reader who scrolled through it. Without Node's axe-core the test is
skipped with a warning locally and fails under CI (env CI set). BOOK_BROWSER_SITE=/path/to/site
audits a site built elsewhere (as tests/test_browser.py does).
"""

import asyncio
import os
import re
import warnings
from pathlib import Path

import pytest

from tests.browser_support import chromium_missing, launch, serve
from tests.conftest import ROOT
from tests.test_browser import PAGES

pytestmark = pytest.mark.browser

AXE = ROOT / "bench" / "node_modules" / "axe-core" / "axe.min.js"
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
COLOUR = ["color-contrast", "link-in-text-block"]
# (scheme, width) -> [(what to audit: "page" or a selector, which rules: None for every WCAG rule)]
LAYOUT = ["scrollable-region-focusable"]
RULES = {
    ("light", 1280): [("page", None)],
    ("dark", 1280): [("page", COLOUR)],
    ("light", 375): [("page", LAYOUT), ("header", None)],
    ("dark", 375): [("header", COLOUR)],
}
assert next(iter(RULES)) == ("light", 1280), "the every-rule audit comes first: it alone sees the MathML"
# Pages audited at once, each in its own browser context: one more than the cores (one waits on I/O).
PARALLEL = len(os.sched_getaffinity(0)) + 1

_AUDIT_JS = """async ([scope, rules, wcag]) => {
  const options = {resultTypes: ["violations"],
                   runOnly: rules === null ? {type: "tag", values: wcag} : {type: "rule", values: rules}};
  const include = scope === "page" ? [["html"]] : [[scope]];  // the page, or a part of it
  const result = await axe.run({include, exclude: [[".katex-html"]]}, options);
  return result.violations.map((v) => `${v.id} (${v.impact}): ${v.nodes.length}× e.g. `
    + v.nodes.slice(0, 2).map((n) => `${n.target.join(" ")}: ${n.failureSummary.split("\\n").pop().trim()}`)
        .join(" | "));
}"""


# What overrides/partials/palette.html does on a click: no colour transitions while switching.
_SET_SCHEME = """(scheme) => {
    document.body.setAttribute("data-md-color-switching", "");
    document.body.setAttribute("data-md-color-scheme", scheme);
    document.body.offsetHeight;  // restyled now, without transitions
    document.body.removeAttribute("data-md-color-switching");
  }"""


# Runs in the page before the audit: what no rule judges taken out (see the module's docstring).
# Returns what went wrong; nothing when the layout did not move.
_LIGHTEN_JS = """() => {
  // KaTeX: each .base becomes an empty box of its size, on its baseline (a probe's bottom).
  const rect = (el) => el.getBoundingClientRect();
  const bases = [...document.querySelectorAll(".katex-html > .base")];
  const before = bases.map(rect), height = document.documentElement.scrollHeight;
  const probes = bases.map((base) => {
    const probe = base.appendChild(document.createElement("span"));
    probe.style.cssText = "display:inline-block;width:0;height:0";
    return probe;
  });
  const baselines = probes.map((probe) => rect(probe).bottom);
  bases.forEach((base, i) => {
    const box = document.createElement("span"), r = before[i];
    box.style.cssText = `display:inline-block;width:${r.width}px;height:${r.height}px;`
      + `vertical-align:${baselines[i] - r.bottom}px`;
    base.replaceChildren(box);
  });
  const problems = [];
  bases.forEach((base, i) => {
    const [a, b] = [before[i], rect(base)];
    if (["x", "y", "width", "height"].some((k) => Math.abs(a[k] - b[k]) > 0.5))
      problems.push(`a formula's stand-in moved it: ${base.closest(".katex").textContent.slice(0, 60)}`);
  });
  if (height !== document.documentElement.scrollHeight) problems.push("the formula stand-ins moved the page");
  window.bookMathSize = bases.length && getComputedStyle(bases[0]).fontSize;

  // Code tokens: what decides their contrast, in both schemes: their colour and size, and the
  // colour, background and opacity of everything between them and the article.
  const tokens = [...document.querySelectorAll("article pre span")]
    .filter((span) => !span.firstElementChild && span.textContent.trim());
  const setScheme = """ + _SET_SCHEME + """;
  const looks = (scheme) => {
    setScheme(scheme);
    const memo = new Map();
    const look = (el) => {
      if (!el || el.tagName === "ARTICLE") return "";
      if (!memo.has(el)) {
        const css = getComputedStyle(el);
        memo.set(el, [css.color, css.backgroundColor, css.backgroundImage, css.opacity,
                      css.fontSize, css.fontWeight, look(el.parentElement)].join(" "));
      }
      return memo.get(el);
    };
    return tokens.map(look);
  };
  const scheme = document.body.getAttribute("data-md-color-scheme") ?? "default";
  const [light, dark] = [looks("default"), looks("slate")];
  setScheme(scheme);
  const seen = new Set();
  tokens.forEach((span, i) => {
    const key = light[i] + "|" + dark[i];
    if (seen.has(key)) span.replaceWith(span.textContent);
    else seen.add(key);
  });
  if (height !== document.documentElement.scrollHeight) problems.push("plain code tokens moved the page");
  return problems;
}"""


# After resizing: the formulas' stand-ins were measured at 1280 px; they hold if formulas are
# drawn at the same size at this width (true: Material and book.css size text the same below 1600 px).
_SAME_MATH_SIZE_JS = """() => {
  const base = document.querySelector(".katex-html > .base");   // none left once only the header is
  return !base || getComputedStyle(base).fontSize === window.bookMathSize;
}"""


# Everything but the header (main content with its sidebars, footer): the header sits above it,
# opaque, and is laid out the same without it.
_DROP_CONTENT_JS = """() => {
  for (const el of document.querySelectorAll(".md-main, .md-footer")) el.remove();
}"""


# KaTeX's MathML copies (what screen readers read) are audited by the first, every-rule run. They
# are invisible and out of the flow (katex.min.css: absolute, clipped), so no colour or layout rule
# applies to them, yet on a chapter-3 page they are a quarter of the document that every later run
# walks: they are removed after the first run (the layout does not move; checked).
_DROP_MATHML_JS = """() => {
  const height = document.documentElement.scrollHeight;
  for (const el of document.querySelectorAll(".katex-mathml")) el.remove();
  return height === document.documentElement.scrollHeight;
}"""


# The scheme switched, then the page settled (fonts, a frame) before its audit.
_SCHEME_JS = """async (scheme) => {
  (""" + _SET_SCHEME + """)(scheme);
  await document.fonts.ready;
  await new Promise(requestAnimationFrame);
}"""


async def _audit(browser, base: str, path: str, gate) -> dict:
    """One page, four ways, from one load: light at 1280 px, then dark, then both at 375 px (the
    scheme is what the palette toggle sets; the width, the window's)."""
    async with gate:
        context = await browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
        await context.route(lambda url: not url.startswith((base, "data:", "blob:")),
                            lambda route: route.abort("blockedbyclient"))
        found = {}
        try:
            page = await context.new_page()
            await page.goto(base + path, wait_until="load")
            await page.add_style_tag(content=".md-typeset > * { content-visibility: visible !important; }")
            await page.add_script_tag(path=str(AXE))
            lightened = await page.evaluate(_LIGHTEN_JS)
            assert not lightened, lightened
            parts_only = False
            for scheme, width in RULES:
                await page.set_viewport_size({"width": width, "height": 900})
                assert await page.evaluate(_SAME_MATH_SIZE_JS), f"formulas at another size at {width} px"
                await page.evaluate(_SCHEME_JS, "slate" if scheme == "dark" else "default")
                found[scheme, width] = []
                for scope, rules in RULES[scheme, width]:
                    if scope != "page" and not parts_only:
                        # axe-core walks the whole document for any run: without the article the
                        # header's audits take a tenth of the time (the header does not depend on it).
                        await page.evaluate(_DROP_CONTENT_JS)
                        parts_only = True
                    assert scope != "page" or not parts_only, "RULES: whole-page audits come first"
                    found[scheme, width] += await page.evaluate(_AUDIT_JS, [scope, rules, WCAG])
                if (scheme, width) == ("light", 1280):   # the every-rule run, first: it saw the MathML
                    assert await page.evaluate(_DROP_MATHML_JS), "removing the MathML moved the layout"
            return found
        except Exception as err:  # noqa: BLE001 - reported by the page's test
            return {key: [f"the audit failed: {err!r}"[:500]] for key in RULES}
        finally:
            await context.close()


async def _audit_all(site: Path, paths: list[str] = PAGES) -> dict:
    from playwright.async_api import async_playwright
    gate = asyncio.Semaphore(PARALLEL)
    with serve(site) as base:
        async with async_playwright() as playwright:
            browser = await launch(playwright)
            found = await asyncio.gather(*(_audit(browser, base, path, gate) for path in paths))
            await browser.close()
    return dict(zip(paths, found, strict=True))


def _require_the_tools():
    """Chromium and axe-core, or a skip with a warning (a failure under CI)."""
    missing = chromium_missing() or (None if AXE.exists() else f"no {AXE.relative_to(ROOT)} (needs `make`)")
    if missing:
        message = f"ACCESSIBILITY AUDIT NOT RUN: {missing}"
        if os.environ.get("CI"):
            pytest.fail(message, pytrace=False)
        warnings.warn(message, stacklevel=1)
        pytest.skip(message)


@pytest.fixture(scope="module")
def audits(request) -> dict:
    _require_the_tools()
    override = os.environ.get("BOOK_BROWSER_SITE")
    site = Path(override) if override else request.getfixturevalue("site")
    return asyncio.run(_audit_all(site))


@pytest.mark.parametrize("path", PAGES)
def test_axe_finds_nothing_in_light_and_dark_at_375_and_1280_px(audits, path):
    found = [f"{scheme}, {width} px: {problem}" for (scheme, width), problems in audits[path].items()
             for problem in problems]
    assert not found, f"{path}:\n  " + "\n  ".join(found)


def test_no_formula_sets_its_own_colour():
    # What lets the audit leave KaTeX's glyphs out: each is drawn in the colour of its text.
    coloured = [f"{source.relative_to(ROOT)}: {m[0]}"
                for source in [*(ROOT / "docs").rglob("*.md"), *(ROOT / "examples").glob("*.py")]
                for m in re.finditer(r"\\(?:text)?color\b|\\colorbox\b|\\fcolorbox\b",
                                     source.read_text(encoding="utf-8"))]
    assert not coloured, f"formulas that set a colour (the accessibility audit would miss them): {coloured}"


# The planted faults, one per way of the audit: each is seen only there (scheme, width, part).
_PLANTED = """<style>
  .md-typeset .planted-light { color: #c8c8c8; }
  [data-md-color-scheme="slate"] .md-typeset .planted-dark { color: #3a3a4a; }
  [data-md-color-scheme="slate"] .md-typeset [data-planted] { color: #3b3b4b; }
  @media (max-width: 600px) {
    [data-md-color-scheme="default"] .md-header__topic { color: #6a75c4; }
    [data-md-color-scheme="slate"] .md-header__topic { color: #2d3a8c; }
  }
</style>"""


# Two tokens alike but for where they stand: the audit keeps one token of each look, not of each class.
_PLANTED_CODE = ('<div class="language-python highlight"><pre><span></span><code>'
                 '<span class="kn">import</span> <span class="nn">numpy</span>\n'
                 '<span class="kn">import</span> <span class="nn" data-planted>torch</span>\n'
                 '</code></pre></div>')


def test_the_audit_finds_a_fault_in_each_of_its_four_ways(site, tmp_path):
    """A page whose faults each show in one way only: light text too pale (light, 1280), dark text
    too dark (dark, 1280), the header's title too faint in light and in dark at 375 px. The
    header's audits run on the page without its content; the faults there must still be found.
    And a code token drawn too dark in dark, though a token of its class before it is fine."""
    _require_the_tools()
    for entry in site.iterdir():   # the built site, and beside it one planted page
        (tmp_path / entry.name).symlink_to(entry, target_is_directory=entry.is_dir())
    html = (site / "glossary" / "index.html").read_text(encoding="utf-8")
    html = html.replace("</head>", _PLANTED + "</head>", 1)
    html = re.sub(r'(<article[^>]*>\s*)', r'\1<p class="planted-light">浅色下太淡的字</p>'
                  r'<p class="planted-dark">深色下太暗的字</p>' + _PLANTED_CODE, html, count=1)
    (tmp_path / "planted").mkdir()
    (tmp_path / "planted" / "index.html").write_text(html, encoding="utf-8")
    found = asyncio.run(_audit_all(tmp_path, ["planted/"]))["planted/"]
    # The code's last token: a class it shares with a token before it, too dark only in dark.
    assert any(p.startswith("color-contrast") and "#3b3b4b" in p for p in found["dark", 1280]), found
    expected = {("light", 1280): ".planted-light", ("dark", 1280): ".planted-dark",
                ("light", 375): ".md-header__topic", ("dark", 375): ".md-header__topic"}
    for way, target in expected.items():
        assert any(p.startswith("color-contrast") and target in p for p in found[way]), (way, found)
    assert not any(".planted-dark" in p for p in found["light", 1280]), found   # each in its way only

"""Promise: the site works for a reader, checked the way a reader meets it: in a real browser.

The built site (the `site` fixture: strict build, examples executed) is served on a free loopback
port and opened in headless Debian chromium, driven by Playwright (tests/browser_support.py).

* Every page: no console error or warning, no uncaught exception, no failed request or HTTP
  error, no request to any host but the local server (such requests are aborted and reported),
  every font loads, and every formula is KaTeX output styled by KaTeX's CSS (no raw TeX left in
  the visible text, no KaTeX error).
* Every page at a 375 px wide phone viewport: nothing scrolls sideways.
* Every page as it is read (at 375 and 1280 px, and printed): no text under 12 px; an equation
  number never covers its formula; no space between two Chinese characters that the source did not
  write; no line starts with "，" or "。" after inline math; the whole page is drawn in a full-page
  capture and in print.
* Chosen pages: a PyTorch/TensorFlow tab switches and the choice holds on the next page; the
  search finds Chinese words from the middle of a sentence and English terms; example pages show
  their output images, full width on a phone, without prompts, each a link to its PNG; the
  dark-mode toggle works and holds; the copy button copies its block; Chinese text is not kerned;
  every Tab stop is visible and named; the 404 page speaks Chinese.

The per-page tests share one load of each page per viewport (the `path` fixture groups them).
Search ranking, highlighting and the index are in tests/test_search.py; axe-core in test_a11y.py.

No chromium: skipped with a warning locally, failed under CI (env CI set). To run the tests on a
site built elsewhere (e.g. a deliberately broken copy), set BOOK_BROWSER_SITE=/path/to/site.
"""

import base64
import os
import re
import time
import warnings
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.browser_support import CJK_FONT, chromium_missing, launch, serve
from tests.conftest import ROOT

pytestmark = pytest.mark.browser


def _page_path(source: Path) -> str:
    """docs/ch1-background/definition.md -> 'ch1-background/definition/' (the URL under the site)."""
    rel = source.relative_to(ROOT / "docs").with_suffix("")
    parts = rel.parts[:-1] if rel.name == "index" else rel.parts
    return "".join(f"{part}/" for part in parts)


# Every page a reader can open, known before the build: the Markdown pages, the examples, the 404.
PAGES = sorted({_page_path(md) for md in (ROOT / "docs").rglob("*.md")}
               | {f"examples/{py.stem}/" for py in (ROOT / "examples").glob("*.py")}
               | {"404.html"})

# Search: a word -> a page it must find. The Chinese words sit in the middle of sentences of that
# page (checked below), so only a segmented index finds them; a whitespace tokenizer would not.
SEARCHES = {
    "迁移": "ch1-background/definition/",      # 之后能被迁移到许多下游任务上
    "高昂": "ch1-background/applications/",    # 先在海量数据上做一次代价高昂的预训练
    "Transformer": "ch4-code/transformers/",
    "LSTM": "ch3-algorithms/rnn/",
}

# What TeX looks like when nothing rendered it (checked in visible text, code excluded).
_RAW_TEX = r"\$\$|\\[()[\]]|\\begin\{|\\(?:frac|sum|mathbf|mathrm|text|left|right|partial|nabla|cdot)\b" \
           r"|\$[^$\s][^$]*[\\^_][^$]*\$"

# Runs in the page after load: what is wrong with its formulas and fonts.
_FORMULA_PROBLEMS_JS = """async (rawTex) => {
  await document.fonts.ready;
  const problems = [];
  for (const f of document.fonts)
    if (f.status === "error") problems.push(`font failed to load: ${f.family}`);
  for (const el of document.querySelectorAll(".katex-error, .arithmatex"))
    problems.push(`unrendered formula: ${el.textContent.slice(0, 80)}`);
  for (const el of document.querySelectorAll(".math-inline, .math-display")) {
    const html = el.querySelector(".katex-html"), mathml = el.querySelector(".katex-mathml");
    const tex = el.textContent.slice(0, 80);
    if (!html || !mathml) { problems.push(`formula without KaTeX output: ${tex}`); continue; }
    // KaTeX's CSS hides the MathML copy (kept for screen readers) and draws the HTML in KaTeX fonts.
    if (getComputedStyle(mathml).position !== "absolute"
        || !getComputedStyle(html).fontFamily.includes("KaTeX"))
      problems.push(`formula not styled by katex.min.css: ${tex}`);
  }
  const re = new RegExp(rawTex);
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT, {acceptNode: (n) =>
    n.parentElement.closest("pre, code, script, style, textarea, .katex, .md-search")
      || !n.parentElement.checkVisibility()   // e.g. mkdocs-jupyter's hidden copy of each cell
      ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT});
  for (let n; (n = walker.nextNode());) {
    const m = n.textContent.match(re);
    if (m) problems.push(
      `raw TeX in the text: …${n.textContent.slice(Math.max(0, m.index - 20), m.index + 40)}…`);
  }
  return problems;
}"""


# --- fixtures ---------------------------------------------------------------------------------
@pytest.fixture(scope="module", params=PAGES)
def path(request) -> str:
    """One page; module-scoped, so pytest runs every per-page test of a page together and each
    reader (desktop, phone) loads it once for all of them (`Reader.visit`)."""
    return request.param


@pytest.fixture(scope="module")
def browser():
    if why := chromium_missing():
        message = f"BROWSER TESTS NOT RUN: {why}"
        if os.environ.get("CI"):
            pytest.fail(message, pytrace=False)
        warnings.warn(message, stacklevel=1)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = launch(playwright)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def site_dir(browser, request) -> Path:
    override = os.environ.get("BOOK_BROWSER_SITE")
    return Path(override) if override else request.getfixturevalue("site")


@pytest.fixture(scope="module")
def base_url(site_dir):
    with serve(site_dir) as url:
        yield url


class Reader:
    """A browser tab that notes everything that goes wrong while it reads pages."""

    QUIET = 0.2  # seconds without network activity after which a loaded page counts as settled

    def __init__(self, browser, base_url, **context_options):
        self.base, self.problems = base_url, []
        self.context = browser.new_context(**{"color_scheme": "light", "locale": "zh-CN", **context_options})
        # Only the local server may be asked for anything; requests elsewhere are refused here.
        self.context.route(lambda url: not url.startswith((base_url, "data:", "blob:")), self._refuse)
        self.context.set_default_timeout(15_000)
        self.page = self.context.new_page()
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda err: self.problems.append(f"uncaught exception: {err}"))
        self.page.on("requestfailed", self._failed)
        self.page.on("response", lambda r: r.status >= 400 and self.problems.append(
            f"HTTP {r.status}: {r.url}"))
        # Requests still running, and when the network last did something (see `open`).
        self.pending, self.leaving, self.last_activity = set(), set(), time.monotonic()
        self.page.on("request", lambda r: self._network(self.pending.add, r))
        self.page.on("requestfinished", lambda r: self._network(self.pending.discard, r))
        self.page.on("requestfailed", lambda r: self._network(self.pending.discard, r))

    def _network(self, change, request):
        change(request)
        self.last_activity = time.monotonic()

    def _failed(self, request):
        # A request cut off because the test moved to the next page (a late favicon) is no defect.
        if not (request in self.leaving and "ERR_ABORTED" in (request.failure or "")):
            self.problems.append(f"request failed: {request.url} {request.failure}")

    def _refuse(self, route):
        self.problems.append(f"request to another host: {route.request.url}")
        route.abort("blockedbyclient")

    def _console(self, msg):
        if msg.type in ("error", "warning"):
            self.problems.append(f"console {msg.type}: {msg.text} ({msg.location.get('url', '')})")

    def open(self, path: str):
        """Load a page and wait until it is complete: fonts in, and the search worker's scripts and
        index fetched (nothing in flight for QUIET seconds), so nothing is cut off by the next page."""
        self.leaving = set(self.pending)
        self.page.goto(self.base + path, wait_until="load")
        self._settle(path)
        self.showing = path
        return self.page

    showing: str | None = None

    def visit(self, path: str):
        """The page, loaded unless this tab shows it already (the per-page tests share a load)."""
        return self.page if self.showing == path and self.page.url == self.base + path else self.open(path)

    def lay_out_everything(self):
        """Lay out the whole page, also what a reader has not scrolled to yet (book.css leaves that
        for later): every formula asks for its fonts, every box has its size."""
        if not self.page.evaluate("!!document.getElementById('book-test-visible')"):
            self.page.add_style_tag(content=".md-typeset > * { content-visibility: visible !important; }")
            self.page.evaluate("document.head.lastElementChild.id = 'book-test-visible'")
            self._settle(self.page.url)

    def bring_into_view(self, locator):
        """Scroll to an element and let the page settle, as a reader looks before clicking: text
        below the first screen is laid out only as it comes into view (book.css, content-visibility),
        and a formula there may ask for a KaTeX font not loaded yet, which moves things a little."""
        locator.scroll_into_view_if_needed()
        self._settle(self.page.url)

    def _settle(self, what: str):
        self.page.evaluate("document.fonts.ready.then(() => true)")
        deadline = time.monotonic() + 20
        while self.pending or time.monotonic() - self.last_activity < self.QUIET:
            assert time.monotonic() < deadline, f"{what}: still loading {[r.url for r in self.pending]}"
            self.page.wait_for_timeout(25)
        next_frame = "new Promise(requestAnimationFrame)"
        self.page.evaluate(f"async () => {{ await {next_frame}; await {next_frame}; }}")

    def take_problems(self) -> list[str]:
        found, self.problems = self.problems, []
        return found


@pytest.fixture(scope="module")
def desktop(browser, base_url):
    reader = Reader(browser, base_url, viewport={"width": 1280, "height": 900})
    yield reader
    reader.context.close()


@pytest.fixture(scope="module")
def phone(browser, base_url):
    reader = Reader(browser, base_url, viewport={"width": 375, "height": 740}, is_mobile=True,
                    has_touch=True, device_scale_factor=2)
    yield reader
    reader.context.close()


@pytest.fixture
def reader(browser, base_url):
    """A fresh tab with its own storage (tabs and palette choices start from the defaults)."""
    one = Reader(browser, base_url, viewport={"width": 1280, "height": 900},
                 permissions=["clipboard-read", "clipboard-write"])
    yield one
    one.context.close()


def _html(site_dir: Path, path: str) -> str:
    file = site_dir / (path if path.endswith(".html") else path + "index.html")
    return file.read_text(encoding="utf-8")


# --- every page -------------------------------------------------------------------------------
def test_every_built_page_is_opened(site_dir):
    built = {str(p.relative_to(site_dir)) for p in site_dir.rglob("*.html")}
    opened = {p if p.endswith(".html") else p + "index.html" for p in PAGES}
    assert built <= opened, f"pages the browser tests never open: {sorted(built - opened)}"


def test_page_loads_cleanly_with_every_formula_rendered(desktop, path):
    page = desktop.open(path)
    problems = desktop.take_problems()
    desktop.lay_out_everything()  # so that every formula asks for its fonts now
    problems += page.evaluate(_FORMULA_PROBLEMS_JS, _RAW_TEX)
    problems += desktop.take_problems()  # anything that went wrong while fonts loaded
    assert not problems, f"{path}:\n  " + "\n  ".join(problems[:15])


# Runs in the page: elements that stick out past the right edge of the screen. Those inside a box
# that scrolls on its own (a code block, a wide formula or table) are fine; anything else makes
# the page scroll sideways or, where Material clips the overflow, cuts content off.
_STICKING_OUT_JS = """() => {
  const width = document.documentElement.clientWidth, found = [];
  const scrollsOnItsOwn = (el) => {
    for (let box = el.parentElement; box && box !== document.body; box = box.parentElement)
      if (/auto|scroll/.test(getComputedStyle(box).overflowX)
          && box.getBoundingClientRect().right <= width + 1)
        return true;
    return false;
  };
  for (const el of document.body.querySelectorAll("*")) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.right <= width + 1) continue;
    if (!el.checkVisibility({visibilityProperty: true})) continue;
    // Inside KaTeX's MathML copy (a clipped 1 px box, for screen readers) only that box counts;
    // SVG shapes: their <svg> counts.
    if (el.parentElement.closest(".katex-mathml") || el.ownerSVGElement) continue;
    // An absolutely positioned box escapes a scroller that is not its containing block.
    const escapes = getComputedStyle(el).position === "absolute" && el.offsetParent === document.body;
    if (escapes || !scrollsOnItsOwn(el))
      found.push(`<${el.tagName.toLowerCase()} class="${el.className.baseVal ?? el.className}">`
                 + ` ends at ${Math.round(box.right)} px`);
  }
  const page = Math.max(document.documentElement.scrollWidth, document.body.scrollWidth);
  if (page > width) found.push(`the page is ${page} px wide`);
  return found;
}"""


def test_nothing_scrolls_sideways_on_a_phone(phone, path):
    page = phone.open(path)
    phone.take_problems()  # reported by the desktop test
    sticking_out = page.evaluate(_STICKING_OUT_JS)
    assert not sticking_out, f"{path} at 375 px:\n  " + "\n  ".join(sticking_out[:15])


# Runs in the page: visible text of the article under the legible size (Lighthouse's font-size
# audit: 12 px), formulas aside (KaTeX sizes sub- and superscripts by TeX's rules). Material draws
# code at .85em of its text, 10.88 px in tables and admonitions: book.css floors it at 12 px.
_SMALL_TEXT_JS = """(legible) => {
  const small = [];
  const walker = document.createTreeWalker(document.querySelector("article"), NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const el = walker.currentNode.parentElement, text = walker.currentNode.textContent.trim();
    if (!text || el.closest(".katex") || !el.checkVisibility()) continue;
    const px = parseFloat(getComputedStyle(el).fontSize);
    if (px < legible) small.push(`${px} px <${el.tagName.toLowerCase()}> in <${el.parentElement.tagName
      .toLowerCase()}>: ${text.slice(0, 40)}`);
  }
  return small;
}"""
LEGIBLE_PX = 12


@pytest.mark.parametrize("reader_name", ["phone", "desktop"])
def test_no_text_is_under_12px(request, reader_name, path):
    reader = request.getfixturevalue(reader_name)
    small = reader.visit(path).evaluate(_SMALL_TEXT_JS, LEGIBLE_PX)
    assert not small, f"{path} ({reader_name}), text under {LEGIBLE_PX} px:\n  " + "\n  ".join(small[:20])


# Runs in the page: the smallest label of each drawn figure (an inline SVG with text) as a phone
# shows it: its font size times the scale the figure is drawn at (375 px squeezes a wide diagram).
_FIGURE_LABELS_JS = """(least) => {
  const found = [];
  for (const svg of document.querySelectorAll("article svg")) {
    if (svg.closest(".katex, .md-icon, .twemoji, button")) continue;
    for (const text of svg.querySelectorAll("text")) {
      const m = text.getScreenCTM();
      if (!m || !text.textContent.trim()) continue;
      const px = parseFloat(getComputedStyle(text).fontSize) * Math.hypot(m.a, m.b);
      if (px < least) {
        found.push(`${svg.querySelector("title")?.textContent || "a figure"}: "${text.textContent.trim()
          .slice(0, 20)}" is ${px.toFixed(1)} px`);
        break;
      }
    }
  }
  return found;
}"""
FIGURE_LABEL_PX = 10   # below this a phone reader zooms in to read a label


def test_figure_labels_are_readable_on_a_phone(phone, path):
    page = phone.visit(path)
    phone.lay_out_everything()
    small = page.evaluate(_FIGURE_LABELS_JS, FIGURE_LABEL_PX)
    assert not small, f"{path} at 375 px, figure labels under {FIGURE_LABEL_PX} px:\n  " + "\n  ".join(small)
    if path == "ch3-algorithms/rnn/":  # guard: the check sees the labels of a chapter-3 diagram
        assert page.evaluate(_FIGURE_LABELS_JS, 100), "no figure label measured on 3.4"


# --- every page, as it is read ------------------------------------------------------------------
# Runs in the page: equation numbers that are hidden or drawn over a glyph of their formula. A
# glyph is a text run, an SVG (root signs, wide accents) or a rule (fraction bars) of KaTeX's
# HTML, clipped to the box that scrolls the formula (what is scrolled out of it is not drawn).
# The number: hooks/katex.py's `.math-number`, or KaTeX's own `\tag` box.
_EQUATION_NUMBERS_JS = """() => {
  const found = [];
  const overlap = (a, b) => a.left < b.right - .5 && b.left < a.right - .5
                            && a.top < b.bottom - .5 && b.top < a.bottom - .5;
  const clip = (a, b) => ({left: Math.max(a.left, b.left), right: Math.min(a.right, b.right),
                           top: Math.max(a.top, b.top), bottom: Math.min(a.bottom, b.bottom)});
  const empty = (r) => r.right - r.left < .5 || r.bottom - r.top < .5;
  for (const formula of document.querySelectorAll(".math-display")) {
    const number = formula.querySelector(".math-number, .katex-html .tag");
    if (!number) continue;
    const box = (formula.querySelector(".math-scroll") || formula).getBoundingClientRect();
    const name = formula.id || number.textContent;
    let shown = number.getBoundingClientRect();
    if (number.closest(".math-scroll, .katex-display")) shown = clip(shown, box);
    if (empty(shown) || !number.checkVisibility({visibilityProperty: true})) {
      found.push(`${name}: its number is not visible`);
      continue;
    }
    const glyphs = [];
    const walker = document.createTreeWalker(formula.querySelector(".katex-html"), NodeFilter.SHOW_TEXT);
    for (let text; (text = walker.nextNode());) {
      if (number.contains(text) || !text.textContent.trim()) continue;
      const range = document.createRange();
      range.selectNodeContents(text);
      glyphs.push(...range.getClientRects());
    }
    for (const el of formula.querySelectorAll(".katex-html :is(svg, .frac-line, .rule)"))
      if (!number.contains(el)) glyphs.push(el.getBoundingClientRect());
    const covered = glyphs.map((g) => clip(g, box)).filter((g) => !empty(g) && overlap(g, shown));
    if (covered.length) found.push(`${name}: its number covers ${covered.length} glyphs of it`);
  }
  return found;
}"""


def test_equation_numbers_never_cover_their_formulas(desktop, phone, path):
    found = []
    for reader, where in [(phone, "375 px"), (desktop, "1280 px")]:
        page = reader.visit(path)
        reader.lay_out_everything()
        found += [f"{where}: {problem}" for problem in page.evaluate(_EQUATION_NUMBERS_JS)]
    if page.evaluate("!!document.querySelector('.math-number, .katex-html .tag')"):
        # Printed on A4 with Chromium's default margins: a 642 px wide column.
        page.set_viewport_size({"width": 642, "height": 900})
        page.emulate_media(media="print")
        try:
            found += [f"printed: {problem}" for problem in page.evaluate(_EQUATION_NUMBERS_JS)]
        finally:
            page.emulate_media(media="screen")
            page.set_viewport_size({"width": 1280, "height": 900})
    assert not found, f"{path}:\n  " + "\n  ".join(found[:20])


# Runs in the page: each space between two Chinese characters in the rendered text (code, math
# and the page's chrome left out), as [before, after, context]. The text of a block is joined
# across inline elements and its white space collapsed, as the browser draws it.
_CHINESE = r"\p{sc=Han}\u3000-\u303f\uff01-\uff60"
_CHINESE_SPACES_JS = """(chinese) => {
  const blocks = new Map(), BLOCK = "p, li, td, th, dt, dd, figcaption, h1, h2, h3, h4, h5, h6, "
    + "summary, .admonition-title, div, article";
  const walk = (node) => {
    for (const child of node.childNodes) {
      if (child.nodeType === Node.TEXT_NODE) {
        const block = child.parentElement.closest(BLOCK);
        blocks.set(block, (blocks.get(block) || "") + child.textContent);
      } else if (child.nodeType === Node.ELEMENT_NODE) {
        if (child.matches("script, style, svg, .headerlink") || !child.checkVisibility()) continue;
        // Code and formulas are shown as written, a button is a control: each stands for itself.
        if (child.matches("pre, code, .katex, .md-button")) {
          const block = child.parentElement.closest(BLOCK);
          blocks.set(block, (blocks.get(block) || "") + "\u0001");
        } else walk(child);
      }
    }
  };
  walk(document.querySelector("article"));
  const found = [], pair = new RegExp(`([${chinese}])[ \\\\t\\\\n\\\\r]+(?=([${chinese}]))`, "gu");
  for (const text of blocks.values()) {
    const shown = text.replace(/[ \\t\\n\\r]+/g, " ");
    for (const m of shown.matchAll(pair))
      found.push([m[1], m[2], shown.slice(Math.max(0, m.index - 12), m.index + 14)]);
  }
  return found;
}"""


def _source(path: str) -> str:
    """The text a page is made from: its Markdown, its example script, or its template."""
    if path.startswith("examples/"):
        return (ROOT / "examples" / f"{path.split('/')[1]}.py").read_text(encoding="utf-8")
    if path.endswith(".html"):
        return (ROOT / "overrides" / path).read_text(encoding="utf-8")
    md = ROOT / "docs" / (path.rstrip("/") + ".md")
    return (md if md.exists() else ROOT / "docs" / path / "index.md").read_text(encoding="utf-8")


def test_no_space_between_chinese_characters_that_the_source_did_not_write(desktop, path):
    page = desktop.visit(path)
    desktop.lay_out_everything()
    # What the author wrote, without the Markdown that is not shown (emphasis, link targets).
    written = re.sub(r"\*\*|`|\]\([^)]*\)|\[", "", _source(path))
    stray = [f"…{context}…" for before, after, context in page.evaluate(_CHINESE_SPACES_JS, _CHINESE)
             if not re.search(f"{re.escape(before)}[ \t]+{re.escape(after)}", written)]
    assert not stray, (f"{path}: {len(stray)} spaces between Chinese characters where the source has "
                       "a line break:\n  " + "\n  ".join(stray[:15]))


# Runs in the page: closing Chinese punctuation that starts a line right after inline math. A
# formula longer than a line breaks inside (hooks/katex.py keeps it and its punctuation in one
# inline-block, which then fills the line): there the punctuation may start the block's last line.
_PUNCTUATION_AFTER_MATH_JS = """() => {
  const found = [], closing = /^[，。、；：？！）」』”’》〉】〕]/;
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (const math of document.querySelectorAll(".md-typeset .math-inline")) {
    walker.currentNode = math;
    const shown = (text) => text.textContent;
    let next = walker.nextNode();
    while (next && (math.contains(next) || !shown(next))) next = walker.nextNode();
    if (!next || !closing.test(shown(next)) || !next.parentElement.checkVisibility()) continue;
    const block = math.closest(".math-nobreak");
    if (block && block.getBoundingClientRect().width >= block.parentElement.clientWidth - 2) continue;
    const at = next.textContent.search(closing.source.slice(1));
    const range = document.createRange();
    range.setStart(next, Math.max(at, 0));
    range.setEnd(next, Math.max(at, 0) + 1);
    const mark = range.getBoundingClientRect(), last = [...math.getClientRects()].at(-1);
    if (last && mark.top >= last.bottom - 2)
      found.push(`"${shown(next).trim()[0]}" starts a line after `
                 + math.querySelector("annotation")?.textContent);
  }
  return found;
}"""


def test_no_line_starts_with_punctuation_after_math_on_a_phone(phone, path):
    page = phone.visit(path)
    phone.lay_out_everything()
    found = page.evaluate(_PUNCTUATION_AFTER_MATH_JS)
    assert not found, f"{path} at 375 px:\n  " + "\n  ".join(found[:15])


# --- chosen pages -----------------------------------------------------------------------------
def _pages_with_tabs(site_dir) -> list[str]:
    tabs = re.compile(r'<div class="tabbed-labels">(?:(?!</div>).)*>PyTorch</label>'
                      r'(?:(?!</div>).)*>TensorFlow</label>', re.S)
    return [p for p in PAGES if not p.endswith(".html") and tabs.search(_html(site_dir, p))]


def _shown_tab_labels(page) -> list[str]:
    """The label of the visible panel of every PyTorch/TensorFlow tab set on the page."""
    return page.evaluate("""() => [...document.querySelectorAll(".tabbed-set")].flatMap(set => {
        const labels = [...set.querySelectorAll(":scope > .tabbed-labels > label")];
        const blocks = [...set.querySelectorAll(":scope > .tabbed-content > .tabbed-block")];
        if (!labels.some(l => l.textContent.trim() === "TensorFlow")) return [];
        return labels.filter((l, i) => blocks[i] && blocks[i].offsetHeight > 0)
                     .map(l => l.textContent.trim());
    })""")


def test_tabs_switch_and_the_choice_holds_on_the_next_page(reader, site_dir):
    with_tabs = _pages_with_tabs(site_dir)
    assert len(with_tabs) >= 2, f"need two pages with PyTorch/TensorFlow tabs, found {with_tabs}"
    first, second = with_tabs[:2]
    page = reader.open(first)
    assert set(_shown_tab_labels(page)) == {"PyTorch"}, f"{first}: PyTorch is not the default tab"
    tensorflow = page.locator(".tabbed-labels > label", has_text="TensorFlow").first
    reader.bring_into_view(tensorflow)
    tensorflow.click()
    assert set(_shown_tab_labels(page)) == {"TensorFlow"}, f"{first}: clicking TensorFlow did not switch"
    page = reader.open(second)
    assert set(_shown_tab_labels(page)) == {"TensorFlow"}, f"{second}: the TensorFlow choice did not hold"
    assert not reader.take_problems()


def _search(page, query: str) -> list[str]:
    """Type `query` into Material's search box; the pages (paths) of the results."""
    page.locator(".md-search__input").click()
    box = page.locator("input.md-search__input")
    box.fill(query)
    box.press("End")  # Material searches on keyup
    # The result count appears when the search is done; all three of its Chinese forms (none, one,
    # n) end in 结果, unlike the "initialising" and "type to search" messages before it.
    page.wait_for_function("""() =>
        document.querySelector(".md-search-result__meta").textContent.includes("结果")""")
    hrefs = page.eval_on_selector_all(".md-search-result__item > a", "els => els.map(a => a.href)")
    return sorted({urlsplit(href).path.lstrip("/") for href in hrefs})


@pytest.mark.parametrize("query", SEARCHES)
def test_search_finds_chinese_words_and_english_terms(reader, site_dir, query):
    expected = SEARCHES[query]
    text = re.sub(r"<[^>]+>", "", _html(site_dir, expected))
    if not query.isascii():  # guard: the word really stands between other Chinese characters
        assert re.search(rf"[\u4e00-\u9fff]{query}[\u4e00-\u9fff]", text), f"{query!r} not mid-sentence"
    page = reader.open("")
    found = _search(page, query)
    assert expected in found, f"searching {query!r} found {found}, not {expected}"
    assert not reader.take_problems()


@pytest.mark.parametrize("example", [p for p in PAGES if p.startswith("examples/")])
def test_example_pages_show_their_output_images(desktop, example):
    path = example
    page = desktop.open(path)
    # They load lazily (hooks/images.py): bring each into view, as a reader scrolling would.
    images = page.eval_on_selector_all(".jp-OutputArea-output img", """async imgs => {
      for (const i of imgs) { i.scrollIntoView(); await i.decode().catch(() => {}); }
      return imgs.map(i => [i.complete && i.naturalWidth, i.offsetWidth]); }""")
    assert images, f"{path}: no output image on the page"
    assert all(natural > 0 and shown > 0 for natural, shown in images), f"{path}: images not shown {images}"
    assert not desktop.take_problems()


@pytest.mark.parametrize("example", [p for p in PAGES if p.startswith("examples/")])
def test_example_pages_read_well_on_a_phone(phone, example):
    page = phone.visit(example)
    phone.lay_out_everything()
    found = page.evaluate("""async () => {
      const found = [], column = document.querySelector("article").clientWidth;
      for (const prompt of document.querySelectorAll(".jp-InputPrompt, .jp-OutputPrompt"))
        if (prompt.offsetWidth > 0) { found.push(`a prompt column (${prompt.offsetWidth} px)`); break; }
      for (const img of document.querySelectorAll(".jp-OutputArea-output img")) {
        const box = img.closest(".jp-OutputArea-output").clientWidth;
        if (img.offsetWidth < 0.95 * Math.min(box, column))
          found.push(`a figure ${img.offsetWidth} px wide in a ${box} px column: ${img.alt}`);
        const link = img.closest("a[href]");
        if (!link || !/\\.png$/.test(link.getAttribute("href")))
          found.push(`a figure without a link to its PNG: ${img.alt}`);
        else if (!(await fetch(link.href, {method: "HEAD"})).ok)
          found.push(`its PNG does not load: ${link.href}`);
      }
      for (const pre of document.querySelectorAll(".jp-OutputArea-output pre")) {
        // A printed line is drawn as one line: the box scrolls sideways instead of wrapping it.
        if (getComputedStyle(pre).whiteSpace !== "pre")
          found.push(`output that wraps: ${pre.textContent.slice(0, 40)}`);
        const box = pre.closest(".jp-OutputArea-output");
        if (pre.scrollWidth > box.clientWidth + 1 && !/auto|scroll/.test(getComputedStyle(box).overflowX))
          found.push(`output wider than its box, which does not scroll: ${pre.textContent.slice(0, 40)}`);
      }
      return found;
    }""")
    assert page.locator(".jp-OutputArea-output img").count(), f"{example}: no figure (examples not run?)"
    assert not found, f"{example} at 375 px:\n  " + "\n  ".join(found[:15])


def _capture_shows_every_block(page) -> list[str]:
    """A full-page screenshot of the page as it is now; the text blocks it shows blank."""
    shot = page.screenshot(full_page=True)
    return page.evaluate("""async (png) => {
      const blocks = [...document.querySelectorAll(".md-typeset > *")]
        .filter((b) => b.matches("p, .math-display, .md-typeset__scrollwrap") && b.textContent.trim());
      const bytes = Uint8Array.from(atob(png), (c) => c.charCodeAt(0));
      const image = await createImageBitmap(new Blob([bytes], {type: "image/png"}));
      const canvas = new OffscreenCanvas(image.width, image.height), scale = image.width / innerWidth;
      const context = canvas.getContext("2d", {willReadFrequently: true});
      context.drawImage(image, 0, 0);
      const blank = [];
      for (const block of blocks) {
        const r = block.getBoundingClientRect();
        const [x, y] = [Math.round((r.left + scrollX) * scale), Math.round((r.top + scrollY) * scale)];
        const [w, h] = [Math.round(r.width * scale), Math.round(r.height * scale)];
        if (w < 1 || h < 1) continue;
        const pixels = context.getImageData(x, y, w, h).data;
        let drawn = false;
        for (let i = 4; i < pixels.length && !drawn; i += 4)
          drawn = pixels[i] !== pixels[0] || pixels[i + 1] !== pixels[1] || pixels[i + 2] !== pixels[2];
        if (!drawn) blank.push(block.textContent.trim().slice(0, 40));
      }
      return blank;
    }""", base64.b64encode(shot).decode())


CAPTURED = "ch4-code/pytorch-cnn/"


@pytest.mark.parametrize("width", [1280, 375])
def test_a_full_page_capture_and_print_show_every_block(browser, base_url, width):
    # A long page (nine screens at 1280 px; code, a table, a formula, figures): most of its blocks
    # are below the first screen. The longest (3.4) takes twice the time and proves no more.
    reader = Reader(browser, base_url, viewport={"width": width, "height": 900})
    page = reader.open(CAPTURED)
    try:  # overrides/main.html renders what book.css skipped, 5 s after load, when idle
        page.wait_for_selector("html[data-book-rendered]", state="attached", timeout=30_000)
    except Exception:  # noqa: BLE001 - then the capture below says what is missing
        pass
    blank = _capture_shows_every_block(page)
    assert not blank, f"a full-page capture at {width} px shows {len(blank)} blocks blank: {blank[:5]}"
    page = reader.open(CAPTURED)
    page.emulate_media(media="print")
    skipped = page.evaluate("""() => [...document.querySelectorAll(".md-typeset *")]
        .filter((el) => getComputedStyle(el).contentVisibility !== "visible").length""")
    blank = _capture_shows_every_block(page)
    assert not skipped and not blank, f"printed: {skipped} blocks skipped, {len(blank)} blank: {blank[:5]}"
    assert not reader.take_problems()
    reader.context.close()


def test_chinese_text_is_not_kerned(reader):
    # Material's font-feature-settings: "kern" squeezes Chinese punctuation to half width in Firefox.
    page = reader.open("ch3-algorithms/rnn/")
    kerned = page.evaluate("""() => ["article p", "article pre code", "article p code", "nav",
                                     "input.md-search__input"]
        .map((s) => [s, getComputedStyle(document.querySelector(s)).fontFeatureSettings])
        .filter(([, features]) => /kern/.test(features))""")
    assert not kerned, f"text with font-feature-settings \"kern\": {kerned}"


def test_chinese_is_drawn_in_a_chinese_font(reader):
    # What every check of a page's layout measures: the glyphs of a CJK font, as on a reader's
    # phone, not the boxes of a machine without one (browser_support.chromium_env adds the font).
    page = reader.open("ch1-background/definition/")
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument")["root"]["nodeId"]
    for selector in ["article h1", "article p", ".md-header__topic .md-ellipsis"]:
        chinese = len(re.findall(r"[\u4e00-\u9fff]", page.evaluate(
            "(s) => [...document.querySelector(s).childNodes].filter((n) => n.nodeType === 3)"
            ".map((n) => n.textContent).join('')", selector)))
        node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
        fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
        cjk = sum(f["glyphCount"] for f in fonts if f["postScriptName"] == CJK_FONT.removesuffix(".otf"))
        assert chinese and cjk >= chinese, f"{selector}: {chinese} Chinese characters, drawn in {fonts}"


# Runs in the page: the element that has keyboard focus, where it is, and what it is called.
_FOCUSED_JS = """() => {
  const el = document.activeElement;
  // Material draws the focus of its hidden radio buttons (the palette) on the label after them.
  const drawn = el.matches(".md-option") ? el.nextElementSibling : el, box = drawn.getBoundingClientRect();
  const labelled = el.getAttribute("aria-labelledby");
  const name = (el.getAttribute("aria-label") || (labelled && document.getElementById(labelled)?.textContent)
    || el.innerText || el.getAttribute("title") || el.querySelector("img")?.alt || el.value || "").trim();
  return {tag: el.tagName.toLowerCase(), cls: String(el.className), name,
          shown: box.width > 0 && box.height > 0 && drawn.checkVisibility({visibilityProperty: true})};
}"""


def test_every_tab_stop_is_visible_and_named(reader):
    page = reader.open("ch3-algorithms/cnn/")
    found, seen = [], 0
    for n in range(1, 60):  # the header, the navigation (with its chevrons), the page's first links
        page.keyboard.press("Tab")
        focused = page.evaluate(_FOCUSED_JS)
        if focused["tag"] == "body":
            break
        seen += 1
        where = f"Tab stop {n}: <{focused['tag']} class=\"{focused['cls']}\">"
        if not focused["shown"]:
            found.append(f"{where} is not visible (focus vanishes)")
        if not focused["name"]:
            found.append(f"{where} has no name")
    assert seen > 30, f"only {seen} Tab stops"  # guard: the keyboard walked the navigation
    assert not found, "\n".join(found)


def test_the_404_page_speaks_chinese(reader):
    page = reader.open("404.html")  # what GitHub Pages serves for an address it does not have
    heading = page.locator("h1").first.inner_text()
    assert re.search(r"[\u4e00-\u9fff]", heading) and "Not found" not in heading, heading
    assert page.evaluate("document.documentElement.lang") == "zh"
    home = page.locator("article a", has_text="首页")
    assert home.count() == 1
    home.click()
    page.wait_for_load_state()
    assert urlsplit(page.url).path == "/", page.url


def test_dark_mode_toggle_works_and_holds(reader):
    page = reader.open("ch1-background/definition/")

    def look():
        return page.evaluate("""() => [document.body.getAttribute("data-md-color-scheme"),
                                       getComputedStyle(document.body).backgroundColor]""")

    light = look()
    assert light[0] == "default"
    page.locator("label.md-header__button[for^='__palette']:visible").click()
    dark = look()
    assert dark[0] == "slate" and dark[1] != light[1], f"toggle did not darken the page: {light} -> {dark}"
    page = reader.open("ch1-background/")
    assert look() == dark, "the dark scheme did not hold on the next page"
    toggle = page.locator("label.md-header__button[for^='__palette']:visible")
    assert toggle.count() == 1 and toggle.get_attribute("for") == "__palette_0", "no way back to light"
    toggle.click()
    assert look() == light, "the toggle did not bring the light scheme back"
    assert not reader.take_problems()


def test_palette_follows_the_system_until_the_reader_chooses(browser, base_url):
    # overrides/partials/palette.html stands in for Material's palette component: check what that
    # component did. A system set to dark gets the dark scheme, and the browser's own widgets too.
    night = Reader(browser, base_url, viewport={"width": 1280, "height": 900}, color_scheme="dark")
    page = night.open("ch2-concepts/")
    scheme = page.evaluate("""() => [document.body.getAttribute("data-md-color-scheme"),
        document.querySelector("meta[name=color-scheme]")?.content]""")
    assert scheme == ["slate", "dark"], scheme
    # Keyboard: Enter on the focused option switches too, and the choice is kept.
    page.focus("#__palette_1")
    page.keyboard.press("Enter")
    assert page.evaluate("document.body.getAttribute('data-md-color-scheme')") == "default"
    page = night.open("ch3-algorithms/")
    assert page.evaluate("document.body.getAttribute('data-md-color-scheme')") == "default", \
        "the reader's choice of light did not win over the system's dark on the next page"
    assert not night.take_problems()
    night.context.close()


def test_copy_button_copies_the_block(reader):
    page = reader.open("ch1-background/definition/")
    block = page.locator("div.language-python.highlight").first
    reader.bring_into_view(block)
    block.hover()
    block.locator("button[data-md-type='copy']").click()
    copied = page.evaluate("navigator.clipboard.readText()")
    shown = block.locator("code").inner_text()
    assert copied.strip() == shown.strip() and "get_model_path" in copied
    assert not reader.take_problems()

"""Promise: `make pdf` prints the whole book as one PDF a reader can take away.

Checked on the PDF itself (pypdf), which `make pdf` writes as <site>/book.pdf (bench/pdf.py) and
then tests here (BOOK_BUILT_SITE: the site it printed). Without a PDF these tests skip: `make
test` does not print the book (minutes of Chromium; `make pdf` and the Pages workflow do).

* every nav page's title appears in the text after the contents, in nav order;
* the contents give each section the page its destination lies on, and link to it;
* internal links are links to places in the PDF (named destinations that exist), never to the
  print server's address;
* no raw TeX in the text (code excluded), and no equation number over its formula (the printed
  document laid out as Chromium prints it, checked by tests/test_browser.py's own geometry);
* every font is embedded, among them the CJK font and KaTeX's;
* the home page links the PDF;
* its page count and size are reported (and stay within sane bounds).
"""

import os
import re
import unicodedata
from functools import cache
from html import unescape
from pathlib import Path

import pytest

from tests.conftest import ROOT


def _load_bench_pdf():
    import importlib.util
    spec = importlib.util.spec_from_file_location("book_pdf", ROOT / "bench" / "pdf.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


book_pdf = _load_bench_pdf()     # bench/pdf.py: the nav, the page ids, the print document


def _site() -> Path:
    return Path(os.environ.get("BOOK_BUILT_SITE") or ROOT / "site").resolve()


def _pdf_path() -> Path:
    return Path(os.environ.get("BOOK_PDF") or _site() / "book.pdf")


pytestmark = pytest.mark.skipif(not _pdf_path().exists(),
                                reason="no book.pdf: `make pdf` prints the book and runs these tests")


@cache
def _reader():
    from pypdf import PdfReader
    return PdfReader(_pdf_path())


@cache
def _destinations() -> dict[str, int]:
    r = _reader()
    return {name.lstrip("/"): r.get_destination_page_number(dest) + 1
            for name, dest in r.named_destinations.items()}


@cache
def _lines() -> list[list[str]]:
    """Each page's text lines, as a reader reads them. Chromium prints the CJK font as Type3
    glyphs whose text maps some characters to their Kangxi-radical twins (⽤ for 用) and separates
    words with \x01: NFKC and a space undo both."""
    return [[line.strip() for line in unicodedata.normalize("NFKC", page.extract_text() or "")
             .replace("\x01", " ").splitlines()] for page in _reader().pages]


def _pattern(title: str) -> str:
    """A title as a regex over _texts(): a CJK character may come out as a radical twin NFKC leaves
    (⻅ for 见, ⻚ for 页: CJK Radicals Supplement)."""
    return "".join(f"(?:{c}|[\u2e80-\u2fdf])" if "\u4e00" <= c <= "\u9fff" else re.escape(c)
                   for c in re.sub(r"\s+", "", title))


@cache
def _texts() -> list[str]:
    return [re.sub(r"\s+", "", "".join(lines)) for lines in _lines()]


def _pages() -> list[dict]:
    pages = book_pdf.nav_pages()
    for p in pages:
        html = (_site() / p["url"] / "index.html").read_text(encoding="utf-8")
        h1 = re.search(r"<h1[^>]*>(.*?)</h1>", html, re.S)
        heading = unescape(re.sub(r"<[^>]+>", "", h1[1])).replace("¶", "").strip() if h1 else ""
        nfkc = lambda text: unicodedata.normalize("NFKC", text)   # compared with _lines(), which is NFKC  # noqa: E731
        p["title"] = nfkc(p["title"] or heading)
        p["heading"] = nfkc(heading)
    return pages


def _first_body_page() -> int:
    """The page (1-based) where the first section starts: after the cover and the contents."""
    return min(_destinations()[book_pdf.page_id(p["url"])] for p in book_pdf.nav_pages())


def test_every_nav_page_s_title_appears_in_order():
    body = "".join(_texts()[_first_body_page() - 1:])
    at, missing = 0, []
    for p in _pages():   # the nav's title, or the page's own heading (the home page's nav says 首页)
        spots = [m for t in {p["title"], p["heading"]}
                 if t and (m := re.compile(_pattern(t)).search(body, at))]
        if not spots:
            missing.append(p["title"])
        else:
            at = min(spots, key=lambda m: m.start()).end()
    assert not missing, f"titles not found in nav order after the contents: {missing}"


def test_the_contents_give_each_section_its_page():
    dests = _destinations()
    rows = [re.sub(r"\s+", "", line) for lines in _lines()[1:_first_body_page() - 1] for line in lines]
    wrong = []
    for p in _pages():   # a row of the contents: the title, then its page number
        pid = book_pdf.page_id(p["url"])
        assert pid in dests, f"{p['title']}: no destination {pid} in the PDF"
        m = next((m for row in rows if (m := re.fullmatch(_pattern(p["title"]) + r"\.*(\d+)", row))), None)
        if not m or int(m[1]) != dests[pid]:
            wrong.append(f"{p['title']}: contents say {m[1] if m else 'nothing'}, it starts on {dests[pid]}")
    assert not wrong, "\n".join(wrong)
    # Each section starts a new page.
    for p in _pages():
        page = dests[book_pdf.page_id(p["url"])]
        heading = re.sub(r"\s+", "", p["heading"])[:12]
        assert re.search(_pattern(heading), _texts()[page - 1]), f"{p['heading']} is not on page {page}"


def test_internal_links_lead_to_places_in_the_pdf():
    dests, internal, to_server = _destinations(), 0, []
    published = book_pdf._site_url(_site())   # links to the book's own address are meant (SITE_URL)
    for page in _reader().pages:
        for annot in page.get("/Annots") or []:
            a = annot.get_object()
            if a.get("/Subtype") != "/Link":
                continue
            if "/Dest" in a:
                internal += 1
                assert str(a["/Dest"]).lstrip("/") in dests, f"a link to a missing destination {a['/Dest']}"
            uri = str((a.get("/A") or {}).get("/URI", ""))
            local = (re.match(r"^https?://(?:127\.0\.0\.1|localhost)[:/]", uri)
                     and not uri.startswith(published))
            if local or book_pdf.PRINT_PAGE in uri:
                to_server.append(uri)
    assert internal > 500, f"only {internal} internal links"
    assert not to_server, f"links to the print server, dead in the PDF: {to_server[:5]}"


def _runs() -> list[tuple[int, str, str]]:
    """(page, font name, text) of every text run."""
    out = []
    for n, page in enumerate(_reader().pages, start=1):
        def visit(text, cm, tm, font, size, n=n):
            if text.strip():
                out.append((n, str((font or {}).get("/BaseFont", "")), text))
        page.extract_text(visitor_text=visit)
    return out


def test_no_raw_tex_in_the_text():
    from tests.test_browser import _RAW_TEX
    prose = "".join(t for _, font, t in _runs() if "Mono" not in font and "KaTeX" not in font)
    found = [prose[max(0, m.start() - 30):m.end() + 30] for m in re.finditer(_RAW_TEX, prose)]
    assert not found, "raw TeX in the PDF:\n" + "\n".join(found[:10])


def test_fonts_are_embedded():
    names, bare = set(), set()
    for page in _reader().pages:
        fonts = (page.get("/Resources") or {}).get("/Font") or {}
        for font in fonts.values():
            font = font.get_object()
            descendants = [d.get_object() for d in font.get("/DescendantFonts", [])] or [font]
            for f in descendants:
                name = str(f.get("/BaseFont", font.get("/Subtype")))
                names.add(name)
                descriptor = f.get("/FontDescriptor")
                if font.get("/Subtype") == "/Type3":
                    continue                    # drawn by the PDF itself
                if descriptor is None or not any(k in descriptor.get_object()
                                                 for k in ("/FontFile", "/FontFile2", "/FontFile3")):
                    bare.add(name)
    assert not bare, f"fonts not embedded: {sorted(bare)}"
    # Chinese: the Noto Sans CJK subset, or (what Chromium's PDF backend makes of that CFF font)
    # Type3 glyphs drawn by the PDF itself; either way the Chinese text must extract.
    chinese = any(re.search(r"[\u4e00-\u9fff]{4}", t) for t in _texts())
    assert chinese and (any("NotoSansCJK" in n for n in names) or "/Type3" in names), \
        f"no CJK glyphs or text: {sorted(names)[:20]}"
    assert any("KaTeX" in n for n in names), "no KaTeX font"


def test_no_equation_number_over_its_formula():
    """The print document laid out as Chromium prints it (A4 less the margins: a 673 px column,
    print media), with tests/test_browser.py's check of every numbered formula."""
    from playwright.sync_api import sync_playwright

    from tests.browser_support import chromium_missing, launch, serve
    from tests.test_browser import _EQUATION_NUMBERS_JS
    if why := chromium_missing():
        pytest.skip(why)
    site = _site()
    html = book_pdf.document(site, book_pdf.nav_pages(), book_pdf._site_url(site), {})
    (site / book_pdf.PRINT_PAGE).write_text(html, encoding="utf-8")
    try:
        with serve(site) as base, sync_playwright() as playwright:
            browser = launch(playwright)
            page = browser.new_page(viewport={"width": 673, "height": 1000})
            page.emulate_media(media="print")
            page.goto(base + book_pdf.PRINT_PAGE, wait_until="load")
            numbered = page.evaluate("document.querySelectorAll('.math-number, .katex-html .tag').length")
            found = page.evaluate(_EQUATION_NUMBERS_JS)
            browser.close()
    finally:
        (site / book_pdf.PRINT_PAGE).unlink(missing_ok=True)
    assert numbered > 50, f"only {numbered} numbered formulas in the print document"
    assert not found, "\n".join(found[:20])


def test_the_home_page_links_the_pdf():
    html = (_site() / "index.html").read_text(encoding="utf-8")
    assert re.search(r'<a [^>]*href="book\.pdf"', html), "the home page does not link book.pdf"


def test_page_count_and_size(record_property):
    pages, size = len(_reader().pages), _pdf_path().stat().st_size
    record_property("pages", pages)
    record_property("bytes", size)
    print(f"\nbook.pdf: {pages} pages, {size / 1e6:.1f} MB")
    assert 100 < pages < 2000 and size < 100e6, (pages, size)

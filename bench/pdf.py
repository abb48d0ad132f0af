"""`make pdf`: the whole book as one PDF, printed from the built site by the tests' headless Chromium.

One long print document, not per-page PDFs merged: links between sections stay links inside one
document (Chromium writes them as links to places in the PDF), the table of contents can point at
every section, and formulas, code and figures are printed by the same engine and CSS as the site.

* Pages in nav order, each starting on a new page: the content of each built page (its
  <article>), with its ids made unique (`p-<page>--<id>`) and every link to a page of the book
  turned into a link inside the document; other links go to the published site.
* A cover, a table of contents with page numbers (the document is printed twice: the first
  print says where each section's destination lies, read back with pypdf, the second carries the
  numbers), an outline (bookmarks) from the headings, page numbers in the footer.
* Formulas: KaTeX's HTML with its fonts; code as on the site; figures (SVG inline, PNG files);
  both framework tabs, one after the other, each under its label; answers of exercises open.
* Chinese in Noto Sans CJK SC, the font that ships with mplfonts (the machine may have none), which
  Chromium embeds (subset) into the PDF.

Writes <site>/book.pdf (default site/, which `make test` leaves) and prints its page count, size
and the time it took. `make pdf` then checks it (tests/test_pdf.py).
"""

import argparse
import json
import posixpath
import re
import shutil
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import yaml
from bs4 import BeautifulSoup, NavigableString

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.browser_support import launch, serve  # noqa: E402

PRINT_PAGE = "book-print.html"          # written into the site while it is printed, then removed
FONT_DIR = "book-print-fonts"
WORK = ROOT / ".cache" / "pdf"


# --- the pages, in nav order -------------------------------------------------------------------

class _Loader(yaml.SafeLoader):
    """mkdocs.yml without its Python tags (!ENV, !!python/...): only the nav is read."""


_Loader.add_multi_constructor("", lambda loader, suffix, node: None)


def nav_pages() -> list[dict]:
    """[{title, src, url, depth, chapter}] in nav order; title None where the nav gives none."""
    nav = yaml.load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"), Loader=_Loader)["nav"]
    out = []

    def walk(items, depth, chapter):
        for item in items:
            title, value = (None, item) if isinstance(item, str) else next(iter(item.items()))
            if isinstance(value, list):
                walk(value, depth + 1, title)
            else:
                out.append({"title": title, "src": value, "url": page_url(value), "depth": depth,
                            "chapter": chapter})

    walk(nav, 0, None)
    return out


def page_url(src: str) -> str:
    """'ch1-background/index.md' -> 'ch1-background/', 'examples/x.py' -> 'examples/x/'."""
    path = posixpath.splitext(src)[0]
    if posixpath.basename(path) == "index":
        path = posixpath.dirname(path)
    return f"{path}/" if path else ""


def page_id(url: str) -> str:
    return "p-" + (re.sub(r"[^a-z0-9]+", "-", url.lower()).strip("-") or "home")


# --- one document ------------------------------------------------------------------------------

def document(site: Path, pages: list[dict], site_url: str, numbers: dict[str, int]) -> str:
    """The print document: cover, contents (with `numbers`: page id -> PDF page), every page."""
    ids = {p["url"]: page_id(p["url"]) for p in pages}
    sheets, sections = [], []
    for p in pages:
        soup = BeautifulSoup((site / p["url"] / "index.html").read_text(encoding="utf-8"), "html.parser")
        for link in soup.select('link[rel="stylesheet"]'):
            href = _from_root(p["url"], link["href"])
            if href not in sheets:
                sheets.append(href)
        article = soup.select_one("article.md-content__inner")
        h1 = article.find("h1")
        p["heading"] = h1.get_text(" ", strip=True).removesuffix("¶").strip() if h1 else p["title"]
        p["title"] = p["title"] or p["heading"]
        sections.append(_section(article, p, ids, site_url))
    head = "\n".join(f'<link rel="stylesheet" href="{href}">' for href in sheets)
    return f"""<!doctype html>
<html lang="zh-Hans"><head><meta charset="utf-8"><title>AI大模型的学习与进阶</title>
{head}
<style>{PRINT_CSS}</style></head>
<body data-md-color-scheme="default" data-md-color-primary="indigo" data-md-color-accent="indigo">
<div class="md-typeset book-print">
{_cover(site_url)}
{_contents(pages, ids, numbers)}
{''.join(sections)}
</div></body></html>"""


def _from_root(url: str, href: str) -> str:
    """A URL relative to a page at `url`, as relative to the site's root."""
    if re.match(r"^(?:[a-z]+:|#|/)", href):
        return href
    return posixpath.normpath(posixpath.join(url, href))


def _section(article, p: dict, ids: dict[str, str], site_url: str) -> str:
    pid = ids[p["url"]]
    for tag in article.select(".headerlink, .book-downloads, .md-source-file, .md-content__button, "
                              "script, .md-feedback"):
        tag.decompose()
    for tag in article.find_all(id=True):
        if not tag.find_parent("svg") and tag.name != "svg":
            tag["id"] = f"{pid}--{tag['id']}"
    for label_for in article.find_all("label", attrs={"for": True}):
        del label_for["for"]
    for a in article.find_all("a", href=True):
        a["href"] = _link(p["url"], a["href"], ids, site_url)
    for tag in article.find_all(["img", "source"]):
        for attr in ("src", "srcset"):
            if tag.get(attr) and not tag[attr].startswith("data:"):
                tag[attr] = _from_root(p["url"], tag[attr])
        if tag.get("loading"):
            del tag["loading"]                  # a lazy image below the fold would print empty
    for details in article.find_all("details"):
        details["open"] = ""                    # answers of exercises and collapsed details, open
    for tabs in article.select(".tabbed-set"):
        _unfold_tabs(tabs)
    h1 = article.find("h1")
    if h1 is not None and p["title"] != p["heading"]:
        # The nav names the page differently (example pages): say both.
        note = BeautifulSoup(f'<p class="book-nav-title">{p["title"]}</p>', "html.parser")
        h1.insert_before(note)
    return f'<section class="book-page" id="{pid}">{article.decode_contents()}</section>\n'


def _unfold_tabs(tabs):
    """Both framework tabs, one after the other, each under its label (a PDF cannot switch)."""
    labels = [label.get_text(strip=True) for label in tabs.select(":scope > .tabbed-labels > label")]
    blocks = tabs.select(":scope > .tabbed-content > .tabbed-block")
    out = BeautifulSoup("", "html.parser")
    wrapper = out.new_tag("div", attrs={"class": "book-tabs"})
    for label, block in zip(labels, blocks, strict=False):
        title = out.new_tag("p", attrs={"class": "book-tab-label"})
        title.append(NavigableString(label))
        wrapper.append(title)
        block.name = "div"
        block["class"] = ["book-tab-block"]
        wrapper.append(block.extract())
    tabs.replace_with(wrapper)


def _link(url: str, href: str, ids: dict[str, str], site_url: str) -> str:
    if re.match(r"^[a-z][a-z0-9+.-]*:", href):
        return href
    if href.startswith("#"):
        return f"#{ids[url]}--{href[1:]}" if href[1:] else f"#{ids[url]}"
    parts = urlsplit(href)
    target = _from_root(url, parts.path) if parts.path else url.rstrip("/")
    target = "" if target in (".", "") else target.rstrip("/") + "/"
    if target in ids:
        return f"#{ids[target]}--{parts.fragment}" if parts.fragment else f"#{ids[target]}"
    return urljoin(site_url, _from_root(url, href))       # a file (notebook, script, figure): the site


def _cover(site_url: str) -> str:
    when = datetime.now(UTC).strftime("%Y-%m-%d")
    return f"""<section class="book-cover">
<p class="book-cover-title">AI大模型的学习与进阶</p>
<p class="book-cover-subtitle">一本可执行的中文教材：从梯度下降到自注意力，用 PyTorch、TensorFlow 与
Hugging Face Transformers 把每个公式写成代码，并逐段验证</p>
<p class="book-cover-meta">全书 PDF，由本书网站打印，{when}<br>网站：<a href="{site_url}">{site_url}</a></p>
</section>"""


def _contents(pages: list[dict], ids: dict[str, str], numbers: dict[str, int]) -> str:
    """A row per page; a chapter's index page is the chapter's row, a group without one (示例, 附录)
    gets a heading row of its own."""
    rows, chapter = [], None
    for p in pages:
        index = p["src"].endswith("index.md")
        if p["chapter"] != chapter and p["chapter"] and not index:
            rows.append(f'<li class="book-toc-part">{p["chapter"]}</li>')
        chapter = p["chapter"]
        pid = ids[p["url"]]
        level = 0 if p["depth"] == 0 or index else 1
        rows.append(f'<li class="book-toc-{level}"><a href="#{pid}"><span class="book-toc-title">{p["title"]}'
                    f'</span><span class="book-toc-page">{numbers.get(pid, 0):>3}</span></a></li>')
    return f'<section class="book-contents"><h1>目录</h1><ol>{"".join(rows)}</ol></section>'


PRINT_CSS = """
@font-face { font-family: "Book CJK"; src: url("book-print-fonts/NotoSansCJKsc-Regular.otf"); }
@font-face { font-family: "Book CJK Mono"; src: url("book-print-fonts/NotoSansMonoCJKsc-Regular.otf"); }
@page { size: A4; margin: 18mm 16mm 20mm 16mm; }
html { font-size: 125%; }
body { margin: 0; background: #fff; }
.book-print, .md-typeset { font-family: Helvetica, Arial, "Book CJK", sans-serif; font-size: .68rem; }
.md-typeset code, .md-typeset pre, .md-typeset kbd {
  font-family: "DejaVu Sans Mono", "Liberation Mono", monospace, "Book CJK Mono", "Book CJK"; }
.md-typeset pre > code { white-space: pre-wrap; word-break: break-all; overflow: visible; }
.md-typeset figure, .katex-display, .book-tab-label { break-inside: avoid; }
.book-tab-label { break-after: avoid; }
.md-typeset h1, .md-typeset h2, .md-typeset h3 { break-after: avoid; }
.book-page { break-before: page; }
.book-cover { height: 240mm; display: flex; flex-direction: column; justify-content: center; }
.book-cover-title { font-size: 2.2rem; font-weight: 700; margin: 0 0 1rem; }
.book-cover-subtitle { font-size: 1rem; line-height: 1.6; }
.book-cover-meta { margin-top: 3rem; color: #444; }
.book-contents { break-before: page; }
.book-contents ol { list-style: none; padding: 0; margin: 0; }
.book-contents li { margin: .15rem 0; }
.book-contents li.book-toc-part { font-weight: 700; margin-top: .5rem; }
.book-contents li.book-toc-1 { padding-left: 1.5em; }
.md-typeset .book-contents a { display: flex; color: inherit; text-decoration: none; }
.book-contents .book-toc-title { flex: 1; border-bottom: 1px dotted #888; margin-right: .4em; }
.book-contents .book-toc-page { font-variant-numeric: tabular-nums; white-space: pre; }
.book-tab-label { font-weight: 700; margin: .8em 0 .2em; color: #303f9f; }
.book-nav-title { color: #555; margin: 0; }
.md-typeset details { break-inside: auto; }
.md-typeset .tabbed-labels, .md-typeset input[type=radio] { display: none; }
"""


# --- printing ----------------------------------------------------------------------------------

def print_pdf(site: Path, html: str, out: Path, base: str, page) -> None:
    (site / PRINT_PAGE).write_text(html, encoding="utf-8")
    page.goto(base + PRINT_PAGE, wait_until="load")
    page.evaluate("document.fonts.ready.then(() => true)")
    page.pdf(path=str(out), format="A4", print_background=True, display_header_footer=True,
             header_template="<span></span>",
             footer_template='<div style="font-size:8px;width:100%;text-align:center;color:#555">'
                             '<span class="pageNumber"></span> / <span class="totalPages"></span></div>',
             margin={"top": "18mm", "bottom": "20mm", "left": "16mm", "right": "16mm"},
             outline=True, tagged=True, prefer_css_page_size=True)


def destinations(pdf: Path, pids: list[str]) -> dict[str, int]:
    """Page id -> the 1-based page its section starts on, from the PDF's named destinations (Chromium
    writes one for the target of each internal link: the contents link every section)."""
    from pypdf import PdfReader
    reader = PdfReader(pdf)
    found = {}
    for name, dest in reader.named_destinations.items():
        if name.lstrip("/") in pids:
            found[name.lstrip("/")] = reader.get_destination_page_number(dest) + 1
    return found


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, default=ROOT / "site")
    parser.add_argument("--out", type=Path, help="default: <site>/book.pdf")
    args = parser.parse_args()
    site, start = args.site.resolve(), time.perf_counter()
    out = (args.out or site / "book.pdf").resolve()
    if not (site / "index.html").exists():
        raise SystemExit(f"no built site in {site}: run `make test` (or `make build`) first")
    import mkdocs  # noqa: F401  (the venv's; the published address is the build's)
    site_url = _site_url(site)
    pages = nav_pages()
    fonts = site / FONT_DIR
    from mplfonts.conf import FONT_DIR as MPL_FONTS
    fonts.mkdir(exist_ok=True)
    for name in ("NotoSansCJKsc-Regular.otf", "NotoSansMonoCJKsc-Regular.otf"):
        shutil.copyfile(Path(MPL_FONTS) / name, fonts / name)
    WORK.mkdir(parents=True, exist_ok=True)
    from playwright.sync_api import sync_playwright
    numbers: dict[str, int] = {}
    try:
        with serve(site) as base, sync_playwright() as playwright:
            browser = launch(playwright)
            page = browser.new_page()
            prints = 0
            while prints < 3:                 # numbers found, printed, and found again unchanged
                html = document(site, pages, site_url, numbers)
                print_pdf(site, html, out, base, page)
                prints += 1
                found = destinations(out, [page_id(p["url"]) for p in pages])
                if found == numbers:
                    break
                numbers = found
            browser.close()
    finally:
        (site / PRINT_PAGE).unlink(missing_ok=True)
        shutil.rmtree(fonts, ignore_errors=True)
    from pypdf import PdfReader
    count = len(PdfReader(out).pages)
    info = {"pages": count, "bytes": out.stat().st_size, "seconds": round(time.perf_counter() - start, 1),
            "prints": prints, "sections": len(pages), "located": len(numbers),
            "titles": [p["title"] for p in pages]}
    (WORK / "book.json").write_text(json.dumps(info, ensure_ascii=False, indent=1))
    print(f"{out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}: {count} pages, "
          f"{out.stat().st_size / 1e6:.1f} MB, {info['seconds']} s ({prints} prints); "
          f"{len(numbers)} of {len(pages)} sections located for the contents")


def _site_url(site: Path) -> str:
    """The address the site was built for (its canonical link on the home page)."""
    m = re.search(r'<link rel="canonical" href="([^"]+)"', (site / "index.html").read_text(encoding="utf-8"))
    return m[1] if m else "http://127.0.0.1:8000/"


if __name__ == "__main__":
    main()

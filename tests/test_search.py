"""Promise: the search finds Chinese terms as words, ranks the page that defines a term near the top,
highlights what it found, and shows readable snippets.

* The index (search/search_index.json, no browser): snippets are text a reader can read: no raw
  TeX outside code, no notebook prompts ("In [1]:", "Copied!"), no cell's code twice, no "¶" in a
  title; the glossary's terms are whole words in it; each section a glossary row links to
  carries that row's terms (hooks/search_words.py).
* Ranking, in the browser (the search box, Material's worker and the book's wrapper of it, as a
  reader types): for each term of TERMS that has a glossary row, the page the row links to (where
  the term is defined) is among the first three results. Measured by rank of that page in the
  result list, the list Material shows (one entry per page, best first).
* Highlighting: after clicking a result, the page marks every character of the query (`?h=`).

tests/test_browser.py checks that words from the middle of a sentence and English terms are found.
"""

import json
import re
from urllib.parse import parse_qs, urlsplit

import pytest

from tests import test_browser
from tests.conftest import ROOT

# The browser tests' fixtures: the built site, served on loopback, and headless chromium.
browser, site_dir, base_url = test_browser.browser, test_browser.site_dir, test_browser.base_url

# Terms a reader looks up (the list and more). A term counts if the glossary has a row for
# it (or, failing that, for the shortest term that starts with it: 注意力 -> 注意力头).
TERMS = ["过拟合", "损失函数", "学习率", "注意力", "梯度下降", "反向传播", "卷积核", "隐状态",
         "残差连接", "层归一化", "分词", "困惑度", "自注意力", "预训练", "微调", "词元", "知识蒸馏",
         "梯度消失", "余弦相似度", "缩放定律", "长短期记忆网络", "数据增强"]
TOP = 3
_ROW = re.compile(r"^\| (?P<zh>[^|]+?) \| (?P<en>[^|]+?) \| \[[^\]]+\]\((?P<page>[^)#]+)(?:#[^)]*)?\) \|$",
                  re.M)  # a glossary row, as tests/test_glossary.py reads it
_SEPARATOR = re.compile(r"[\s\u200b\u3000\-、。，．？！；]+")  # Material's, for Chinese


def _index(site_dir) -> dict:
    return json.loads((site_dir / "search" / "search_index.json").read_text(encoding="utf-8"))


def _glossary_term(term: str) -> tuple[str, str] | None:
    """The glossary's term for `term` (itself, or the shortest that starts with it) and the page
    (URL path) where the glossary says it is defined."""
    glossary = (ROOT / "docs" / "glossary.md").read_text(encoding="utf-8")
    rows = [(w, m["page"]) for m in _ROW.finditer(glossary)
            for w in (re.sub(r"（[^）]*）", "", w).strip() for w in m["zh"].split(" / "))]
    found = [(word, page) for word, page in rows if word == term]
    found = found or [(w, page) for w, page in sorted(rows, key=lambda r: len(r[0])) if w.startswith(term)]
    if not found:
        return None
    word, page = found[0][0], found[0][1].removesuffix(".md")
    return word, page.removesuffix("index") if page.endswith("index") else page + "/"


def _defined(term: str) -> str | None:
    """The page (URL path) where the glossary says `term` is defined."""
    return (_glossary_term(term) or (None, None))[1]


# --- the index ---------------------------------------------------------------------------------
def test_search_snippets_are_readable_text(site_dir):
    found = []
    for entry in _index(site_dir)["docs"]:
        where, title, text = entry["location"], entry["title"], entry["text"]
        prose = re.sub(r"<pre>.*?</pre>|<code>.*?</code>", " ", text, flags=re.S).replace("\u200b", "")
        if "¶" in title:
            found.append(f"{where}: a title with ¶: {title!r}")
        if m := re.search(test_browser._RAW_TEX, prose):
            found.append(f"{where}: raw TeX …{prose[max(0, m.start() - 30):m.end() + 30]!r}…")
        if m := re.search(r"In\s?\[[\d\s]*\]:|Out\s?\[\d+\]:|Copied!", text):
            found.append(f"{where}: a notebook prompt {m[0]!r}")
        blocks = [b for b in re.findall(r"<pre>(.*?)</pre>", text, re.S) if len(b.strip()) > 40]
        if where.startswith("examples/") and len(blocks) != len(set(blocks)):
            found.append(f"{where}: a notebook cell's code twice")
    assert not found, f"{len(found)} unreadable snippets:\n  " + "\n  ".join(found[:20])


def test_glossary_terms_are_whole_words_in_the_index(site_dir):
    index = _index(site_dir)
    words = {w for entry in index["docs"] for field in ("title", "text")
             for w in _SEPARATOR.split(entry[field])}
    terms = [found[0] for t in TERMS if (found := _glossary_term(t))]
    cut = [t for t in terms if t not in words]
    assert len(terms) >= 10, terms  # guard: the glossary was read
    assert not cut, f"glossary terms the index cut into pieces: {cut}"
    # The section that defines a term carries it (hooks/search_words.py), in a field of its own.
    assert "terms" in index["config"]["fields"]
    carried = {w for entry in index["docs"] for w in _SEPARATOR.split(entry.get("terms", ""))}
    assert {"过拟合", "反向传播"} <= carried, sorted(carried)[:20]


# --- in the browser ------------------------------------------------------------------------------
@pytest.fixture
def reader(browser, base_url):
    one = test_browser.Reader(browser, base_url, viewport={"width": 1280, "height": 900})
    yield one
    one.context.close()


def _ranked(page, query: str) -> list[str]:
    """Type `query` into the search box; the pages of the results, best first."""
    page.locator(".md-search__input").click()
    box = page.locator("input.md-search__input")
    box.fill("")  # the results of an earlier query go (Material shows its placeholder instead)
    box.press("End")
    page.wait_for_function("""() =>
        !document.querySelector(".md-search-result__meta").textContent.includes("结果")""")
    box.fill(query)
    box.press("End")  # Material searches on keyup
    page.wait_for_function("""(query) => document.querySelector(".md-search__input").value === query
        && document.querySelector(".md-search-result__meta").textContent.includes("结果")""", arg=query)
    hrefs = page.eval_on_selector_all(".md-search-result__item > a", "els => els.map(a => a.href)")
    return list(dict.fromkeys(urlsplit(href).path.lstrip("/") for href in hrefs))


def test_the_page_that_defines_a_term_is_among_the_first_three_results(reader):
    page = reader.open("")
    checked, wrong = [], []
    for term in TERMS:
        where = _defined(term)
        if where is None:
            continue
        ranked = _ranked(page, term)
        checked.append(term)
        rank = ranked.index(where) + 1 if where in ranked else None
        if rank is None or rank > TOP:
            found = f"number {rank}" if rank else "not found"
            wrong.append(f"{term}: {where} is {found}; first: {ranked[:TOP]}")
    assert len(checked) >= 10, checked  # guard: the glossary has rows for most of TERMS
    assert not wrong, (f"{len(wrong)} of {len(checked)} terms rank their page below {TOP}:\n  "
                       + "\n  ".join(wrong))
    assert not reader.take_problems()


@pytest.mark.parametrize("query", ["损失函数", "梯度下降"])
def test_a_result_highlights_every_part_of_the_query(reader, query):
    page = reader.open("")
    ranked = _ranked(page, query)
    assert ranked, f"nothing found for {query!r}"
    with page.expect_navigation():
        page.locator(".md-search-result__item > a").first.click()
    highlighted = parse_qs(urlsplit(page.url).query).get("h", [""])[0]
    page.wait_for_function("document.querySelector('mark[data-md-highlight]') !== null")
    marked = "".join(page.eval_on_selector_all("article mark[data-md-highlight]",
                                                "marks => marks.map(m => m.textContent)"))
    missing = [c for c in query if c not in marked]
    assert not missing, f"{query!r}: ?h={highlighted!r} marks only {sorted(set(marked))} on {page.url}"
    assert not reader.take_problems()


def test_search_index_hook_reads_formulas_from_the_katex_hook_it_runs_with():
    # hooks/search_index.py does `import katex`: the very module mkdocs loaded as hooks/katex.py,
    # whose cache holds every formula already rendered (a second copy would render them again).
    import subprocess
    import sys
    probe = ("import sys; from mkdocs.config import load_config; load_config('mkdocs.yml'); "
             "print(sys.modules['katex'] is sys.modules['hooks/katex.py'])")
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True)
    assert done.stdout.strip() == "True", done.stdout + done.stderr[-2000:]

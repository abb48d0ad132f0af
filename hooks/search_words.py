"""Chinese search by words: the glossary's terms and the headings' phrases are whole words, in the
index and in the query alike.

The index: Material's search plugin (`search: lang: zh`) cuts each Chinese run of a page into
words with jieba, whose dictionary does not know the book's terms: 过拟合 was 过/拟合, 学习率
学习/率, 损失函数 损失/函数. Before any page is indexed (`on_env`: every page has been converted,
none indexed yet), this adds to jieba's dictionary every Chinese term of docs/glossary.md and
every phrase of a heading that names something: 2–8 characters between punctuation, without a
particle, pronoun or number word (多头注意力, 缩放点积注意力; not 梯度为什么会消失).

The query: Material's search worker cuts a Chinese query by the index's own words, but never
matches a word that ends the query (its loop stops one character short): 过拟合 became 过* and
found 过去 and 过程. Its worker is wrapped by overrides/assets/javascripts/workers/book-search.js,
which cuts each Chinese run into the index's words itself; this hook points the page's search
configuration at the wrapper (and tells the wrapper which worker of Material's to load).

Ranking: the section a glossary row links to (where the term is defined) gets the row's terms,
Chinese and English, in a field of its own, `terms`, boosted like a title (mkdocs.yml): lunr
weighs every occurrence alike, so a long example page that uses 损失函数 often outranked 3.1,
which defines it. The field is not shown; it only says what the section is about.
"""

import hashlib
import json
import re
from pathlib import Path

import jieba
import page_check  # hooks/page_check.py (mkdocs puts hooks/ on sys.path to load a hook)
from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority

ROOT = Path(__file__).resolve().parent.parent
GLOSSARY = ROOT / "docs" / "glossary.md"
WRAPPER = ROOT / "overrides" / "assets" / "javascripts" / "workers" / "book-search.js"

# A glossary row: | 中文 | English | [where](page.md#heading) |   (as tests/test_glossary.py reads it)
_ROW = re.compile(r"^\| (?P<zh>[^|]+?) \| (?P<en>[^|]+?) \| "
                  r"\[[^\]]+\]\((?P<page>[^)#]+)(?P<anchor>#[^)]*)?\) \|$", re.M)
# Any row of the glossary's tables (also 用词约定: | 采用 | 不用 | 说明 |): its first cell is a term.
_FIRST_CELL = re.compile(r"^\| (?!中文 |采用 |-)([^|]+?) \|", re.M)
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
# Characters that make a heading's phrase a sentence rather than a name.
_NOT_A_NAME = re.compile("[的了吗么呢着把被让向从都也只会能要用做看读找为什怎样"
                         "与和及或是有不还再就这那每个一两三四五六几真往]")
# Material's configuration in each page names its worker: "search": ".../workers/search.<hash>.min.js"
_WORKER = re.compile(r'("search": "[^"]*/workers/)(search\.[0-9a-f]+\.min\.js)(")')


def _words(cell: str) -> list[str]:
    """'卷积核 / 滤波器' -> both; '冻结（参数）' -> 冻结 (as tests/test_glossary.py splits a cell)."""
    return [re.sub(r"（[^）]*）|\([^)]*\)", "", w).strip().strip("`") for w in cell.split(" / ")]


def glossary_terms(text: str) -> list[str]:
    """The Chinese words of the glossary's terms: 'AI大模型 / 基础模型' -> 大模型, 基础模型."""
    return [run for cell in _FIRST_CELL.findall(text) for word in _words(cell)
            for run in _HAN.findall(word) if len(run) >= 2]


def defined_where(text: str) -> dict[tuple[str, str], list[str]]:
    """(page.md, '#anchor' or '') -> the terms, Chinese and English, that the glossary says are
    defined there."""
    where: dict[tuple[str, str], list[str]] = {}
    for row in _ROW.finditer(text):
        where.setdefault((row["page"], row["anchor"] or ""), []).extend(
            w for w in _words(row["zh"]) + _words(row["en"]) if w)
    return where


def heading_phrases(titles) -> list[str]:
    return [phrase for title in titles for phrase in _HAN.findall(title)
            if 2 <= len(phrase) <= 8 and not _NOT_A_NAME.search(phrase)]


def _titles(toc):
    for item in toc:
        yield item.title
        yield from _titles(item.children)


_definitions: dict[str, list[str]] = {}  # search index location -> terms defined there


def on_env(env, config, files):
    if page_check.PAGE:
        return env   # no search index in a one-page check
    glossary = GLOSSARY.read_text(encoding="utf-8")
    titles = [title for file in files.documentation_pages() if file.page and file.page.toc
              for title in _titles(file.page.toc)]
    for word in dict.fromkeys(glossary_terms(glossary) + heading_phrases(titles)):
        jieba.add_word(word)  # with the frequency that makes jieba keep it whole
    _definitions.clear()
    for (page, anchor), terms in defined_where(glossary).items():
        if file := files.get_file_from_path(page):  # the search index's location of that section
            _definitions[file.url + anchor] = terms
    return env


@event_priority(-50)  # after Material's search plugin has written the index
def on_post_build(config):
    path = Path(config.site_dir) / "search" / "search_index.json"
    if not path.exists():
        return
    index = json.loads(path.read_text(encoding="utf-8"))
    if "terms" not in index["config"]["fields"]:
        raise PluginError("hooks/search_words.py: mkdocs.yml's search plugin lost its `terms` field")
    for entry in index["docs"]:
        if terms := _definitions.get(entry["location"]):
            entry["terms"] = "\u200b".join(terms)  # the index's own word separator
    path.write_text(json.dumps(index, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")


_version = hashlib.sha256(WRAPPER.read_bytes()).hexdigest()[:8]  # a new wrapper is fetched anew


def on_post_page(output, page, config):
    if '"search": ' not in output:
        return output
    wrapped, n = _WORKER.subn(rf"\1book-search.js?material=\2&v={_version}\3", output, count=1)
    if n != 1:
        raise PluginError(f"hooks/search_words.py: Material's search worker is no longer named in "
                          f"the page's configuration as expected ({page.file.src_uri})")
    return wrapped

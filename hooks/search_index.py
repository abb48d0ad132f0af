"""What Material's search index reads: each page as a reader reads it, not as its markup says.

Material's search plugin indexes `page.content` in its `on_page_context` (priority 0). Just before
it (priority 50) this hook puts a copy of the page prepared for search in `page.content`, and just
after it (priority -50) puts the reader's page back: mkdocs' `CombinedEvent` registers both halves
under the one event. The copy differs from the page in what a search result shows:

* code has no Pygments `<span>` per token: the same text, and the index's HTML walk takes half
  the time (it was a third of a build, ~1 s of ~2.6 s, paid on every `make serve` edit);
* a formula is plain text a reader can read (`y = ϕ(xW+b)`, hooks/katex.py's `readable`), not
  its TeX (until `on_post_page` an element holds its TeX, hooks/katex.py);
* example pages lose what the notebook renderer adds around a cell: the `In [1]:` prompts, the
  copy button's hidden "Copied!", the hidden second copy of each cell's code (for that button),
  and the "¶" of each heading.
"""

import html
import re

import katex  # hooks/katex.py (mkdocs puts hooks/ on sys.path to load a hook; one module, see there)
import page_check  # hooks/page_check.py
from mkdocs.plugins import CombinedEvent, event_priority

_PRE = re.compile(r"<pre\b.*?</pre>", re.S)
_SPAN = re.compile(r"</?span\b[^>]*>")
_MATH = re.compile(r'(<(span|div) class="math-(inline|display)"[^>]*>)([^<]*)(</\2>)')
_NOTEBOOK_CHROME = re.compile(
    r'<div class="jp-(?:In|Out)putPrompt[^"]*"[^>]*>[^<]*</div>'   # In [1]: / Out[1]:
    r"|<clipboard-copy\b.*?</clipboard-copy>"                      # the button, with "Copied!"
    r'|<div class="clipboard-copy-txt"[^>]*>.*?</div>'            # the code again, for the button
    r'|<a class="anchor-link"[^>]*>¶</a>', re.S)                   # a heading's ¶

_shown: dict[int, str] = {}  # id(page) -> the reader's content while the index reads the copy


def for_search(content: str) -> str:
    """The page as the search index should read it."""
    content = _PRE.sub(lambda m: _SPAN.sub("", m[0]), content)
    content = _NOTEBOOK_CHROME.sub("", content)
    return _MATH.sub(lambda m: m[1] + html.escape(
        katex.readable(html.unescape(m[4]), m[3] == "display"), quote=False) + m[5], content)


@event_priority(50)
def _give_the_index_a_copy(context, *, page, config, nav):
    if page_check.PAGE:
        return context   # no search index in a one-page check
    _shown[id(page)] = page.content
    page.content = for_search(page.content)
    return context


@event_priority(-50)
def _give_the_page_back(context, *, page, config, nav):
    if page_check.PAGE:
        return context
    page.content = _shown.pop(id(page))
    return context


on_page_context = CombinedEvent(_give_the_index_a_copy, _give_the_page_back)

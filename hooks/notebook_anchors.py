"""Give the headings of example pages the ids their table of contents links to.

mkdocs-jupyter builds an example page's table of contents with Markdown's ASCII slugs, so a
Chinese heading gets the anchor "_1", "_2", ..., while nbconvert writes the heading itself with an
empty id (`<h2 id="">数据<a class="anchor-link" href="#">¶</a></h2>`): every TOC link and every
¶ link of the page goes nowhere. This walks the headings and the TOC in document order (both list
every heading) and gives each heading its TOC entry's id, and its ¶ link the same target.
"""

import logging
import re

from examples import is_example  # hooks/examples.py: mkdocs puts hooks/ on sys.path to load a hook

log = logging.getLogger("mkdocs.hooks.notebook_anchors")
_HEADING = re.compile(r'<h([1-6]) id="([^"]*)">(.*?)<a class="anchor-link" href="#[^"]*">', re.S)


def _flatten(toc):
    for link in toc:
        yield link
        yield from _flatten(link.children)


def on_page_content(html, page, config, files):
    if not is_example(page):
        return html
    uri = page.file.src_uri
    links = list(_flatten(page.toc))
    headings = list(_HEADING.finditer(html))
    if len(links) != len(headings):
        log.warning("%s: %d headings but %d TOC entries; anchors left as they are",
                    uri, len(headings), len(links))
        return html
    ids = iter(link.id for link in links)

    def fix(match):
        anchor = next(ids)
        return f'<h{match[1]} id="{anchor}">{match[3]}<a class="anchor-link" href="#{anchor}">'

    return _HEADING.sub(fix, html)

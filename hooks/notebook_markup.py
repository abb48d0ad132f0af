"""Example pages' markup (nbconvert's, via mkdocs-jupyter), fixed where readers and checkers trip.

* Every cell's input area is a Tab stop (`tabindex="0"`), prose cells included, while the box that
  actually scrolls a long line of code, inside it, is not: a keyboard cannot scroll it (axe:
  scrollable-region-focusable). The Tab stop moves to the code box; prose cells get none.
* A figure an example draws is a link to its PNG, so a reader on a phone can open it at full
  size (book.css shows it at the column's full width).
* nbconvert writes `<clipboard-copy ,="" …>`: a stray attribute named ",", invalid HTML.
"""

import re

from mkdocs.plugins import event_priority

from examples import is_example  # hooks/examples.py: mkdocs puts hooks/ on sys.path to load a hook

_INPUT_STOP = '<div class="jp-Cell-inputWrapper" tabindex="0">'
_CODE_BOX = re.compile(r'<div class="highlight-ipynb( [^"]*)?">')
_FIGURE = re.compile(r'<div class="jp-RenderedImage jp-OutputArea-output" tabindex="0">(\s*)'
                     r'(<img\b[^>]*\bsrc="([^"]+\.png)"[^>]*>)')


def on_page_content(html, page, config, files):
    if not is_example(page):
        return html
    html = html.replace(_INPUT_STOP, '<div class="jp-Cell-inputWrapper">')
    html = _CODE_BOX.sub(lambda m: m[0][:-1] + ' tabindex="0">', html)
    return html.replace('<clipboard-copy ,="" ', "<clipboard-copy ")


@event_priority(-10)  # after hooks/images.py has made each figure a PNG file beside the page
def on_post_page(output, page, config):
    if not is_example(page):
        return output
    return _FIGURE.sub(r'<div class="jp-RenderedImage jp-OutputArea-output">\1'
                       r'<a class="book-figure" href="\3" title="打开原尺寸的图">\2</a>', output)

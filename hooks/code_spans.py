"""Highlighted code without the spans that change nothing on screen.

Pygments wraps every token of a code block in a `<span class>`; a browser styles each one, and
does so again whenever a script on the page invalidates styles (Material's start-up does so
several times). On the 3.4 RNN page such spans were 4,270 of its 13,000 elements. Those whose
colour is the code's own colour only cost, so they are dropped and their text kept:

* names (`n`) and whitespace (`w`): Material draws them in `--md-code-fg-color` (light and dark),
  and the example pages' notebook CSS leaves them the cell's colour;
* on chapter pages also operators (`o`) and punctuation (`p`), which book.css draws in that same
  colour. (The notebook CSS sets them bold, so example pages keep theirs.)

Search reads code without any spans (hooks/search_index.py): its index is unchanged.
tests/test_site_build.py checks that every code block still shows its source, character for
character.
"""

import re

from examples import is_example  # hooks/examples.py: mkdocs puts hooks/ on sys.path to load a hook

_PLAIN = re.compile(r'<span class="[nw]">([^<]*)</span>')
_PLAIN_IN_CHAPTERS = re.compile(r'<span class="[nwop]">([^<]*)</span>')


def on_page_content(html, page, config, files):
    return (_PLAIN if is_example(page) else _PLAIN_IN_CHAPTERS).sub(r"\1", html)

"""Join Chinese lines: a source line break between two Chinese characters is not a space.

Authors wrap Markdown at about 100 columns, so a sentence often breaks between two Chinese
characters. HTML turns that line break into a space, and Chromium (Chrome, Edge) draws it:
「让构建 失败」. (CSS Text 3 says to drop it between East Asian wide characters; Firefox does,
Chromium does not.) This removes such a break from the page's HTML, also across inline tags
(`中</strong>\\n文`), and leaves alone code, math (its TeX, until hooks/katex.py renders it) and the
hidden copy of each notebook cell. The Markdown keeps its short lines.
"""

import re

# East Asian wide characters: CJK punctuation and symbols, kana, ideographs, full-width forms.
_WIDE = "\u2e80-\u2fff\u3000-\u303f\u3040-\u30ff\u3100-\u312f\u3200-\u32ff\u3400-\u4dbf" \
        "\u4e00-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff01-\uff60\uffe0-\uffe6"
# A break (spaces, one newline, spaces) between two wide characters, with inline tags around it.
_BREAK = re.compile(rf"(?<=[{_WIDE}])((?:<[^<>]+>)*)[ \t]*\n[ \t]*((?:<[^<>]+>)*)(?=[{_WIDE}])")
# Where text is shown as written: code, math, scripts and styles, a notebook cell's hidden copy.
_VERBATIM = re.compile(
    r"<(pre|code|script|style|textarea)\b.*?</\1>"
    r'|<(span|div) class="math-(?:inline|display)"[^>]*>[^<]*</\2>'
    r'|<div class="clipboard-copy-txt"[^>]*>.*?</div>', re.S)


def join_lines(html: str) -> str:
    out, last = [], 0
    for verbatim in _VERBATIM.finditer(html):
        out += [_BREAK.sub(r"\1\2", html[last:verbatim.start()]), verbatim[0]]
        last = verbatim.end()
    out.append(_BREAK.sub(r"\1\2", html[last:]))
    return "".join(out)


def on_page_content(html, page, config, files):
    return join_lines(html)

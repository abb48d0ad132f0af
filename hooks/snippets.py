"""Turn the snippet-test markers in the Markdown into what a reader should see.

tests/snippets.py reads HTML-comment markers (pytest-codeblocks' syntax) that would otherwise stay
in the published HTML. Here, before Markdown is rendered:

* `<!--pytest-codeblocks:expected-output-->` disappears and the fence after it gets the title
  "输出", so the verified output reads as output;
* `<!--pytest-codeblocks:cont-->` disappears and the fence after it gets the title "接上段"
  (it runs in the same session as the block before it);
* `<!--pytest.mark.skip(reason="…")-->` becomes a visible note giving the reason the block is
  not run (a block is never skipped silently);
* every other marker disappears.
"""

import html
import re

_MARKER = re.compile(r"^(?P<indent>[ \t]*)<!--\s*(?P<body>pytest[-.].*?)\s*-->[ \t]*$")
_SKIP_REASON = re.compile(r"""pytest\.mark\.skip\(\s*reason\s*=\s*(["'])(?P<reason>.*?)\1\s*\)""")
_FENCE = re.compile(r"^(?P<open>[ \t]*```+)(?P<info>[^`]*)$")


def on_page_markdown(markdown, page, config, files):
    out, title_next = [], None
    for line in markdown.split("\n"):
        if marker := _MARKER.match(line):
            if "expected-output" in marker["body"]:
                title_next = "输出"
            elif marker["body"].endswith(":cont"):
                title_next = "接上段"
            elif skip := _SKIP_REASON.search(marker["body"]):
                reason = html.escape(skip["reason"])
                out.append(f'{marker["indent"]}<p class="snippet-skipped">'
                           f"此代码块不在测试中运行：{reason}</p>")
            continue
        if title_next and (fence := _FENCE.match(line)):
            if "title=" not in fence["info"]:
                line = f'{fence["open"]}{fence["info"].strip() or "text"} title="{title_next}"'
            title_next = None
        out.append(line)
    return "\n".join(out)

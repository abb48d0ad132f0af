"""Promise: the built pages are valid HTML where the site can make them so.

What the Nu HTML checker (validator.nu) reported on the site that the site itself can fix, checked
here without it (it needs Java and a download): every attribute name is a name (nbconvert wrote
`<clipboard-copy ,="">`), every `<label for>` and ARIA reference names an element of the page
(Material's table-of-contents label on section index pages named none), no id twice, the page's
language is Chinese; on example pages the download buttons come after the title.
"""

import re
from html.parser import HTMLParser

_NAME = re.compile(r"^[a-zA-Z_:][-a-zA-Z0-9_:.]*$")
_REFERENCES = ("aria-labelledby", "aria-describedby", "aria-controls", "aria-owns")


class _Page(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids: list[str] = []
        self.refs: list[tuple[str, str, str]] = []  # (tag, attribute, id)
        self.bad: list[str] = []
        self.lang = None
        self.order: list[str] = []  # h1 and the download buttons, in document order

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if not _NAME.match(name):
                self.bad.append(f"<{tag} {name}=…>")
            elif name == "id" and value:
                self.ids.append(value)
            elif (tag == "label" and name == "for") or name in _REFERENCES:
                self.refs += [(tag, name, ref) for ref in (value or "").split()]
        attrs = dict(attrs)
        if tag == "html":
            self.lang = attrs.get("lang")
        if tag == "h1" or "book-downloads" in (attrs.get("class") or ""):
            self.order.append(tag if tag == "h1" else "downloads")


def test_pages_have_valid_names_references_and_ids(pages):
    found = []
    for path, html in sorted(pages.items()):
        page = _Page()
        page.feed(html)
        ids = set(page.ids)
        found += [f"{path}: invalid attribute {bad}" for bad in page.bad]
        found += [f"{path}: <{tag} {attr}=\"{ref}\"> names no element" for tag, attr, ref in page.refs
                  if ref not in ids]
        found += [f"{path}: id {i!r} twice" for i in sorted(ids) if page.ids.count(i) > 1]
        if page.lang != "zh":
            found.append(f"{path}: <html lang={page.lang!r}>")
        if "downloads" in page.order and page.order.index("downloads") < page.order.index("h1"):
            found.append(f"{path}: the download buttons come before the title")
    assert len(pages) > 20  # guard: the site was read
    assert not found, f"{len(found)} markup errors:\n  " + "\n  ".join(found[:30])

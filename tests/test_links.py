"""Promise: every internal link, image and #anchor in the built site resolves."""

from posixpath import dirname, join, normpath
from urllib.parse import unquote, urlsplit


def _target(page: str, url: str) -> tuple[str, str] | None:
    """(site path of the target file, fragment) for an internal URL; None for external ones."""
    parts = urlsplit(url)
    if parts.scheme or parts.netloc or url.startswith(("mailto:", "data:", "javascript:")):
        return None
    path = unquote(parts.path)
    if not path:
        return page, unquote(parts.fragment)
    resolved = normpath(join(dirname(page), path)) if not path.startswith("/") else path.lstrip("/")
    if path.endswith("/") or resolved in ("", "."):
        resolved = join(resolved, "index.html") if resolved not in ("", ".") else "index.html"
    return resolved, unquote(parts.fragment)


# Printed from the checked site by `make pdf` after these tests (checked there by tests/test_pdf.py).
PRINTED_LATER = {"book.pdf"}


def test_internal_links_and_anchors_resolve(site, parsed):
    broken = []
    for page, doc in sorted(parsed.items()):
        for tag, attr, url, _ in doc.urls:
            target = _target(page, url)
            if target is None:
                continue
            path, fragment = target
            if path in PRINTED_LATER:
                continue
            if not (site / path).is_file():
                broken.append(f"{page}: <{tag} {attr}={url!r}>: no file {path}")
            elif fragment and path.endswith(".html") and fragment not in parsed[path].ids:
                broken.append(f"{page}: <{tag} {attr}={url!r}>: {path} has no id {fragment!r}")
    assert not broken, "broken links:\n" + "\n".join(broken)


def test_checker_sees_links(parsed):
    # Guard against a checker that checks nothing: chapter pages link to each other and to anchors.
    urls = [u for _, _, u, _ in parsed["ch1-background/definition/index.html"].urls]
    assert "#eq-1.1.1" in urls
    assert any(u.startswith("../challenges/") for u in urls)

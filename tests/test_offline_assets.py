"""Promise: no page loads anything from another host (scripts, styles, fonts, images, frames)."""

import re

# <a href> navigates (allowed); everything else with a URL is fetched by the browser.
_FETCHED = {"script", "img", "iframe", "source", "video", "audio", "embed", "object", "track", "input"}
_FETCHED_LINK_RELS = {"stylesheet", "preload", "modulepreload", "prefetch", "icon", "manifest",
                      "apple-touch-icon", "preconnect", "dns-prefetch"}
_CSS_URL = re.compile(r"""(?:url\(\s*['"]?|@import\s+['"])([^'")\s]+)""")
_EXTERNAL = re.compile(r"^(?:https?:)?//", re.I)


def _fetched_urls(doc):
    for tag, attr, url, rel in doc.urls:
        if tag in _FETCHED or (tag == "link" and set(rel.split()) & _FETCHED_LINK_RELS):
            yield f"<{tag} {attr}>", url
    for css in doc.inline_css:
        for url in _CSS_URL.findall(css):
            yield "inline CSS", url


def test_pages_fetch_nothing_from_other_hosts(parsed):
    found = [f"{page}: {what} {url}" for page, doc in sorted(parsed.items())
             for what, url in _fetched_urls(doc) if _EXTERNAL.match(url)]
    assert not found, "assets from other hosts:\n" + "\n".join(found)


def test_stylesheets_fetch_nothing_from_other_hosts(site):
    found = [f"{css.relative_to(site)}: {url}" for css in sorted(site.rglob("*.css"))
             for url in _CSS_URL.findall(css.read_text(encoding="utf-8", errors="replace"))
             if _EXTERNAL.match(url)]
    assert not found, "stylesheets referencing other hosts:\n" + "\n".join(found)


def test_scripts_do_not_import_from_other_hosts(site):
    # Material's mermaid integration, for one, would `import` from a CDN at run time.
    pattern = re.compile(r"""(?:import\s*\(\s*|from\s+|src\s*=\s*)['"](?:https?:)?//""")
    found = [str(js.relative_to(site)) for js in sorted(site.rglob("*.js"))
             if pattern.search(js.read_text(encoding="utf-8", errors="replace"))]
    assert not found, "scripts that import from other hosts:\n" + "\n".join(found)


def test_katex_assets_are_self_hosted(site, parsed):
    css = site / "assets/katex/katex.min.css"
    fonts = _CSS_URL.findall(css.read_text())
    assert fonts and all((css.parent / f).is_file() for f in fonts), "KaTeX font files missing"
    links = [url for _, _, url, rel in parsed["index.html"].urls if "stylesheet" in rel]
    assert any(u.endswith("assets/katex/katex.min.css") for u in links)

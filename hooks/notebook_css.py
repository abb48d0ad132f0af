"""Move the notebook CSS out of example pages into one shared, cacheable stylesheet.

mkdocs-jupyter inlines JupyterLab's stylesheets (about 590 KB) as <style> blocks into every
example page. Here they are written once to `assets/stylesheets/notebook.<hash>.css` and each
example page links that file from its <head> instead: the pages shrink by that much, the browser
parses the CSS before the content (no restyle midway) and caches it across examples. The hash in
the name changes with the content, so a cached copy is never stale.
"""

import hashlib
import re
from pathlib import Path

_STYLE = re.compile(r"<style\b[^>]*>(.*?)</style>\s*", re.S)


def on_post_page(output, page, config):
    uri = page.file.src_uri
    if not (uri.startswith("examples/") and uri.endswith(".py")):  # as hooks/examples.py
        return output
    head, sep, body = output.partition("</head>")
    css = "\n".join(_STYLE.findall(body))
    if not css:
        return output
    name = f"assets/stylesheets/notebook.{hashlib.sha256(css.encode()).hexdigest()[:8]}.css"
    target = Path(config.site_dir) / name
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(css, encoding="utf-8")
    href = "../" * page.url.count("/") + name  # example pages live at examples/<name>/
    link = f'<link rel="stylesheet" href="{href}">\n  '
    return head + link + sep + _STYLE.sub("", body)

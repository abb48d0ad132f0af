"""Put examples/*.py into the site as notebook pages, and keep those pages self-contained.

examples/ lives beside docs/ (the scripts are runnable as `python examples/x.py`), so mkdocs does
not see it. This hook adds each script to the site's files *before* mkdocs-jupyter looks at them
(priority 100), so the plugin renders it like any notebook: `examples/x.py` -> `/examples/x/`.

On the rendered page it then removes what mkdocs-jupyter would fetch from a CDN (MathJax,
mermaid, require.js; formulas are rendered by hooks/katex.py instead) and writes the .ipynb beside
the .py that `include_source` copies, so the page can offer both for download
(overrides/main.html shows the buttons).
"""

import logging
import re
from pathlib import Path

import jupytext
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File

log = logging.getLogger("mkdocs.hooks.examples")
ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"

# A <script> with a src, or an inline one that configures/imports MathJax or mermaid.
_SCRIPT_SRC = re.compile(r"<script\b[^>]*\bsrc=[\"'][^\"']*[\"'][^>]*>\s*</script>", re.S)
_CDN_LOADER = re.compile(
    r"<script\b[^>]*>(?:(?!</script>).)*(?:MathJax|mermaid)(?:(?!</script>).)*</script>", re.S)


_serving = {"now": False}


def on_startup(command, dirty):
    _serving["now"] = command == "serve"


def on_config(config):
    # `make serve` shows the examples unexecuted; there, reuse mkdocs-jupyter's conversion of an
    # unchanged script (.cache/mkdocs-jupyter) so that a rebuild stays fast. Executed builds (make
    # build, make test) never use that cache: its key ignores the installed library versions.
    nb = config.plugins["mkdocs-jupyter"].config
    if _serving["now"] and not nb["execute"]:
        nb["cache"] = True
    return config


def is_example(page) -> bool:
    return page.file.src_uri.startswith("examples/") and page.file.src_uri.endswith(".py")


@event_priority(100)  # before mkdocs-jupyter wraps the files it renders
def on_files(files, config):
    for script in sorted(EXAMPLES.glob("*.py")):
        files.append(File(f"examples/{script.name}", src_dir=str(ROOT),
                          dest_dir=config.site_dir, use_directory_urls=config.use_directory_urls))
    return files


def on_page_content(html, page, config, files):
    if not is_example(page):
        return html
    html = _CDN_LOADER.sub("", html)
    for tag in _SCRIPT_SRC.findall(html):
        log.debug("removed from %s: %s", page.file.src_uri, tag[:80])
    return _SCRIPT_SRC.sub("", html)


def on_post_page(output, page, config):
    if is_example(page):
        # mkdocs-jupyter's include_source copies the .py; add the notebook form beside it.
        src = Path(page.file.abs_src_path)
        dest = Path(page.file.abs_dest_path).parent / (src.stem + ".ipynb")
        if not dest.exists() or dest.stat().st_mtime < src.stat().st_mtime:  # serve: only if edited
            dest.parent.mkdir(parents=True, exist_ok=True)
            jupytext.write(jupytext.read(src), dest, fmt="ipynb")
    return output

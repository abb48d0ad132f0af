"""The build behind the one-page check (`make page`, tests/page_checks.py): BOOK_PAGE_CHECK names
the page (its path in docs/; several: separated by os.pathsep) whose problems the author waits for.

That build is read for one thing: the warnings and errors about that page (its formulas, links and
anchors, images, nav entry). Every page is still converted, so links and anchors into other pages
are checked against what those pages really contain; what only the published site needs is
skipped, so the author waits seconds, not a full build:

* the other pages' formulas are not rendered (their TeX stays as written);
* their code is not highlighted (hooks/snippets.py makes their fences `text`);
* no search index (and no Chinese word segmentation), no page notebooks, no pruned notebook
  stylesheet;
* example pages come from mkdocs-jupyter's cache when their notebook did not change.

Not a hook: the hooks import it (mkdocs puts hooks/ on sys.path while it loads a hook);
hooks/snippets.py calls configure() from its on_config.
"""

import os

PAGE = os.environ.get("BOOK_PAGE_CHECK") or None
_CHECKED = set(PAGE.split(os.pathsep)) if PAGE else set()


def other_page(page) -> bool:
    """True in a page-check build for every page but the ones checked: its output is thrown away."""
    return PAGE is not None and page.file.src_uri not in _CHECKED


def configure(config) -> None:
    """What a page-check build leaves out of the configuration (see above)."""
    if PAGE is None:
        return
    if search := config.plugins.get("material/search"):
        search.config.enabled = False
    if jupyter := config.plugins.get("mkdocs-jupyter"):
        jupyter.config["cache"] = True

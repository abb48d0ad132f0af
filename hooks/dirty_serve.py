"""`make serve` rebuilds only the Markdown page an author saved (`mkdocs serve --dirty`): ~2 s
instead of a whole build's ~8. mkdocs decides by the page's own file alone, so what a page is
built from besides its Markdown (mkdocs.yml, overrides/, figures and other files under docs/, the
snippet runs' records behind the stamps) would go stale: when any of it changed since the last
build, every built page is marked out of date and the build rebuilds them all.

Other pages still show the edited page's old title in their navigation until `make serve` is
restarted; `make page` and `make test` check the links between pages.
"""

import logging
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_state: dict = {"dirty": False, "inputs": None}


class _Expected(logging.Filter):
    """mkdocs warns on every dirty build; here it is the design, said once at start-up."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "A 'dirty' build is being performed" not in record.getMessage()


def on_startup(command: str, dirty: bool):
    _state["dirty"] = command == "serve" and dirty
    if _state["dirty"]:
        logging.getLogger("mkdocs.commands.build").addFilter(_Expected())
        logging.getLogger("mkdocs").info("make serve: a saved page is rebuilt alone; a change to "
                                         "anything else rebuilds every page")


def _newest_input(config) -> float:
    """The newest modification time of what every page may be built from, Markdown aside."""
    places = [Path(config.docs_dir), ROOT / ".cache" / "verified"]
    if config.theme.custom_dir:
        places.append(Path(config.theme.custom_dir))
    times = [os.path.getmtime(config.config_file_path)]
    for place in places:
        for folder, _, names in os.walk(place):
            times += [os.path.getmtime(os.path.join(folder, n)) for n in names if not n.endswith(".md")]
    return max(times)


def on_pre_build(config):
    if not _state["dirty"]:
        return
    newest = _newest_input(config)
    if _state["inputs"] is not None and newest > _state["inputs"]:
        # An out-of-date page is one older than its source (mkdocs' File.is_modified).
        for page in Path(config.site_dir).rglob("*.html"):
            os.utime(page, (0, 0))
    _state["inputs"] = newest

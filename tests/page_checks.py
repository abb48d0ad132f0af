"""The site checks of one page, for the author loop: `pytest -n0 docs/<chapter>/<page>.md`.

tests/snippets.py adds this item when a page is named on the command line (`make test` checks the
same things on the whole built site instead). It starts one `mkdocs build` as soon as the page is
collected, so the build runs while the page's code blocks do: not strict, examples not executed,
and with BOOK_PAGE_CHECK naming the pages checked (hooks/page_check.py): a bad formula or marker
is logged instead of stopping the build, and what only the published site needs (search, notebooks,
other pages' formulas) is left out. Of what the build logs, the warnings and errors
that name this page are the problems: a formula that does not parse, a link or #anchor that leads
nowhere, an image that is not there, a page missing from mkdocs.yml's nav. Then what the build does
not say: an included file (`--8<--`) that is missing (the lenient build skips it), a front-matter
description, and tests/test_prose.py's checks of this page.
"""

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from hooks.blocks import rel
from tests import test_prose

_RECORD = re.compile(r"^(?=(?:DEBUG|INFO|WARNING|ERROR)\s+-)", re.M)
_DESCRIPTION = re.compile(r"---\n(?:.*\n)*?description: \S.{20,}\n(?:.*\n)*?---\n")
_INCLUDE = re.compile(r"""^\s*--8<--\s+["']([^"']+)["']""")   # pymdownx.snippets, base_path docs/
_builds: dict[Path, "_Build"] = {}


class _Build:
    """`mkdocs build` of the book at `root` for checking `pages` (paths in docs/), started now, its
    log read when first asked for."""

    def __init__(self, root: Path, pages: list[str]):
        self.site = tempfile.mkdtemp(prefix="page-checks-site-")
        env = {k: v for k, v in os.environ.items() if k not in ("MPLBACKEND", "BOOK_EXECUTE")}
        env.update(BOOK_PAGE_CHECK=os.pathsep.join(pages), NO_MKDOCS_2_WARNING="1")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "mkdocs", "build", "--site-dir", self.site], cwd=root, env=env,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self._log: str | None = None

    def log(self) -> str:
        if self._log is None:
            out, _ = self.process.communicate()
            self._log = f"exit status {self.process.returncode}\n{out}"
        return self._log


def start_build(config) -> "_Build":
    """The one build for every page named on pytest's command line."""
    root = config.rootpath
    if root not in _builds:
        docs = root / "docs"
        named = (Path(arg.split("::")[0]).resolve() for arg in config.args)
        pages = [p.relative_to(docs).as_posix() for p in named
                 if p.suffix == ".md" and p.is_relative_to(docs)]
        _builds[root] = _Build(root, pages)
    return _builds[root]


def build_problems(log: str, src_uri: str, where: str) -> list[str]:
    """The warnings and errors of a build log that are about the page `src_uri` (path in docs/)."""
    problems = []
    for record in _RECORD.split(log):
        level, _, message = record.partition("-")
        if level.strip() not in ("WARNING", "ERROR"):
            continue
        message = message.strip()
        if re.search(rf"^\s*- {re.escape(src_uri)}$", message, re.M) and '"nav"' in message:
            problems.append(f"{where}: not in mkdocs.yml's nav; add it under its chapter")
        elif f"'{src_uri}'" in message or message.startswith(f"{where}:"):
            problems.append(message if message.startswith(where) else f"{where}: {message}")
    if not log.startswith("exit status 0\n"):
        problems.append(f"{where}: the site build failed, so this page's links and formulas were not "
                        f"all checked:\n{log[-3000:]}")
    return problems


def page_problems(page: Path, config) -> list[str]:
    where = rel(page)
    docs = config.rootpath / "docs"
    problems = build_problems(start_build(config).log(), page.relative_to(docs).as_posix(), where)
    source = page.read_text(encoding="utf-8")
    for n, line in enumerate(source.splitlines(), start=1):
        if (include := _INCLUDE.match(line)) and not (docs / include[1]).is_file():
            problems.append(f"{where}:{n}: includes {include[1]}, which is not in docs/")
    if not _DESCRIPTION.match(source):
        problems.append(f"{where}:1: no front-matter `description:` (one sentence of 20+ characters; "
                        "search results and link previews show it)")
    if page.is_relative_to(test_prose.DOCS):   # the book's own pages (not a test's scratch book)
        problems += _prose_problems(page)
    return problems


def _prose_problems(page: Path) -> list[str]:
    problems = test_prose.wording_problems(page, test_prose.rejected_terms())
    if page.name not in test_prose.REFERENCE_PAGES:
        problems += test_prose.unproven_numbers(page)
    if page in test_prose.SECTIONS:
        problems += test_prose.exercise_problems(page)
    return problems


class PageProblems(Exception):
    pass


class PageChecks(pytest.Item):
    """Formulas, links and anchors, images, nav, front matter and prose of one page."""

    def setup(self):
        start_build(self.config)   # usually started at collection already

    def runtest(self):
        if problems := page_problems(self.path.resolve(), self.config):
            raise PageProblems("\n".join(problems))

    def repr_failure(self, excinfo):
        if isinstance(excinfo.value, PageProblems):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return self.path, None, f"{rel(self.path)}: page checks"

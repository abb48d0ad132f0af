"""Promise: what the book borrows from its tools still fits them; an update that breaks a coupling
fails here, in `make test`, not only in `make bench` or in a reader's browser.

* overrides/partials/palette.html copies Material's palette form and does its component's job;
* overrides/main.html holds back the search index until the reader reaches for search, which
  works only while Material fetches it with XMLHttpRequest;
* docs/assets/katex/ is the CSS of the KaTeX that pykatex renders with;
* deprecation warnings reach the test report (only named third-party noise is filtered);
* every package the tests, hooks and bench import is declared in pyproject.toml;
* hooks/examples.py is one module, though mkdocs and the other hooks import it by two names; no
  hook imports the tests;
* pytest-codeblocks reads every page as the book's runner does (README: what the runner adds);
* pytest-xdist's `-n auto` takes a worker per core the run is given, at most 4.
"""

import ast
import importlib.metadata
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from hooks.blocks import OUTPUT_MARKERS, RUNNABLE, Fence, Marker, lex, parse
from tests.browser_support import chromium_missing
from tests.conftest import ROOT

MATERIAL = Path(importlib.util.find_spec("material").origin).parent / "templates"
BUNDLE = next((MATERIAL / "assets" / "javascripts").glob("bundle.*.min.js"))
PYPROJECT = ROOT / "pyproject.toml"


def _markup(template: str) -> str:
    """A Jinja template without its comments and its <script>, whitespace collapsed."""
    template = re.sub(r"\{#.*?#\}", "", template, flags=re.S)
    template = re.sub(r"<script>.*?</script>", "", template, flags=re.S)
    return " ".join(template.split())


def test_palette_partial_is_materials_form():
    ours = _markup((ROOT / "overrides/partials/palette.html").read_text())
    theirs = _markup((MATERIAL / "partials/palette.html").read_text())
    assert 'data-md-component="palette"' in theirs, "Material's palette partial changed"
    assert ours == theirs.replace('data-md-component="palette"', "data-book-palette"), (
        "Material's partials/palette.html changed: update overrides/partials/palette.html")


def test_palette_script_uses_what_materials_component_uses():
    # The stored choice and the attributes the partial's script reads and writes.
    bundle = BUNDLE.read_text()
    for needed in ['__md_get("__palette")', '__md_set("__palette"', "data-md-color-media",
                   "data-md-color-switching"]:
        assert needed in bundle, f"Material's bundle no longer uses {needed}: see palette.html"


def test_material_fetches_the_search_index_with_xmlhttprequest():
    # overrides/main.html holds back that one XMLHttpRequest; fetch() would pass it by.
    bundle = BUNDLE.read_text()
    assert 'new URL("search/search_index.json"' in bundle
    requester = re.search(r"function (\w+)\(e,t\)\{return new \w+\(r=>\{let o=new XMLHttpRequest", bundle)
    assert requester, "Material no longer requests with XMLHttpRequest: see overrides/main.html"
    assert "fetch(" not in bundle.split('new URL("search/search_index.json"')[0][-300:]


@pytest.mark.browser
def test_search_index_is_fetched_only_when_the_reader_reaches_for_search(site):
    import os

    from playwright.sync_api import sync_playwright

    from tests.browser_support import launch, serve
    if problem := chromium_missing():
        if os.environ.get("CI"):
            pytest.fail(f"BROWSER TEST NOT RUN: {problem}", pytrace=False)
        pytest.skip(f"BROWSER TEST NOT RUN: {problem}")
    with serve(site) as base, sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page()
        asked = []
        page.on("request", lambda r: asked.append(r.url) if "search_index" in r.url else None)
        page.goto(base + "ch1-background/definition/", wait_until="load")
        page.wait_for_timeout(1500)
        assert not asked, f"the search index was fetched on page load: {asked}"
        page.hover(".md-search")
        page.wait_for_timeout(1500)
        assert asked, "hovering the search box did not fetch the index (the check sees nothing)"
        browser.close()


def test_vendored_katex_css_is_the_katex_pykatex_renders_with():
    css = (ROOT / "docs/assets/katex/katex.min.css").read_text()
    vendored = re.search(r'katex-version:?:after\{content:"([\d.]+)"\}', css)[1]
    # pykatex is KaTeX compiled to QuickJS bytecode; KaTeX's `version` follows its quirks-mode warning.
    binary = Path(importlib.util.find_spec("pykatex").origin).read_bytes()
    inside = re.search(rb"suitable doctype\.\W{0,4}(\d+\.\d+\.\d+)", binary)
    assert inside, "KaTeX's version not found in pykatex: update this test"
    assert inside[1].decode() == vendored, (
        f"pykatex renders KaTeX {inside[1].decode()}, docs/assets/katex/ is {vendored}: make vendor-katex")
    assert f"KATEX_VERSION := {vendored}" in (ROOT / "Makefile").read_text()


def test_deprecation_warnings_are_not_silenced_wholesale():
    text = PYPROJECT.read_text()
    filters = tomllib.loads(text)["tool"]["pytest"]["ini_options"].get("filterwarnings", [])
    for rule in filters:
        action, _, rest = rule.partition(":")
        if action == "ignore":
            message, category, module = (rest.split(":") + ["", "", ""])[:3]
            assert message or module, f"`{rule}` hides every such warning: name the module or message"
            lines = text.splitlines()
            n = next(n for n, line in enumerate(lines) if rule in line)
            assert "#" in lines[n] or lines[n - 1].strip().startswith("#"), (
                f"`{rule}`: say why (a comment on or above it)")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_every_imported_package_is_declared():
    declared = {_norm(re.split(r"[=<>!~\[ ]", d)[0])
                for d in tomllib.loads(PYPROJECT.read_text())["project"]["dependencies"]}
    local = {p.stem for folder in ("hooks", "tests", "bench") for p in (ROOT / folder).glob("*.py")}
    local |= {"hooks", "tests", "bench"}
    distributions = importlib.metadata.packages_distributions()
    missing = set()
    for folder in ("hooks", "tests", "bench"):
        for source in (ROOT / folder).glob("*.py"):
            for name in _imports(source) - set(sys.stdlib_module_names) - local:
                if not {_norm(d) for d in distributions.get(name, [name])} & declared:
                    missing.add(f"{name} ({source.relative_to(ROOT)})")
    assert not missing, f"imported but not in pyproject.toml's dependencies: {sorted(missing)}"


def test_the_site_build_does_not_depend_on_the_tests():
    # hooks/ is the build; tests/ may import hooks (the one parse), never the other way round
    # (importing tests/snippets.py set the snippets' environment inside the build).
    leaning = [f"{p.relative_to(ROOT)}: {name}" for p in sorted((ROOT / "hooks").glob("*.py"))
               for name in _imports(p) if name == "tests"]
    assert not leaning, f"hooks import the tests: {leaning}"


def test_hooks_examples_is_one_module_under_both_names():
    probe = ("import sys; from mkdocs.config import load_config; load_config('mkdocs.yml'); "
             "print(sys.modules['examples'] is sys.modules['hooks/examples.py'])")
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True)
    assert done.stdout.strip() == "True", (
        "mkdocs loads hooks/examples.py as 'hooks/examples.py' and the other hooks import it as "
        f"'examples': two modules, two states\n{done.stdout}{done.stderr[-2000:]}")


# --- pytest-codeblocks -----------------------------------------------------------------------------

PAGES = sorted((ROOT / "docs").rglob("*.md"))


def _without_shown_outputs(page: Path) -> str:
    """The page with every expected-output marker and its fence blanked (lines kept): the book shows
    an output after each block of a `cont` chain, pytest-codeblocks allows one per chain."""
    lines = page.read_text(encoding="utf-8").splitlines(keepends=True)
    tokens = lex("".join(lines))
    blank = set()
    for marker, fence in zip(tokens, tokens[1:], strict=False):
        if isinstance(marker, Marker) and marker.body in OUTPUT_MARKERS and isinstance(fence, Fence):
            blank |= {marker.line, *range(fence.line, fence.end + 1)}
    return "".join("\n" if n in blank else line for n, line in enumerate(lines, start=1))


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT / "docs")))
def test_pytest_codeblocks_reads_the_page_as_the_runner_does(page, tmp_path):
    from pytest_codeblocks import extract_from_file
    copy = tmp_path / page.name
    copy.write_text(_without_shown_outputs(page), encoding="utf-8")
    theirs = [(b.lineno, _lines(b.code)) for b in extract_from_file(copy)
              if (b.syntax or "").split()[:1] and b.syntax.split()[0] in RUNNABLE]
    ours = []
    for block in parse(page)[0]:   # pytest-codeblocks joins a `cont` block to the one before
        if block.cont and ours:
            ours[-1] = (ours[-1][0], ours[-1][1] + _lines(block.code))
        else:
            ours.append((block.line, _lines(block.code)))
    assert theirs == ours


def _lines(code: str) -> list[str]:
    # pytest-codeblocks drops the blank lines of an indented block (a tab, a collapsed answer).
    return [line for line in code.splitlines() if line.strip()]


def test_xdist_takes_a_worker_per_core_given_at_most_four(monkeypatch):
    # The run's own wiring: given one core (taskset), `-n auto` starts one worker, not one per core
    # of the machine (xdist's own count, which the book's hook goes before).
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_XDIST")}
    done = subprocess.run(["taskset", "-c", "0", sys.executable, "-m", "pytest", "tests/test_lock.py"],
                          cwd=ROOT, env=env, capture_output=True, text=True)
    assert re.search(r"created: 1/1 worker\b", done.stdout), done.stdout
    from tests import snippets  # and at most four, whatever the machine has
    for cores, workers in [(2, 2), (3, 3), (16, 4)]:
        monkeypatch.setattr(snippets.os, "sched_getaffinity", lambda pid, n=cores: set(range(n)))
        assert snippets.pytest_xdist_auto_num_workers(None) == workers

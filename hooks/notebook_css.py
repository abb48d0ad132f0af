"""Give the example pages one stylesheet with only the notebook CSS they use, cacheable.

mkdocs-jupyter inlines JupyterLab's stylesheets (about 590 KB: file browser, widgets, terminals,
...) as <style> blocks into every example page. This hook takes them out of the pages, drops every
rule that cannot match any example page, and links the rest from each page's <head> as the one
`assets/stylesheets/notebook.<hash>.css` (~140 KB, fetched once for all example pages; the hash
changes with the content, so a cached copy is never stale).

A rule is dropped only when one of the classes or ids that each of its selectors requires appears
nowhere in the example pages. Everything else stays: @font-face, @keyframes, :root variables, selectors
that need only tags or attributes, and whatever sits inside :not(), :is(), :has(). Screenshots of
the example pages, light and dark, 1280 and 375 px, were pixel-identical with the full CSS when
this was written; tests/test_browser.py checks the pages render their outputs.
"""

import hashlib
import re
from pathlib import Path

import page_check  # hooks/page_check.py
import tinycss2

from examples import is_example  # hooks/examples.py: mkdocs puts hooks/ on sys.path to load a hook

_STYLE = re.compile(r"<style\b[^>]*>(.*?)</style>\s*", re.S)
_FUNCTIONAL = re.compile(r":{1,2}[\w-]+\((?:[^()]|\([^()]*\))*\)")  # :not(.x), :is(...), ...
_REQUIRED = re.compile(r"([.#])(-?[_a-zA-Z][\w-]*)")
_parsed: dict[str, list] = {}  # CSS text hash -> its compiled rules (parsing takes ~0.3 s)


def _selectors(prelude: str) -> list[str]:
    """Split a selector list at its top-level commas."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(prelude):
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(prelude[start:i])
            start = i + 1
    return parts + [prelude[start:]]


def _compile(rules) -> list[tuple]:
    """Each rule once, as ("rule", what each selector needs, css) | ("group", "@media ...", [...])
    | ("keep", css): pruning a page is then set lookups only (this runs on every serve rebuild)."""
    out = []
    for rule in rules:
        if rule.type == "qualified-rule":
            needs = []
            for selector in _selectors(tinycss2.serialize(rule.prelude)):
                found = _REQUIRED.findall(_FUNCTIONAL.sub("", selector))
                needs.append(({n for k, n in found if k == "."}, {n for k, n in found if k == "#"}))
            out.append(("rule", needs, rule.serialize()))
        elif rule.type == "at-rule" and rule.lower_at_keyword in ("media", "supports") and rule.content:
            inner = tinycss2.parse_rule_list(rule.content, skip_comments=True, skip_whitespace=True)
            out.append(("group", f"@{rule.at_keyword}{tinycss2.serialize(rule.prelude)}", _compile(inner)))
        elif rule.type == "at-rule":
            out.append(("keep", None, rule.serialize()))
    return out


def _prune(compiled, classes: set[str], ids: set[str]) -> list[str]:
    kept = []
    for kind, needs, body in compiled:
        if kind == "keep":
            kept.append(body)
        elif kind == "rule":
            if any(c <= classes and i <= ids for c, i in needs):
                kept.append(body)
        elif inner := _prune(body, classes, ids):
            kept.append(f"{needs}{{{''.join(inner)}}}")
    return kept


_examples: dict[str, object] = {}   # src_uri -> page, for every example page of this build
_shared: dict[str, str] = {}        # CSS text hash -> the stylesheet's name, for this build


def on_pre_build(config):
    _examples.clear()
    _shared.clear()


def on_page_content(html, page, config, files):
    if is_example(page):
        _examples[page.file.src_uri] = page
    return html


def on_post_page(output, page, config):
    if not is_example(page) or page_check.other_page(page):
        return output
    head, sep, body = output.partition("</head>")
    css = "\n".join(_STYLE.findall(body))
    if not css:
        return output
    body = _STYLE.sub("", body)
    key = hashlib.sha256(css.encode()).hexdigest()
    if key not in _shared:
        # mkdocs renders every page's content before it writes any page, so the classes of all
        # example pages are known here: one stylesheet serves them all (one download, cached).
        if key not in _parsed:
            _parsed[key] = _compile(tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True))
        used = head + body + "".join(p.content or "" for p in _examples.values())
        classes = {c for attr in re.findall(r'\bclass="([^"]*)"', used) for c in attr.split()}
        ids = set(re.findall(r'\bid="([^"]*)"', used))
        pruned = "\n".join(_prune(_parsed[key], classes, ids))
        name = f"assets/stylesheets/notebook.{hashlib.sha256(pruned.encode()).hexdigest()[:8]}.css"
        target = Path(config.site_dir) / name
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(pruned, encoding="utf-8")
        _shared[key] = name
    href = "../" * page.url.count("/") + _shared[key]  # example pages live at examples/<name>/
    return head + f'<link rel="stylesheet" href="{href}">\n  ' + sep + body

"""Promise: the glossary lists each term once, and the page it points to really uses the term and
gives its English name (the book's rule: a term's English name in parentheses on first use)."""

import re
from pathlib import Path

DOCS = Path(__file__).resolve().parent.parent / "docs"
_ROW = re.compile(r"^\| (?P<zh>[^|]+?) \| (?P<en>[^|]+?) \| \[[^\]]+\]\((?P<page>[^)#]+)(?:#[^)]*)?\) \|$")


def _rows() -> list[re.Match]:
    lines = (DOCS / "glossary.md").read_text(encoding="utf-8").splitlines()
    return [m for line in lines if (m := _ROW.match(line))]


def _words(cell: str) -> list[str]:
    """'冻结（参数）' -> ['冻结']; 'AI大模型 / 基础模型' -> both; '`x`' and 'Q/K/V' kept whole."""
    return [re.sub(r"（[^）]*）|\([^)]*\)", "", w).strip().strip("`") for w in cell.split(" / ")]


def test_each_term_is_listed_once():
    seen: dict[str, int] = {}
    for m in _rows():
        seen[m["zh"]] = seen.get(m["zh"], 0) + 1
    assert not [t for t, n in seen.items() if n > 1], "listed more than once"
    assert len(seen) > 100  # guard: the rows were parsed


def test_the_linked_page_uses_the_term_and_its_english_name():
    missing = []
    for m in _rows():
        source = (DOCS / m["page"]).read_text(encoding="utf-8").lower().replace("**", "")
        # A term may be wrapped across source lines: English at a space, Chinese anywhere.
        spaced, joined = re.sub(r"\s*\n\s*", " ", source), re.sub(r"\s*\n\s*", "", source)
        for word in _words(m["zh"]) + _words(m["en"]):
            if word and word.lower() not in spaced and word.lower() not in joined:
                missing.append(f"{m['zh']} → {m['page']}: no {word!r}")
    assert not missing, "glossary rows whose page does not say them:\n" + "\n".join(missing)

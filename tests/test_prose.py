"""Promise: the prose is held to the same standard as the code.

* A result the prose quotes (a decimal, a percentage, an "N 倍" ratio, a power of ten) is printed by a
  code block of the same page (or written in its code, as a given input), or the sentence cites the
  paper it comes from (a link to references.md#ref-…), or the page's front matter lists it under
  `not_computed:` (a number from the source article, a spec sheet, another page).
* One word per concept: the rejected variants of glossary.md's 用词约定 table do not appear.
* One typography: a space between Chinese and Latin letters or digits, full-width punctuation in
  Chinese sentences, and no "上一节"/"下一节" (say where: "上文", "3.2 节").

Prose is the Markdown outside code fences, formulas, inline code, HTML comments, link targets and
front matter. Every check reports file:line and the offending text.
"""

import re
from pathlib import Path

import pytest
import yaml

from hooks.blocks import Fence, lex
from tests.snippets import parse

DOCS = Path(__file__).resolve().parent.parent / "docs"
# Pages that list words or numbers rather than state results: checked for typography only.
REFERENCE_PAGES = {"glossary.md", "references.md", "notation.md"}
PAGES = sorted(DOCS.rglob("*.md"))
CJK = "\u3400-\u4dbf\u4e00-\u9fff"


# --- prose: the page with everything that is not prose blanked out (offsets and lines kept) -----

_NOT_PROSE = [
    re.compile(r"\A---\n.*?\n---\n", re.S),                     # front matter
    re.compile(r"<!--.*?-->", re.S),
    re.compile(r"\$\$.*?\$\$", re.S),
    re.compile(r"(?<![\\$])\$(?!\$)[^$\n]+?(?<!\\)\$"),
    re.compile(r"`[^`\n]+`"),
    re.compile(r"^--8<--.*$", re.M),                            # included files (figures)
    re.compile(r"(?<=\])\([^)\s]*(?:\s+\"[^\"]*\")?\)"),         # link targets; the link text stays
    re.compile(r"\{:?[^}\n]*[#.][^}\n]*\}"),                     # attribute lists
    re.compile(r"</?[a-zA-Z][^>\n]*>"),                          # inline HTML tags
]
_LINK = re.compile(r"\[(?P<text>[^\]\n]*)\]\((?P<url>[^)\s]*)")


def _blank(text: str, match: re.Match) -> str:
    return text[:match.start()] + re.sub(r"[^\n]", " ", match[0]) + text[match.end():]


def _fences(source: str) -> list[tuple[int, int]]:
    """(start, end) offsets of every fenced block, as the snippet runner reads them (hooks/blocks.py)."""
    starts = [0] + [m.end() for m in re.finditer("\n", source)]
    return [(starts[f.line - 1], starts[min(f.end, len(starts) - 1)])
            for f in lex(source) if isinstance(f, Fence)]


def prose(source: str) -> str:
    for start, end in reversed(_fences(source)):
        source = source[:start] + re.sub(r"[^\n]", " ", source[start:end]) + source[end:]
    for pattern in _NOT_PROSE:
        for match in reversed(list(pattern.finditer(source))):
            source = _blank(source, match)
    return source


def _line(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


# A unit is a sentence, a table row or a list item: a citation covers the numbers of its unit.
_UNIT_END = re.compile(r"[。！？；]|\n[ \t]*\n|\n(?=[ \t]*(?:[|#>*+-]|\d+\.\s|!!!|\?\?\?))")


def _units(text: str) -> list[int]:
    """The start offset of every unit, in order."""
    return [0] + [m.end() for m in _UNIT_END.finditer(text)]


def _unit_of(starts: list[int], offset: int) -> int:
    lo, hi = 0, len(starts)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if starts[mid] <= offset else (lo, mid)
    return lo


# --- quoted results -------------------------------------------------------------------------------

_SUPERSCRIPT = str.maketrans("⁻⁰¹²³⁴⁵⁶⁷⁸⁹", "-0123456789")
# A number not glued to a longer token (identifier, version 2.13.0, path, GPT-3.5).
_QUOTED = re.compile(r"(?<![A-Za-z0-9_.\-/])(?P<num>\d+(?:\.\d+)?(?:e[-+]?\d+)?)(?P<sup>[⁻⁰¹²³⁴⁵⁶⁷⁸⁹]+)?"
                     r"(?![A-Za-z0-9_]|\.\d)(?P<unit>\s*(?:%|倍|×(?!\s*\d)))?")
_NUMBER = re.compile(r"(?<![A-Za-z_])\d+(?:\.\d+)?(?:e[-+]?\d+)?")


def _value(match: re.Match) -> float:
    if match["sup"]:
        return float(match["num"]) ** int(match["sup"].translate(_SUPERSCRIPT))
    return float(match["num"])


def quoted_results(text: str):
    """(offset, text, value, is_percent) of each number in prose that reads as a computed result."""
    for m in _QUOTED.finditer(text):
        before, after = text[max(0, m.start() - 12):m.start()], text[m.end():m.end() + 3]
        is_result = "." in m["num"] or "e" in m["num"] or m["sup"] or m["unit"]
        if not is_result:
            continue
        if re.search(r"[A-Za-z][\w\-]*\s?$", before):       # Python 3.11, ResNet 50: names
            continue
        if re.search(r"(?:式|图|表)\s*\(?$", before) or re.match(r"\s*(?:节|章|版)", after):
            continue                                         # 式 (3.1.2), 3.2 节: references
        yield m.start(), m[0].strip(), _value(m), (m["unit"] or "").strip() == "%"


def _decimals(number: str) -> int:
    return len(number.split(".")[1]) if "." in number else 0


def _printed(value: float, shown: str, is_percent: bool, printed: set[float]) -> bool:
    close = lambda a, b: abs(a - b) <= 1e-12 * max(1.0, abs(b))  # noqa: E731
    if any(close(value, p) for p in printed):
        return True
    if is_percent:   # 93.6% may be printed as 0.936 or 0.9358: compare at the prose's precision
        places = _decimals(re.match(r"[\d.]+", shown)[0])
        return any(round(p * 100, places) == value or round(p, places) == value for p in printed)
    return False


def _front_matter(source: str) -> dict:
    m = re.match(r"---\n(.*?)\n---\n", source, re.S)
    return yaml.safe_load(m[1]) or {} if m else {}


def unproven_numbers(path: Path) -> list[str]:
    source = path.read_text(encoding="utf-8")
    text = prose(source)
    blocks = parse(path)[0]
    printed = {float(n) for b in blocks for part in (b.code, b.expected or "")
               for n in _NUMBER.findall(part)}
    given = {str(x).strip() for x in _front_matter(source).get("not_computed", [])}
    starts = _units(text)
    cited = {_unit_of(starts, m.start()) for m in _LINK.finditer(source)
             if "#ref-" in m["url"]}
    # Inside the text of a link to another page a number is a section or formula number.
    references = [range(m.start("text"), m.end("text")) for m in _LINK.finditer(source)
                  if not m["url"].startswith(("http", "#ref-")) and "#ref-" not in m["url"]]
    problems = []
    for offset, shown, value, is_percent in quoted_results(text):
        bare = re.sub(r"\s*(?:%|倍|×)$", "", shown)
        if any(offset in r for r in references) or shown in given or bare in given:
            continue
        if _unit_of(starts, offset) in cited or _printed(value, shown, is_percent, printed):
            continue
        snippet = re.sub(r"\s+", " ", text[max(0, offset - 30):offset + 20]).strip()
        problems.append(f"{path.relative_to(DOCS.parent)}:{_line(source, offset)}: «{snippet}» quotes "
                        f"{shown}, which no code block or shown output of this page contains")
    return problems


# --- words and typography ------------------------------------------------------------------------

def rejected_terms(glossary: Path = DOCS / "glossary.md") -> dict[str, str]:
    """{rejected variant: preferred term} from glossary.md's 用词约定 table."""
    source = glossary.read_text(encoding="utf-8")
    table = source.split("## 用词约定", 1)[1].split("\n## ", 1)[0]
    out = {}
    for row in re.findall(r"^\| ([^|]+?) \| ([^|]+?) \| [^|]*\|$", table, re.M):
        if row[0] != "采用" and not row[0].startswith("-"):
            out.update({variant.strip(): row[0] for variant in row[1].split("、")})
    return out


_QUOTATION = re.compile(r"「[^」]*」|“[^”]*”")
_TYPOGRAPHY = [
    (re.compile(rf"[{CJK}][A-Za-z0-9]|[A-Za-z0-9][{CJK}]"),
     "put a space between Chinese and Latin letters or digits"),
    (re.compile(rf"[{CJK}][,;:!?(]|[,;:!?)][{CJK}]|[{CJK}]\.(?=\s|$)", re.M),
     "use full-width punctuation in a Chinese sentence (，；：！？（）。)"),
    (re.compile(r"[上下]一[节章]"), "say where: “上文”, “3.2 节”, not “上一节”/“下一节”"),
]


def wording_problems(path: Path, rejected: dict[str, str]) -> list[str]:
    source = path.read_text(encoding="utf-8")
    # Quotations (the source article's words) and the book's title are written as they are.
    text = _QUOTATION.sub(lambda m: re.sub(r"[^\n]", " ", m[0]), prose(source))
    text = text.replace("AI大模型", "AI 模型")
    problems = []
    for pattern, message in _TYPOGRAPHY:
        for m in pattern.finditer(text):
            problems.append(f"{path.relative_to(DOCS.parent)}:{_line(source, m.start())}: "
                            f"«{m[0]}»: {message}")
    if path.name not in REFERENCE_PAGES:
        for variant, preferred in rejected.items():
            for m in re.finditer(re.escape(variant), text):
                problems.append(f"{path.relative_to(DOCS.parent)}:{_line(source, m.start())}: "
                                f"«{variant}»: the book says «{preferred}» (glossary.md, 用词约定)")
    return problems


# --- tests ----------------------------------------------------------------------------------------

def _id(path: Path) -> str:
    return str(path.relative_to(DOCS))


@pytest.mark.parametrize("page", [p for p in PAGES if p.name not in REFERENCE_PAGES], ids=_id)
def test_quoted_results_are_printed_on_the_page(page):
    problems = unproven_numbers(page)
    assert not problems, "a number the prose quotes must be one the page prints:\n" + "\n".join(problems)


@pytest.mark.parametrize("page", PAGES, ids=_id)
def test_one_word_per_concept_and_one_typography(page):
    problems = wording_problems(page, rejected_terms())
    assert not problems, "\n".join(problems)


# The guards above, each shown to fail on a planted fault.

def _page(tmp_path, body: str) -> Path:
    page = tmp_path / "docs" / "page.md"
    page.parent.mkdir(parents=True, exist_ok=True)
    page.write_text(body, encoding="utf-8")
    return page


def test_a_quoted_result_must_be_printed(tmp_path, monkeypatch):
    monkeypatch.setattr(f"{__name__}.DOCS", tmp_path / "docs")
    page = _page(tmp_path, "模型的准确率是 93.6%，误差约 0.51，快了 3 倍。\n\n"
                           "```python\nprint(0.936)\n```\n\n<!--pytest-codeblocks:expected-output-->\n```text\n0.936\n```\n")
    problems = unproven_numbers(page)
    assert [p.split("quotes ")[1].split(",")[0] for p in problems] == ["0.51", "3 倍"], problems
    assert problems[0].startswith("docs/page.md:1: ")


def test_citations_code_and_front_matter_excuse_a_number(tmp_path, monkeypatch):
    monkeypatch.setattr(f"{__name__}.DOCS", tmp_path / "docs")
    page = _page(tmp_path, "---\nnot_computed: [\"2.5 倍\"]\n---\n\n"
                           "原论文报告 0.33（[Kaplan 等，2020](references.md#ref-kaplan2020)）。"
                           "学习率取 0.1，快了 2.5 倍，见 3.2 节与式 (3.1.2)，用 Python 3.11。\n\n"
                           "```python\nlr = 0.1\n```\n")
    assert unproven_numbers(page) == []


def test_rejected_words_and_typography_are_caught(tmp_path, monkeypatch):
    monkeypatch.setattr(f"{__name__}.DOCS", tmp_path / "docs")
    page = _page(tmp_path, "第3章讲权值共享,见上一节。引文「权值共享」不算。`第3章` 与 $a,b$ 不算。\n")
    problems = wording_problems(page, rejected_terms())
    assert len(problems) == 4, problems    # 第3(章), the comma, 上一节, 权值共享 (once: then quoted)
    assert all(p.startswith("docs/page.md:1: ") for p in problems)
    assert any("«权值共享»: the book says «权重共享»" in p for p in problems)


# --- exercises ------------------------------------------------------------------------------------

SECTIONS = sorted(p for p in DOCS.glob("ch[1-5]-*/*.md") if p.name != "index.md")
SECTIONS.append(DOCS / "ch2-concepts/index.md")   # chapter 2 is one section
_ANSWER = re.compile(r'^[ \t]*\?\?\?\+? success "参考答案"[ \t]*$', re.M)


def exercise_problems(path: Path) -> list[str]:
    """A section ends with `## 练习`: 2–4 exercises, each with a collapsed 参考答案 whose Python code
    runs in the tests and asserts the answer it states."""
    source = path.read_text(encoding="utf-8")
    where = path.relative_to(DOCS.parent)
    headings = [m for m in re.finditer(r"^## (.+)$", prose(source), re.M)]
    if not headings or headings[-1][1].strip() != "练习":
        return [f"{where}: the last `##` section must be `## 练习`"]
    start = _line(source, headings[-1].start())
    answers = [n for m in _ANSWER.finditer(source) if (n := _line(source, m.start())) > start]
    problems = []
    if not 2 <= len(answers) <= 4:
        problems.append(f"{where}:{start}: {len(answers)} answers; write 2–4 exercises, each with a "
                        '`??? success "参考答案"` block')
    blocks = [b for b in parse(path)[0] if b.line > start]
    for first, after in zip(answers, answers[1:] + [10**9], strict=False):   # up to the next answer
        code = [b for b in blocks if first < b.line < after and b.lang == "python" and b.skip is None]
        if not any(re.search(r"^\s*assert\b", b.code, re.M) for b in code):
            problems.append(f"{where}:{first}: this 参考答案 has no Python block that asserts its answer")
    return problems


@pytest.mark.parametrize("page", SECTIONS, ids=_id)
def test_every_section_ends_with_exercises_whose_answers_run(page):
    problems = exercise_problems(page)
    assert not problems, "\n".join(problems)


def test_an_answer_without_an_assert_is_caught(tmp_path, monkeypatch):
    monkeypatch.setattr(f"{__name__}.DOCS", tmp_path / "docs")
    page = _page(tmp_path, "# 1.1 节\n\n## 练习\n\n1. 问题一。\n\n    ??? success \"参考答案\"\n"
                           "        ```python\n        assert 1 + 1 == 2\n        ```\n\n2. 问题二。\n\n"
                           "    ??? success \"参考答案\"\n        ```python\n        x = 2\n        ```\n")
    assert exercise_problems(page) == ["docs/page.md:14: this 参考答案 has no Python block that asserts "
                                       "its answer"]

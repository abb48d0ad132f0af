"""Each page with code says what verified it, from the record of the run that did.

The snippet tests leave, per page, a record of what ran (.cache/verified/<page>.json, written by
tests/snippets.py): the page's content hash, the outcome of every chain, the number of blocks, the
versions of Python and of the libraries the page imports, the date and the commit. This hook turns
it into one line under the page (overrides/main.html shows `page.book_stamp`):

* all passed, for this very content: "本页 12 段代码于 2026-12-01 在 Python 3.11.7 / PyTorch …
  下全部运行通过（提交 abc1234）";
* some failed: it says so, and which;
* the page changed after its run, or no run recorded (`make serve` before any test): "尚未验证".

`make build` and `make test` run the code blocks before they build the site, so what they
publish carries the stamp of that run.
"""

import hashlib
import json
import re
from pathlib import Path

from blocks import AuthorError, parse  # hooks/blocks.py (mkdocs puts hooks/ on sys.path)

NAMES = {"torch": "PyTorch", "tensorflow": "TensorFlow", "keras": "Keras", "transformers": "Transformers",
         "numpy": "NumPy", "scikit-learn": "scikit-learn"}
ORDER = ["torch", "tensorflow", "keras", "transformers", "numpy", "scikit-learn"]


def record_path(root: Path, src_uri: str) -> Path:
    return root / ".cache" / "verified" / Path(src_uri).with_suffix(".json")


def stamp(record: dict | None, sha256: str) -> tuple[str, str]:
    """(state, sentence) for a page whose content hashes to sha256, from its record (or None)."""
    if record is None:
        return "unverified", "本页代码尚未验证：运行测试（make test）之后，这里写明验证它的日期与版本。"
    if record["sha256"] != sha256:
        return "stale", f"本页在最近一次验证（{record['when']}）之后改动过，改动后的代码尚未验证。"
    versions = [f"Python {record['python']}"] + [f"{NAMES[d]} {record['versions'][d]}"
                                                 for d in ORDER if d in record["versions"]]
    env = " / ".join(versions)
    if record["commit"]:
        commit = f"提交 {record['commit']}" + ("，本页另有未提交的修改" if record["page dirty"] else "")
    else:
        commit = "不在 git 仓库中运行"
    ran = record["blocks"] - record["skipped blocks"]
    if record["passed"]:
        also = f"；另有 {record['skipped blocks']} 段标明不运行" if record["skipped blocks"] else ""
        return "passed", f"本页 {ran} 段代码于 {record['when']} 在 {env} 下全部运行通过（{commit}{also}）。"
    where = "、".join(_line(name) for name in record["failed"])
    if record["failed"]:
        return "failed", (f"本页代码于 {record['when']} 在 {env} 下运行时未全部通过（{commit}）："
                          f"从{where}开始的代码失败，页面上它们的输出未经这次运行验证。")
    return "partial", f"本页代码于 {record['when']} 只运行了一部分（{commit}），尚未全部验证。"


def _line(test_name: str) -> str:
    """'line 12 [PyTorch]' -> '第 12 行（PyTorch）'"""
    m = re.match(r"^line (\d+)(?: \[(.+)\])?$", test_name)
    return (f"第 {m[1]} 行" + (f"（{m[2]}）" if m[2] else "")) if m else test_name


def on_page_context(context, page, config, nav):
    page.book_stamp = None
    path = page.file.abs_src_path
    if path is None or not path.endswith(".md"):
        return context
    try:
        blocks, _ = parse(Path(path))
    except AuthorError:
        return context     # hooks/snippets.py reports it
    if not any(b.skip is None for b in blocks):
        return context     # nothing runs on this page: nothing to verify
    root = Path(config.config_file_path).resolve().parent
    file = record_path(root, page.file.src_uri)
    try:
        record = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        record = None
    state, text = stamp(record, hashlib.sha256(Path(path).read_bytes()).hexdigest())
    page.book_stamp = {"state": state, "text": text}
    return context

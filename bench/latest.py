"""`make test-latest`: the book against the newest releases of its frameworks, before readers get them.

The canary for dependency rot. In a venv of its own (.venv-latest, never the book's .venv) it
installs requirements.lock, then the newest torch, tensorflow, transformers, keras, numpy and
scikit-learn that the package index offers (torch's CPU build from PyTorch's CPU index when that
index answers, else PyPI's build), runs the snippet tests (every code block of docs/) and the
example tests (the site built with every example executed) against them, and writes
bench/latest.md: the versions, which blocks break with the first line of their error, and what
`pip check` says. Nothing is pinned, committed or changed in the book's own set-up: a pip
configuration that caps a version on this machine (/etc/xdg/pip) stays in force and the report
says what it capped.

The tests run in a scratch copy of the tracked files (.cache/latest/book): the book's own
.cache (executed examples, the per-page verification record behind each page's stamp) is never
touched by a run under other versions. Exit status 0 when the report was written, whatever broke
(the report is the product; publishing never waits for it); non-zero when the canary itself could
not run. `--report-only` rewrites bench/latest.md from the last run's raw results.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv-latest"
WORK = ROOT / ".cache" / "latest"
COPY = WORK / "book"
REPORT = ROOT / "bench" / "latest.md"
# The releases the canary moves to the newest (distribution names), with how the report names them.
CANARY = {"torch": "PyTorch", "tensorflow": "TensorFlow", "transformers": "Transformers",
          "keras": "Keras", "numpy": "NumPy", "scikit-learn": "scikit-learn"}
TORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"
# Examples are executed by the site build that tests/test_examples.py needs.
TESTS = ["docs", "tests/test_examples.py"]


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def run(cmd, **kwargs) -> subprocess.CompletedProcess:
    log("$", " ".join(map(str, cmd)))
    return subprocess.run(list(map(str, cmd)), **kwargs)


def pip(*args, check=True) -> subprocess.CompletedProcess:
    done = run([VENV / "bin" / "python", "-m", "pip", *args], capture_output=True, text=True)
    if check and done.returncode:
        raise SystemExit(f"pip {' '.join(args)} failed:\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
    return done


def install() -> dict:
    """The venv with the lock, then the canary releases at their newest. What happened, for the report."""
    if not (VENV / "bin" / "python").exists():
        run(["python3.11", "-m", "venv", VENV], check=True)
    (VENV / ".gitignore").write_text("*\n")          # never committed, as .venv is not
    pip("install", "--quiet", "--upgrade", "pip>=25")
    # Everything the tests need, as the book pins it, except what the canary moves (the lock's
    # other pins may then move too, where a new release needs it: pip says which).
    kept = [line for line in (ROOT / "requirements.lock").read_text().splitlines()
            if line and not line.startswith("#")
            and re.split(r"[=<>!~ ]", line)[0].lower().replace("_", "-") not in CANARY]
    (WORK / "lock-without-canary.txt").write_text("\n".join(kept) + "\n")
    pip("install", "--quiet", "--no-deps", "-r", WORK / "lock-without-canary.txt")
    notes = []
    # torch: the CPU build where PyTorch's CPU index answers (as CI's PIP_EXTRA_INDEX_URL), else PyPI.
    cpu = pip("install", "--quiet", "--upgrade", "--timeout", "30", "--retries", "1",
              "--extra-index-url", TORCH_CPU_INDEX, "torch", check=False)
    if cpu.returncode:
        notes.append(f"PyTorch's CPU index ({TORCH_CPU_INDEX}) did not answer here: torch from PyPI "
                     "(its Linux wheel is the CUDA build; the tests use its CPU).")
        pip("install", "--quiet", "--upgrade", "torch")
    others = [name for name in CANARY if name != "torch"]
    pip("install", "--quiet", "--upgrade", *others)
    check = pip("check", check=False)
    # Where pip's configuration caps a canary release on this machine, the report says so.
    for conf in [Path("/etc/xdg/pip/constraints.txt"), Path("/etc/pip-constraints.txt")]:
        if conf.exists():
            capped = [line.strip() for line in conf.read_text().splitlines()
                      if re.split(r"[=<>!~ ]", line.strip())[0].lower() in CANARY]
            if capped:
                notes.append(f"this machine's pip configuration caps {', '.join(capped)} ({conf}); "
                             "the newest release allowed here was installed")
    kernel = VENV / "share" / "jupyter" / "kernels" / "ai-book" / "kernel.json"
    kernel.parent.mkdir(parents=True, exist_ok=True)
    kernel.write_text(json.dumps({
        "display_name": "AI book (.venv-latest)", "language": "python",
        "argv": [str(VENV / "bin" / "python"), "-m", "ipykernel_launcher",
                 "--IPKernelApp.capture_fd_output=False", "-f", "{connection_file}"],
        "env": {"TF_CPP_MIN_LOG_LEVEL": "2", "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}}))
    return {"notes": notes, "pip check": check.stdout.strip() or check.stderr.strip()}


def versions(python: Path) -> dict:
    code = ("import json, importlib.metadata as m, sys\n"
            f"names = {list(CANARY)!r}\n"
            "out = {n: m.version(n) for n in names}\n"
            "out['python'] = '.'.join(map(str, sys.version_info[:3]))\n"
            "print(json.dumps(out))")
    return json.loads(subprocess.run([python, "-c", code], capture_output=True, text=True,
                                     check=True).stdout)


def copy_book():
    """The tracked files (as the working tree has them) in a scratch directory."""
    shutil.rmtree(COPY, ignore_errors=True)
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    for name in filter(None, files.decode().split("\0")):
        source = ROOT / name
        if source.is_file():
            (COPY / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, COPY / name)


def test() -> dict:
    copy_book()
    env = {k: v for k, v in os.environ.items() if k not in {"MAKEFLAGS", "MFLAGS", "MAKELEVEL"}}
    env.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", TF_CPP_MIN_LOG_LEVEL="2",
               JUPYTER_PLATFORM_DIRS="1", NO_MKDOCS_2_WARNING="1",
               PATH=f"{VENV / 'bin'}:{env.get('PATH', '')}")
    report = WORK / "junit.xml"
    start = time.perf_counter()
    done = run([VENV / "bin" / "python", "-m", "pytest", *TESTS, "-q", "--tb=short",
                f"--junitxml={report}", "-o", "junit_logging=no"], cwd=COPY, env=env,
               capture_output=True, text=True)
    (WORK / "pytest.log").write_text(done.stdout + done.stderr)
    tail = [line for line in done.stdout.splitlines() if line.strip()][-1:] or ["(no summary)"]
    return {"exit status": done.returncode, "seconds": round(time.perf_counter() - start),
            "summary": tail[0].strip("= ")}


# --- the report ----------------------------------------------------------------------------------
def first_error_line(message: str) -> str:
    """The line of a failure that says what broke: the exception (`ValueError: …`), the deprecated
    call, or the first differing output line."""
    lines = [line.rstrip() for line in message.splitlines() if line.strip()]
    if "output differs from the page" in message:
        diff = [line for line in lines if re.match(r"^[-+](?![-+])", line)]
        return "output differs: " + " / ".join(diff[:2])[:300]
    for line in lines:
        if "calls a deprecated API" in line:
            return line.split(": ", 1)[-1][:300]
    exceptions = [line.strip() for line in lines
                  if re.match(r"^\s*(?:E\s+)?[A-Za-z_][\w.]*(?:Error|Exception|Warning|Exit|Interrupt)\b:?",
                              line)]
    return (exceptions[-1] if exceptions else lines[0] if lines else "(no message)").removeprefix("E ")[:300]


def failures(junit: Path) -> list[dict]:
    out = []
    for case in ET.parse(junit).iter("testcase"):
        for bad in [*case.iter("failure"), *case.iter("error")]:
            text = (bad.get("message") or "") + "\n" + (bad.text or "")
            where = re.search(r"(docs/[\w./-]+\.md:\d+)", text)
            out.append({"test": f"{case.get('classname', '')}::{case.get('name', '')}",
                        "block": where[1] if where else "", "error": first_error_line(text)})
    return out


def counts(junit: Path) -> dict:
    suites = list(ET.parse(junit).iter("testsuite"))
    return {k: sum(int(s.get(k, 0)) for s in suites) for k in ("tests", "failures", "errors", "skipped")}


def write_report(data: dict):
    pinned = versions(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv").exists() else {}
    latest = data["versions"]
    out = ["# make test-latest: the book under the newest releases\n",
           f"{data['when']}; generated by `bench/latest.py` (do not edit). The book's pins stay as they "
           "are: this is the warning, not the upgrade.\n",
           "| package | the book's pin | newest installed here |", "|---|---|---|"]
    out += [f"| {CANARY.get(name, 'Python')} | {pinned.get(name, '?')} | {latest[name]} |"
            for name in ["python", *CANARY]]
    out += ["", *[f"- {note}" for note in data["install"]["notes"]]]
    check = data["install"]["pip check"]
    out += [f"- `pip check`: {check if check else 'no conflicts'}".replace("\n", "; "), ""]
    c, t = data["counts"], data["test"]
    out += [f"## Result\n\n`pytest {' '.join(TESTS)}` in {t['seconds']} s: {t['summary']} "
            f"({c['tests']} tests, {c['failures']} failed, {c['errors']} errors, {c['skipped']} skipped).\n"]
    if data["failures"]:
        out += ["| test | block | first error line |", "|---|---|---|"]
        for f in data["failures"]:
            cell = f["error"].replace("|", "\\|")
            out.append(f"| `{f['test']}` | {f['block'] or '–'} | {cell} |")
    else:
        out.append("Every block and every example passed.")
    REPORT.write_text("\n".join(out) + "\n", encoding="utf-8")
    log(f"wrote {REPORT.relative_to(ROOT)}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--report-only", action="store_true", help="rewrite the report from the last run")
    args = parser.parse_args()
    raw = WORK / "raw.json"
    if args.report_only:
        data = json.loads(raw.read_text())
    else:
        WORK.mkdir(parents=True, exist_ok=True)
        data = {"when": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), "install": install()}
        data["versions"] = versions(VENV / "bin" / "python")
        log("versions:", data["versions"])
        data["test"] = test()
    junit = WORK / "junit.xml"
    if not junit.exists():
        raise SystemExit(f"the tests wrote no report; see {WORK / 'pytest.log'}")
    data["counts"], data["failures"] = counts(junit), failures(junit)
    raw.write_text(json.dumps(data, indent=1))
    write_report(data)


if __name__ == "__main__":
    main()

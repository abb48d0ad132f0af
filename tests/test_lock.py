"""Promise: `make` installs exactly what pyproject.toml pins (requirements.lock is in step with it)."""

import re
import tomllib

from tests.conftest import ROOT


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_every_pin_is_in_the_lock():
    pins = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    lines = (ROOT / "requirements.lock").read_text().splitlines()
    lock = {_norm(n): v for n, v in (line.split("==", 1) for line in lines if "==" in line)}
    stale = []
    for pin in pins:
        name, version = pin.split("==")
        locked = lock.get(_norm(name), "(missing)")
        if locked.split("+")[0] != version:   # torch is locked as 2.13.0+cpu
            stale.append(f"{name}: pyproject {version}, lock {locked}")
    assert not stale, "run `make lock`:\n" + "\n".join(stale)


def test_torch_is_the_cpu_build():
    # Any other torch spec pulls a multi-GB CUDA build on these machines.
    assert "torch==2.13.0+cpu" in (ROOT / "requirements.lock").read_text().splitlines()

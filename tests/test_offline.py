"""Promise: a code block cannot reach another host, however pytest was started.

The runner refuses connections itself (tests/snippets.py, `_offline`); `make test`'s network
namespace and pytest-socket are extra layers, not the guard. Tests here never send a packet off
this machine: the "other host" is 192.0.2.1 (TEST-NET-1) on the loopback of a network namespace
the test creates itself, with its own server; where the kernel refuses unprivileged namespaces,
the in-process guard is still tested against a loopback server the guard is told to treat as
remote.
"""

import json
import os
import socket
import subprocess
import sys
import textwrap
import threading

import pytest

from tests import snippets
from tests.conftest import ROOT

OTHER_HOST = "192.0.2.1"   # TEST-NET-1: documentation only, never routed; here on our own loopback


def _namespaces_allowed() -> bool:
    return subprocess.run(["unshare", "-rn", "true"], capture_output=True).returncode == 0


# Runs inside the namespace: a server on 192.0.2.1, a control connection from outside pytest, then
# the one-page command (plain pytest, no make, no pytest-socket flags) on a page that connects.
_HARNESS = textwrap.dedent("""\
    import json, os, socket, subprocess, sys, threading
    server = socket.create_server(("192.0.2.1", 0))
    port, accepted = server.getsockname()[1], []
    def accept():
        while True:
            conn, _ = server.accept()
            accepted.append(1)
            conn.close()
    threading.Thread(target=accept, daemon=True).start()
    socket.create_connection(("192.0.2.1", port), timeout=5).close()   # reachable without the guard
    book = sys.argv[1]
    os.makedirs(f"{book}/docs", exist_ok=True)
    open(f"{book}/pytest.ini", "w").write("[pytest]\\n")
    open(f"{book}/docs/page.md", "w").write(
        "```python\\nimport socket\\nsocket.create_connection(('192.0.2.1', %d), timeout=5)\\n```\\n" % port)
    done = subprocess.run([sys.executable, "-m", "pytest", "-p", "tests.snippets", "-p", "no:socket",
                           "-p", "no:cacheprovider", "-c", f"{book}/pytest.ini", "--rootdir", book,
                           f"{book}/docs"], cwd=book, capture_output=True, text=True)
    print(json.dumps({"accepted": len(accepted), "status": done.returncode, "out": done.stdout}))
    """)


def test_a_block_cannot_connect_to_a_bare_ip(tmp_path):
    if not _namespaces_allowed():
        message = ("NOT RUN: this kernel refuses unprivileged network namespaces (unshare -rn); the "
                   "in-process guard is still tested below against a loopback server")
        pytest.skip(message)
    done = subprocess.run(
        ["unshare", "-rn", "sh", "-c", f"ip addr add {OTHER_HOST}/32 dev lo && ip link set lo up && "
         f'exec "{sys.executable}" -c "$0" "$1"', _HARNESS, str(tmp_path)],
        env=dict(os.environ, PYTHONPATH=str(ROOT)), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.splitlines()[-1])
    assert result["accepted"] == 1, result      # only the harness's own control connection
    assert result["status"] == 1, result["out"]
    assert f"refused connect to {OTHER_HOST}:" in result["out"]
    assert "the book runs offline" in result["out"] and "Ship the data instead" in result["out"]


@pytest.fixture
def loopback_server():
    server = socket.create_server(("127.0.0.1", 0))
    accepted = []

    def accept():
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            accepted.append(1)
            conn.close()

    threading.Thread(target=accept, daemon=True).start()
    yield server.getsockname()[1], accepted
    server.close()


def test_the_guard_refuses_an_address_it_takes_for_another_host(loopback_server, monkeypatch):
    port, accepted = loopback_server
    monkeypatch.setattr(snippets, "_is_local", lambda host: False)   # 127.0.0.1 plays another host
    with snippets._offline() as refused, pytest.raises(snippets.OfflineError, match="runs offline"):
        socket.create_connection(("127.0.0.1", port), timeout=5)
    assert refused and not accepted
    socket.create_connection(("127.0.0.1", port), timeout=5).close()   # guard gone: it connects
    assert _wait_for(accepted)


def test_the_guard_refuses_to_look_up_a_host_name(loopback_server, monkeypatch):
    port, accepted = loopback_server
    real = socket.getaddrinfo
    monkeypatch.setattr(socket, "getaddrinfo",   # data.example resolves to our loopback server
                        lambda host, *a, **k: real("127.0.0.1" if host == "data.example" else host, *a, **k))
    with snippets._offline(), pytest.raises(snippets.OfflineError, match="host name 'data.example'"):
        socket.create_connection(("data.example", port), timeout=5)
    assert not accepted
    with snippets._offline():     # loopback stays allowed: the browser tests' servers live there
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
    assert _wait_for(accepted)


def _wait_for(accepted: list) -> bool:
    for _ in range(100):
        if accepted:
            return True
        threading.Event().wait(0.02)
    return False


def test_a_refusal_a_library_swallows_still_fails_the_block(tmp_path):
    from tests.test_fail_closed import run_snippets
    done = run_snippets(tmp_path, """\
        '''python
        import socket
        try:
            socket.getaddrinfo("example.org", 443)
        except OSError:
            pass   # a library that falls back quietly
        '''
        """)
    assert done.returncode == 1
    assert "docs/page.md:1: refused looking up the host name 'example.org'" in done.stdout

"""What tests/test_browser.py and bench/run.py share: a loopback web server and Debian's chromium.

* `serve(directory, gzip=...)` serves a built site on a free port of 127.0.0.1 from a thread. With
  `gzip=True` it answers like GitHub Pages does: text (HTML, CSS, JS, JSON, SVG) gzip-compressed when
  the browser accepts it, fonts and images as they are, `Cache-Control: max-age=600`, and the site's
  404.html for a missing path. Page weights measured against it are what a reader downloads.
* `launch(playwright)` starts the system's chromium through Playwright (never a downloaded browser),
  with the flags that stop Chromium's own background traffic (updates, sync, safe browsing): on this
  closed network those requests would fail, and they are no part of the site.
* `chromium_env()`: the environment chromium runs in, with a Chinese font. A reader's phone draws
  Chinese in a CJK font (Android's is Noto Sans CJK); a bare CI machine has none and would draw
  boxes, and every check of a page's layout would measure those. Chromium finds fonts through
  fontconfig, so it is given a configuration: the system's fonts plus Noto Sans CJK SC, the font
  mplfonts ships (in the lock already, for the figures' Chinese labels).
"""

import gzip as gzip_module
import http.server
import importlib.util
import mimetypes
import os
import threading
from contextlib import contextmanager
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("BOOK_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
# What GitHub Pages compresses (it leaves woff2/png alone: they are compressed already).
_COMPRESSED_TYPES = ("text/", "application/javascript", "application/json", "image/svg+xml",
                     "application/xml")


def chromium_missing() -> str | None:
    """Why the browser cannot run here, or None when it can."""
    if not os.access(CHROMIUM, os.X_OK):
        return f"no chromium at {CHROMIUM} (Debian: apt-get install chromium; .ci/run does it)"
    return None


def launch(playwright, **kwargs):
    """The browser (sync or async Playwright, whichever `playwright` is)."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, env=chromium_env(),
                                      **kwargs)


CJK_FONT = "NotoSansCJKsc-Regular.otf"
_FONTCONFIG = """<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">
<fontconfig>
  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>
  <dir>{fonts}</dir>
  <selectfont>
    <rejectfont><glob>{fonts}/*</glob></rejectfont>
    <acceptfont><glob>{fonts}/{font}</glob></acceptfont>
  </selectfont>
  <cachedir>{cache}</cachedir>
</fontconfig>
"""


def chromium_env() -> dict[str, str]:
    """os.environ, with FONTCONFIG_FILE naming a configuration that adds the CJK font."""
    spec = importlib.util.find_spec("mplfonts")   # not imported: it would import matplotlib
    fonts = Path(spec.submodule_search_locations[0]) / "fonts"
    folder = ROOT / ".cache" / "fontconfig"
    text = _FONTCONFIG.format(fonts=fonts, font=CJK_FONT, cache=folder / "cache")
    conf = folder / "fonts.conf"
    if not conf.exists() or conf.read_text() != text:
        folder.mkdir(parents=True, exist_ok=True)
        written = folder / f"fonts.conf.{os.getpid()}"   # several processes may write it at once
        written.write_text(text)
        written.replace(conf)
    return dict(os.environ, FONTCONFIG_FILE=str(conf))


class _CountingWriter:
    """The response stream, counting the bytes that go out (headers and body)."""

    def __init__(self, raw):
        self.raw, self.sent = raw, 0

    def write(self, data):
        self.sent += len(data)
        return self.raw.write(data)

    def __getattr__(self, name):
        return getattr(self.raw, name)


class _Handler(http.server.SimpleHTTPRequestHandler):
    gzip = False
    _cache: dict = {}  # path -> gzip-compressed bytes (the site does not change while served)
    log: list | None = None  # if a list: (path, status, bytes sent) of every response

    def log_message(self, *args):  # keep test and bench output clean
        pass

    def log_request(self, code="-", size="-"):
        self._status = code

    def setup(self):
        super().setup()
        self.wfile = _CountingWriter(self.wfile)

    def handle_one_request(self):
        before, self._status = self.wfile.sent, None
        super().handle_one_request()
        if self.log is not None and self._status is not None:
            self.wfile.flush()
            self.log.append((self.path, int(self._status), self.wfile.sent - before))

    def end_headers(self):
        if self.gzip:
            self.send_header("Cache-Control", "max-age=600")
        super().end_headers()

    def send_head(self):
        if not self.gzip:
            return super().send_head()
        path = Path(self.translate_path(self.path))
        if path.is_dir() and self.path.split("?")[0].endswith("/"):
            path = path / "index.html"
        if not path.is_file():
            if path.is_dir():  # /dir without a slash: let the base class redirect to /dir/
                return super().send_head()
            path, status = Path(self.directory) / "404.html", 404
        else:
            status = 200
        ctype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        body = path.read_bytes()
        compress = ctype.startswith(_COMPRESSED_TYPES) and "gzip" in self.headers.get("Accept-Encoding", "")
        if compress:
            key = str(path)
            if key not in self._cache:
                self._cache[key] = gzip_module.compress(body, compresslevel=6, mtime=0)
            body = self._cache[key]
        self.send_response(status)
        self.send_header("Content-Type", ctype + ("; charset=utf-8" if ctype.startswith("text/") else ""))
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Vary", "Accept-Encoding")
        if compress:
            self.send_header("Content-Encoding", "gzip")
        self.end_headers()
        if self.command == "HEAD":
            return None
        self.wfile.write(body)
        return None


@contextmanager
def serve(directory: Path, gzip: bool = False, log: list | None = None):
    """Serve `directory` on a free loopback port; yields the base URL ('http://127.0.0.1:PORT/').

    `log`, if given, receives (path, status, bytes sent) for every response (bench/run.py)."""
    handler = partial(type("Handler", (_Handler,), {"gzip": gzip, "_cache": {}, "log": log}),
                      directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()

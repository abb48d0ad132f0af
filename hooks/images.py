"""Figures load lazily and keep their place: every <img> of a page's Markdown gets its PNG's own
width and height (read from the file's header, so the layout does not jump when it arrives) and
`loading="lazy" decoding="async"` (a figure below the fold costs nothing until the reader scrolls
near it; this keeps chapter-3 pages within the page-weight budget, see bench/results.md).
"""

import posixpath
import re
import struct
from pathlib import Path

from mkdocs.exceptions import PluginError

_IMG = re.compile(r'<img\b(?P<attrs>[^>]*?)\s*/?>')
_SRC = re.compile(r'\bsrc="(?P<src>[^"]+)"')


def _png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    if head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
        raise PluginError(f"hooks/images.py: {path} is not a PNG")
    return struct.unpack(">II", head[16:24])


def on_page_content(html, page, config, files):
    def fix(match):
        attrs = match["attrs"]
        src = _SRC.search(attrs)
        if not src or "loading=" in attrs or not src["src"].endswith(".png") or ":" in src["src"]:
            return match[0]
        # By now src is relative to the page's URL (a directory); static files keep their paths.
        target = files.get_file_from_path(posixpath.normpath(posixpath.join(page.url, src["src"])))
        if target is None:
            return match[0]  # test_links reports the broken image
        width, height = _png_size(Path(target.abs_src_path))
        return f'<img{attrs} width="{width}" height="{height}" loading="lazy" decoding="async" />'

    return _IMG.sub(fix, html)

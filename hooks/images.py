"""Figures load lazily and keep their place: every <img> of a page's Markdown gets its PNG's own
width and height (read from the file's header, so the layout does not jump when it arrives) and
`loading="lazy" decoding="async"` (a figure below the fold costs nothing until the reader scrolls
near it; this keeps chapter-3 pages within the page-weight budget, see bench/results.md).

Example pages get the same: nbconvert inlines each figure an example draws as a base64 data URI,
which made those pages ~150 KB of HTML (gzipped) before the first paint. Each becomes a PNG file
beside the page, named by its content, and is sized and lazy-loaded like the others. Its alt text,
"No description has been provided for this image" from nbconvert, becomes the heading of the
section that draws it (e.g. "训练曲线"), which is what a screen reader user needs to place it.
"""

import base64
import hashlib
import posixpath
import re
import struct
from pathlib import Path

from mkdocs.exceptions import PluginError

from examples import is_example  # hooks/examples.py: mkdocs puts hooks/ on sys.path to load a hook

_IMG = re.compile(r'<img\b(?P<attrs>[^>]*?)\s*/?>')
_SRC = re.compile(r'\bsrc="(?P<src>[^"]+)"')


_DATA_PNG = re.compile(r'<img alt="(?P<alt>[^"]*)"(?P<attrs>[^>]*?) '
                       r'src="data:image/png;base64,(?P<data>[A-Za-z0-9+/=\s]+)"')
_HEADING = re.compile(r"<h[1-6]\b[^>]*>(.*?)</h[1-6]>", re.S)
_NBCONVERT_ALT = "No description has been provided for this image"


def _png_size(data: bytes, name) -> tuple[int, int]:
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        raise PluginError(f"hooks/images.py: {name} is not a PNG")
    return struct.unpack(">II", data[16:24])


def on_post_page(output, page, config):
    if not is_example(page):
        return output
    uri = page.file.src_uri

    def to_file(match):
        data = base64.b64decode(match["data"])
        width, height = _png_size(data, f"an output image of {uri}")
        name = f"output-{hashlib.sha256(data).hexdigest()[:12]}.png"
        target = Path(page.file.abs_dest_path).parent / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        alt = match["alt"]
        if alt == _NBCONVERT_ALT and (headings := _HEADING.findall(output, 0, match.start())):
            alt = "示例输出的图：" + re.sub(r"<[^>]+>|¶", "", headings[-1]).strip()
        return (f'<img alt="{alt}"{match["attrs"]} src="{name}" width="{width}" height="{height}" '
                'loading="lazy" decoding="async"')

    return _DATA_PNG.sub(to_file, output)


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
        with open(target.abs_src_path, "rb") as png:
            width, height = _png_size(png.read(24), target.abs_src_path)
        return f'<img{attrs} width="{width}" height="{height}" loading="lazy" decoding="async" />'

    return _IMG.sub(fix, html)

"""Give Material's search dialog an accessible name (Lighthouse: "aria-dialog-name").

Material renders `<div class="md-search" ... role="dialog">` without a label, so a screen reader
announces an anonymous dialog and Lighthouse's accessibility score drops below 100. This adds
`aria-label="查找"` (the theme's own word for search). If a Material update changes that markup,
the build stops here instead of silently losing the label.
"""

from mkdocs.exceptions import PluginError

_DIALOG = '<div class="md-search" data-md-component="search" role="dialog">'
_NAMED = '<div class="md-search" data-md-component="search" role="dialog" aria-label="查找">'


def on_post_page(output, page, config):
    if _DIALOG not in output:
        if _NAMED in output or 'class="md-search"' not in output:
            return output
        raise PluginError(f"hooks/a11y.py: Material's search dialog markup changed ({page.file.src_uri})")
    return output.replace(_DIALOG, _NAMED, 1)

"""What Material's templates leave out for keyboards and screen readers, added to each page.

* The search dialog, `<div class="md-search" ... role="dialog">`, has no name (Lighthouse:
  "aria-dialog-name"): it gets `aria-label="查找"` (the theme's own word for search).
* A chapter's expand chevron in the navigation (`<label … tabindex="0">` holding only an icon)
  is a Tab stop with no name, and it names the chapter's list (`aria-labelledby`): it gets the
  text "<chapter> 的各节", for screen readers only (book.css `.book-sr-only`; a <label> may not
  carry a role or aria-label).
* A section index page (navigation.indexes) has no `__toc` checkbox, yet its table of contents
  keeps a `<label for="__toc">` (invalid: a label for nothing); there it becomes a plain heading.
* A table that is wider than the screen scrolls in Material's wrapper, which a keyboard cannot
  reach (axe: scrollable-region-focusable): tables take focus (`tabindex="0"`), so the arrow keys
  scroll them; book.css shows where focus is.

If a Material update changes the markup these rely on, the build stops here (or the browser
tests' axe-core audit fails) instead of silently losing the fix.
"""

import re

from mkdocs.exceptions import PluginError

_DIALOG = '<div class="md-search" data-md-component="search" role="dialog">'
_NAMED = '<div class="md-search" data-md-component="search" role="dialog" aria-label="查找">'
# <a href=… class="md-nav__link …"> … <span class="md-ellipsis"> TITLE </span> … </a>
# <label class="md-nav__link " for="__nav_2" id="__nav_2_label" tabindex="0"> <span …icon…></span> </label>
_CHEVRON = re.compile(
    r'<span class="md-ellipsis">\s*(?P<title>(?:(?!</span>).)*?)\s*</span>\s*</a>\s*'
    r'<label class="md-nav__link[^"]*" for="(?P<for>__nav_[\d_]+)" id="(?P=for)_label" tabindex="0"'
    r'>(?=\s*<span class="md-nav__icon md-icon"></span>\s*</label>)', re.S)
_TOC_TITLE = re.compile(r'<label class="md-nav__title" for="__toc">(.*?)</label>', re.S)


def on_page_content(html, page, config, files):
    return re.sub(r"<table\b(?![^>]*\btabindex=)", '<table tabindex="0"', html)


def on_post_page(output, page, config):
    where = f"({page.file.src_uri})"
    if 'class="md-search"' in output and _NAMED not in output:
        if _DIALOG not in output:
            raise PluginError(f"hooks/a11y.py: Material's search dialog markup changed {where}")
        output = output.replace(_DIALOG, _NAMED, 1)
    output = _CHEVRON.sub(lambda m: f'{m[0]}<span class="book-sr-only">{m["title"]} 的各节</span>', output)
    if re.search(r'<label [^>]*for="__nav_[\d_]+"[^>]*tabindex="0">\s*<span class="md-nav__icon', output):
        raise PluginError(f"hooks/a11y.py: Material's navigation markup changed {where}: "
                          "a chevron was left without a name")
    if 'for="__toc"' in output and 'id="__toc"' not in output:
        output = _TOC_TITLE.sub(r'<div class="md-nav__title">\1</div>', output)
    return output

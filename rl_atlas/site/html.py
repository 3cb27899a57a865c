"""Escaping and link helpers shared by the page generators.

Every string that comes from the catalog goes through one of these before it reaches a page:
`esc` for HTML text and attributes, `md` for Markdown text, `page_title` for the title mkdocs and the theme
print (the theme prints titles unescaped, and once through Jinja's `striptags`, which unescapes entities),
`href` for URLs (only http(s) links are ever emitted, so a `javascript:` link cannot get in).
"""

from __future__ import annotations

import html
import posixpath
import re

# Python-Markdown's own backslash escapes (its ESCAPED_CHARS); `>` and `<` are already entities by then.
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!])")


def esc(value) -> str:
    """HTML-escape text for element content and quoted attributes."""
    return html.escape("" if value is None else str(value), quote=True)


def md(value) -> str:
    """Escape text for Markdown: HTML-escape it, then backslash the characters Markdown would act on."""
    text = html.escape("" if value is None else str(value), quote=False).replace("\n", " ")
    return _MD_SPECIAL.sub(r"\\\1", text)


def page_title(value) -> str:
    """A page title that stays inert both where the theme prints it raw and where it strips tags and unescapes.

    Angle brackets become single guillemets, so no tag (not even `</title>`) can appear after unescaping.
    """
    text = str(value).replace("<", "\u2039").replace(">", "\u203a").replace("\n", " ")
    return html.escape(text, quote=True)


def href(url) -> str | None:
    """The URL, escaped for an attribute, if it is an http(s) URL; otherwise None."""
    if not url or not re.match(r"^https?://[^\s\"'<>]+$", str(url)):
        return None
    return esc(url)


def html_path(src_uri: str) -> str:
    """Where mkdocs writes a page (use_directory_urls is off): `papers/x.md` -> `papers/x.html`."""
    return src_uri[:-3] + ".html" if src_uri.endswith(".md") else src_uri


def link(from_src: str, to_src: str, anchor: str | None = None) -> str:
    """Relative URL from the page built from `from_src` to the file `to_src` (both docs-relative)."""
    here = posixpath.dirname(html_path(from_src))
    url = posixpath.relpath(html_path(to_src), here or ".")
    return url + ("#" + anchor if anchor else "")


def a(from_src: str, to_src: str, text, anchor: str | None = None, cls: str | None = None) -> str:
    c = f' class="{cls}"' if cls else ""
    return f'<a href="{esc(link(from_src, to_src, anchor))}"{c}>{esc(text)}</a>'


def ext(url, text, cls: str | None = None) -> str:
    """An external link, or the bare text if the URL is not http(s)."""
    h = href(url)
    if h is None:
        return esc(text)
    c = f' class="{cls}"' if cls else ""
    return f'<a href="{h}"{c} rel="noopener">{esc(text)}</a>'


def front_matter(**meta) -> str:
    """YAML front matter; values are dumped by PyYAML so no catalog text can break out of it."""
    import yaml

    return "---\n" + yaml.safe_dump(meta, allow_unicode=True, sort_keys=False) + "---\n\n"

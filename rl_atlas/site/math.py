"""TeX maths in hand-written pages, turned into MathML at build time.

Browsers render MathML natively, so equations need no JavaScript and no fonts from a CDN: the site stays
offline. `$$ ... $$` becomes a display equation, `$ ... $` an inline one; fenced code blocks and inline code
are left alone. An expression latex2mathml cannot read is kept as code and reported, never dropped.
"""

from __future__ import annotations

import logging
import re

from latex2mathml.converter import convert

log = logging.getLogger("mkdocs.plugins.rl_atlas")

DISPLAY = re.compile(r"\$\$(.+?)\$\$", re.S)
INLINE = re.compile(r"(?<![\\$\w])\$(?=\S)([^$\n]+?)(?<=\S)\$(?![\w$])")
CODE = re.compile(r"(^(?P<fence>```|~~~).*?^(?P=fence)[ \t]*$|`[^`\n]+`)", re.S | re.M)


def _mathml(tex: str, display: str, where: str) -> str:
    try:
        return convert(tex.strip(), display=display)
    except Exception as exc:  # latex2mathml raises several exception types
        log.warning("rl-atlas: %s: cannot render $%s$ (%s); shown as code", where, tex.strip()[:60], exc)
        return f"<code>{tex.strip()}</code>"


def render_math(markdown: str, where: str = "page") -> str:
    out, last = [], 0
    for m in CODE.finditer(markdown):
        out.append(_render_text(markdown[last:m.start()], where))
        out.append(m.group(0))
        last = m.end()
    out.append(_render_text(markdown[last:], where))
    return "".join(out)


def _render_text(text: str, where: str) -> str:
    text = DISPLAY.sub(lambda m: "\n\n<div class=\"math-display\">" + _mathml(m.group(1), "block", where) + "</div>\n\n", text)
    # wrapped in a span: Python-Markdown treats a line that starts with <math> as a raw HTML block
    return INLINE.sub(lambda m: "<span class=\"math-inline\">" + _mathml(m.group(1), "inline", where) + "</span>", text)

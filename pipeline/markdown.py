"""Markdown in one place: escaping text into the Markdown the project writes, and rendering it as HTML.

Scope: :func:`md_text` makes untrusted text (profile values, finding messages) inert inline
Markdown: one line, HTML-special characters as entities, every Markdown syntax character
backslash-escaped, optionally shortened. :func:`md_cell` fits trusted Markdown (schema
descriptions, which use backticks on purpose) into one table cell. :func:`render` and
:func:`inline` turn the Markdown of changelogs and dictionary cells into HTML with markdown-it-py
(CommonMark, raw HTML disabled, links and images off): no markup in the input ever becomes an
element. It must not know what a report, changelog or release is.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from functools import cache

from markdown_it import MarkdownIt
from markupsafe import Markup

_MD_SPECIAL = re.compile(r"([\\`*_\[\]#|~!])")


def md_text(value: object, limit: int | None = None) -> str:
    """Plain text as inert Markdown: one line (shortened to ``limit`` with …), HTML escaped, Markdown
    syntax escaped."""
    text = " ".join(str(value).split())
    if limit is not None and len(text) > limit:
        text = text[: limit - 1] + "…"
    return _MD_SPECIAL.sub(r"\\\1", html.escape(text, quote=False))


def md_texts(values: Iterable[object]) -> list[str]:
    """``[md_text(v) for v in values]``, escaped in one pass: each value is first put on one line
    (no line break left in it), so the lines joined, escaped once and split again are the values'
    escapes (both escapes work character by character and never touch a line break)."""
    texts = [" ".join(str(v).split()) for v in values]
    if not texts:
        return []
    return _MD_SPECIAL.sub(r"\\\1", html.escape("\n".join(texts), quote=False)).split("\n")


def md_cell(text: object) -> str:
    """Trusted Markdown made safe for one table cell (pipes escaped, line breaks flattened)."""
    return " ".join(str(text).split()).replace("\\", "\\\\").replace("|", "\\|")


@cache
def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False}).disable(["link", "image", "autolink"])


def inline(text: str) -> Markup:
    """One line of Markdown → HTML (``<code>``, ``<strong>``, ``<em>``; everything else escaped)."""
    return Markup(_parser().renderInline(text))


def render(text: str, *, shift: int = 1) -> Markup:
    """A Markdown document → HTML; headings go ``shift`` levels down (``#`` → ``<h2>``)."""
    parser = _parser()
    tokens = parser.parse(text)
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{min(6, int(token.tag[1:]) + shift)}"
    return Markup(parser.renderer.render(tokens, parser.options, {}))

"""The small Markdown subset of changelogs and dictionary cells, rendered as safe HTML.

Scope: headings, bullet lists, paragraphs, inline code, bold and backslash escapes — what
``pipeline.publish.changelog`` and ``pipeline.publish.dictionary`` write. Every piece of text is
escaped on output (entities the writer used to neutralise HTML are decoded first, then escaped
once), so no markup in the input ever becomes an element. It must not support raw HTML, links or
images.
"""

from __future__ import annotations

import html
import re

from markupsafe import Markup, escape

_HEADING = re.compile(r"^(#{1,6})\s+(.*)$")
_ITEM = re.compile(r"^\s*[-*]\s+(.*)$")


def inline(text: str) -> Markup:
    """One line of Markdown text → escaped HTML with ``<code>`` and ``<strong>``."""
    out: list[str] = []
    buf: list[str] = []
    bold = False
    i = 0

    def flush() -> None:
        if buf:
            out.append(str(escape(html.unescape("".join(buf)))))
            buf.clear()

    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            buf.append(text[i + 1])
            i += 2
        elif ch == "`":
            end = text.find("`", i + 1)
            if end < 0:
                buf.append(ch)
                i += 1
                continue
            flush()
            out.append(f"<code>{escape(html.unescape(text[i + 1:end]))}</code>")
            i = end + 1
        elif text.startswith("**", i):
            flush()
            out.append("</strong>" if bold else "<strong>")
            bold = not bold
            i += 2
        else:
            buf.append(ch)
            i += 1
    flush()
    if bold:
        out.append("</strong>")
    return Markup("".join(out))


def render(text: str, *, shift: int = 1) -> Markup:
    """A Markdown document → HTML; headings go ``shift`` levels down (``#`` → ``<h2>``)."""
    out: list[str] = []
    para: list[str] = []
    items: list[str] = []

    def close() -> None:
        if para:
            out.append(f"<p>{inline(' '.join(para))}</p>")
            para.clear()
        if items:
            out.append("<ul>" + "".join(f"<li>{inline(i)}</li>" for i in items) + "</ul>")
            items.clear()

    for raw in text.splitlines():
        line = raw.rstrip()
        heading = _HEADING.match(line)
        item = _ITEM.match(line)
        if not line.strip():
            close()
        elif heading:
            close()
            level = min(6, len(heading[1]) + shift)
            out.append(f"<h{level}>{inline(heading[2])}</h{level}>")
        elif item:
            if para:
                close()
            items.append(item[1])
        else:
            if items:
                close()
            para.append(line.lstrip("> ").strip())
    close()
    return Markup("\n".join(out))

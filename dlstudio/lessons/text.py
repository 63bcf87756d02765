"""The markup of lesson text, small enough to learn from one example: paragraphs,
`code`, **bold**, *italic*, and lines starting with "- " as a list. The same text reads
well as Markdown in docs/lessons/ and turns into the panel's HTML here."""

from __future__ import annotations

import html
import re

_CODE = re.compile(r"`([^`]+)`")
_BOLD = re.compile(r"\*\*([^*]+)\*\*")
_ITALIC = re.compile(r"(?<![*\w])\*([^*\s][^*]*)\*(?![*\w])")


def inline_html(text: str) -> str:
    """One line of lesson text as HTML (escaped first, so nothing in it is markup but
    the three forms above)."""
    text = html.escape(text, quote=False)
    text = _CODE.sub(r"<code>\1</code>", text)
    text = _BOLD.sub(r"<b>\1</b>", text)
    return _ITALIC.sub(r"<i>\1</i>", text)


def paragraphs_html(paragraphs: tuple[str, ...] | list[str]) -> str:
    """Paragraphs as <p> blocks; a paragraph whose lines all start with "- " is a list."""
    blocks = []
    for paragraph in paragraphs:
        lines = [line.strip() for line in paragraph.splitlines() if line.strip()]
        if lines and all(line.startswith("- ") for line in lines):
            items = "".join(f"<li>{inline_html(line[2:])}</li>" for line in lines)
            blocks.append(f"<ul>{items}</ul>")
        else:
            blocks.append(f"<p>{inline_html(' '.join(lines))}</p>")
    return "".join(blocks)

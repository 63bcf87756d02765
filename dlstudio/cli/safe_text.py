"""Text from files and folders, made safe to print on a terminal.

Class names come from CSV cells and folder names, paths from folders the user did not
write; an escape sequence among them would recolour or rewrite the terminal, a newline
would forge a line of output, a bidi override would show a name backwards. `shown`
writes every such character as a visible escape (`\\x1b`, `\\n`, `\\u202e`) and leaves
the rest of the text, accents and scripts included, as it is.
"""

from __future__ import annotations

import unicodedata

# Control (C0, DEL, C1), format (bidi overrides, zero-width), line/paragraph separators,
# and lone surrogates (undecodable file names), which a terminal cannot print at all.
_HIDDEN = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(char: str) -> str:
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def shown(text: object) -> str:
    """`text` (or its str()) with every control, format or separator character escaped."""
    text = str(text)
    if text.isprintable():  # the common case: nothing to do (spaces count as printable)
        return text
    return "".join(_escape(c) if unicodedata.category(c) in _HIDDEN else c for c in text)


def shown_lines(text: str) -> str:
    """Several lines of output (a table): each line made safe, the line breaks kept."""
    return "\n".join(shown(line) for line in text.split("\n"))

"""Look-alike text for tests, built from ASCII so that the sources stay readable."""

from __future__ import annotations

# Cyrillic letters drawn like the Latin a e o p c y x i.
CYRILLIC_LOOKALIKES = str.maketrans("aeopcyxi", "\u0430\u0435\u043e\u0440\u0441\u0443\u0445\u0456")


def fullwidth(ascii_text: str) -> str:
    """The fullwidth forms (U+FF01..U+FF5E) of printable ASCII; spaces stay."""
    return "".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in ascii_text)


def cyrillic(ascii_text: str) -> str:
    """`ascii_text` with every letter that has a Cyrillic look-alike swapped for it."""
    return ascii_text.translate(CYRILLIC_LOOKALIKES)

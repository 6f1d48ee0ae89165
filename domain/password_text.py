"""How the password policy reads a password: what is visible, its folded form, and the
"cores" left once trivial variations are undone.

Pure functions over at most a few hundred code points (the policy checks the length
first), each linear or close to it, so a check stays well under a millisecond.
"""

from __future__ import annotations

import itertools
import unicodedata

# Unicode's Default_Ignorable_Code_Point ranges (DerivedCoreProperties.txt): rendered
# as nothing, whatever their general category (Hangul fillers are letters, variation
# selectors are marks).
DEFAULT_IGNORABLE = (
    (0x00AD, 0x00AD),
    (0x034F, 0x034F),
    (0x061C, 0x061C),
    (0x115F, 0x1160),
    (0x17B4, 0x17B5),
    (0x180B, 0x180F),
    (0x200B, 0x200F),
    (0x202A, 0x202E),
    (0x2060, 0x206F),
    (0x3164, 0x3164),
    (0xFE00, 0xFE0F),
    (0xFEFF, 0xFEFF),
    (0xFFA0, 0xFFA0),
    (0xFFF0, 0xFFF8),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0000, 0xE0FFF),
)
_IGNORABLE_CODE_POINTS = frozenset(
    code for low, high in DEFAULT_IGNORABLE for code in range(low, high + 1)
)
# Format, unassigned, surrogate, space and separator characters show nothing either.
INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Cn", "Cs", "Zs", "Zl", "Zp"})
# Common letter-for-symbol swaps ("p@ssw0rd").
LEET = str.maketrans(
    {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "!": "i"}
)
MAX_SHORT_PERIOD = 4
MIN_DISTINCT_RUNS = 6
MIN_CORE_LENGTH = 4


def is_control(ch: str) -> bool:
    return unicodedata.category(ch) == "Cc"


def is_invisible(ch: str) -> bool:
    """Whitespace, control, format and default-ignorable characters."""
    if unicodedata.category(ch) in INVISIBLE_CATEGORIES:
        return True
    return ord(ch) in _IGNORABLE_CODE_POINTS


def is_base(ch: str) -> bool:
    """A character that shows on its own: visible and not a combining mark."""
    return not is_invisible(ch) and not unicodedata.category(ch).startswith("M")


def fold(text: str) -> str:
    """NFKC case folding (fullwidth, ligatures and case compare equal), whitespace and
    invisible characters dropped: the form in which passwords and blocklist entries
    compare ("Correct Horse" and "correcthorse" are the same entry)."""
    if text.isascii():  # the common case, ~20 times faster than the general one
        return "".join(ch for ch in text.lower() if " " < ch < "\x7f")
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())
    return "".join(ch for ch in folded if not is_invisible(ch))


def alphanumeric(text: str) -> str:
    return "".join(ch for ch in text if unicodedata.category(ch)[0] in "LN")


def period(text: str) -> int:
    """The length of the shortest unit that `text` repeats (`len(text)` if none)."""
    for size in range(1, len(text) // 2 + 1):
        unit = text[:size]
        if (unit * (len(text) // size + 1))[: len(text)] == text:
            return size
    return len(text)


def is_repetitive(skeleton: str) -> bool:
    """Only two different characters, a unit of up to four repeated, or, once runs of
    one character count once ("qéééééézx" -> "qézx"), fewer than six or a short unit
    repeated ("aabbaabbaabb")."""
    collapsed = "".join(ch for ch, _ in itertools.groupby(skeleton))
    return (
        len(set(skeleton)) <= 2
        or period(skeleton) <= MAX_SHORT_PERIOD
        or len(collapsed) < MIN_DISTINCT_RUNS
        or period(collapsed) <= MAX_SHORT_PERIOD
    )


def is_sequence(skeleton: str) -> bool:
    """Consecutive letters or digits, up or down ("abcdef", "987654", "7890123")."""
    if len(skeleton) < 3 or not skeleton.isascii() or not skeleton.isalnum():
        return False
    steps = {_step(a, b) for a, b in itertools.pairwise(skeleton)}
    return steps in ({1}, {-1})


def _step(a: str, b: str) -> int:
    for alphabet in ("0123456789", "abcdefghijklmnopqrstuvwxyz"):
        if a in alphabet and b in alphabet:
            return (alphabet.index(b) - alphabet.index(a) + 1) % len(alphabet) - 1
    return 0


def _trim(text: str) -> str:
    """Without the digits and symbols at either end ("!!password2024" -> "password")."""
    start, end = 0, len(text)
    while start < end and not text[start].isalpha():
        start += 1
    while end > start and not text[end - 1].isalpha():
        end -= 1
    return text[start:end]


def _unit(text: str) -> str:
    return text[: period(text)]


def cores(password: str) -> set[str]:
    """The password and what is left of it once trivial variations are undone: case,
    width and spacing; digits and symbols added at either end; letters swapped for
    look-alike symbols; a word repeated or reversed. Only cores of four or more
    characters are kept (shorter ones say nothing about the password)."""
    folded = fold(password)
    trimmed = _trim(folded)
    found = {folded, trimmed[::-1]}
    # Trim before undoing swaps: a "!" or "1" added at the end is not an "i".
    for word in {trimmed, _trim(_unit(trimmed)), _trim(_unit(folded))}:
        unleeted = word.translate(LEET)
        found |= {word, alphanumeric(word), unleeted, _trim(unleeted), alphanumeric(unleeted)}
        found.add(_unit(_trim(unleeted)))
    return {core for core in found if len(core) >= MIN_CORE_LENGTH}


def context_tokens(text: str) -> set[str]:
    """A context value (an email, a name, the product) as words to look for: the whole
    value, each side of an "@", each word, letters and digits only, three or more."""
    lowered = unicodedata.normalize("NFKC", text).casefold()
    chunks = lowered.replace("@", " ").split()
    words = {alphanumeric(lowered)}
    for chunk in chunks:
        words.add(alphanumeric(chunk))
        words.update(_split_words(chunk))
    return {word for word in words if len(word) >= 3}


def _split_words(text: str) -> list[str]:
    """Split on anything that is not a letter or a digit (`ann.lovelace+x` -> 3 words)."""
    words, current = [], []
    for ch in text:
        if unicodedata.category(ch)[0] in "LN":
            current.append(ch)
        elif current:
            words.append("".join(current))
            current = []
    if current:
        words.append("".join(current))
    return words

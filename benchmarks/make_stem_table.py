"""Write src/askdoc/data/stems.txt: Snowball stems of the words of the shared evaluation corpora.

    python benchmarks/make_stem_table.py > src/askdoc/data/stems.txt

A question word that the index has not seen is looked up there first; the table also tells
a common English word from a name (Index._missing_names).
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

from askdoc.analysis import WORD, _words_of, snowball, stop_words

SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "data"


def main() -> None:
    counts: Counter[str] = Counter()
    for corpus in ("bbc", "squad", "cranfield"):
        for path in (SHARED / corpus).rglob("*"):
            if path.is_file() and path.suffix in (".txt", ".json", ""):
                for token in WORD.findall(path.read_bytes().decode("utf-8", "replace")):
                    counts.update(w for w in _words_of(token) if w.isalpha() and w.isascii())
    stop = stop_words()
    stemmer = snowball()
    words = sorted(w for w, n in counts.items() if n >= 2 and w not in stop and len(w) > 1)
    lines = [w if stemmer.stemWord(w) == w else f"{w}\t{stemmer.stemWord(w)}" for w in words]
    sys.stdout.write(
        "# Snowball (snowballstemmer) stems of common English words: known words skip the stemmer.\n"
        "# word<TAB>stem, or just word when it is its own stem. Made by benchmarks/make_stem_table.py.\n"
        + "\n".join(lines)
        + "\n"
    )


if __name__ == "__main__":
    main()

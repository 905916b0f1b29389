"""Write src/askdoc/data/stems.txt: NLTK Snowball stems of the words of the shared evaluation corpora.

    python benchmarks/make_stem_table.py > src/askdoc/data/stems.txt

A question word that the index has not seen is looked up there before NLTK is imported
(importing NLTK costs ~0.3 s, more than the rest of a one-shot query).
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

from nltk.stem.snowball import SnowballStemmer

from askdoc.analysis import WORD, _words_of, stop_words

SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "data"


def main() -> None:
    counts: Counter[str] = Counter()
    for corpus in ("bbc", "squad", "cranfield"):
        for path in (SHARED / corpus).rglob("*"):
            if path.is_file() and path.suffix in (".txt", ".json", ""):
                for token in WORD.findall(path.read_bytes().decode("utf-8", "replace")):
                    counts.update(w for w in _words_of(token) if w.isalpha() and w.isascii())
    stop = stop_words()
    stemmer = SnowballStemmer("english")
    words = sorted(w for w, n in counts.items() if n >= 2 and w not in stop and len(w) > 1)
    lines = [w if stemmer.stem(w) == w else f"{w}\t{stemmer.stem(w)}" for w in words]
    sys.stdout.write(
        "# Snowball (NLTK) stems of common English words, so that most questions never import NLTK.\n"
        "# word<TAB>stem, or just word when it is its own stem. Made by benchmarks/make_stem_table.py.\n"
        + "\n".join(lines)
        + "\n"
    )


if __name__ == "__main__":
    main()

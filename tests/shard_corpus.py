"""A varied corpus written by the shard tests: topics, names, numbers, dates, copies across folders."""

from __future__ import annotations

import random
from pathlib import Path

TOPICS = {
    "business": "market shares profit bank economy growth sales investors company deal merger prices oil rate".split(),
    "sport": "match goal season team coach league cup final injury striker victory players title club".split(),
    "tech": "software phone users network data chips internet browser security device launch games screen".split(),
    "politics": "minister election party vote government policy tax reform council campaign law budget".split(),
}
COMMON = "said the year new would also after told people first last week time over more than".split()
NAMES = ["Mia Hamm", "Bernard Ebbers", "Tony Blair", "Gordon Brown", "Serena Williams", "Steve Jobs",
         "Ada Volodin", "Rafael Nadal", "Ken Livingstone", "Maria Ostrander"]  # fmt: skip
VERBS = ["said", "warned", "told reporters", "insisted", "added"]


def sentence(rng: random.Random, topic: str) -> str:
    words = [rng.choice(TOPICS[topic] + COMMON) for _ in range(rng.randint(6, 14))]
    if rng.random() < 0.4:
        words.insert(rng.randrange(len(words)), f"{rng.randint(2, 950)} million")
    if rng.random() < 0.3:
        words.insert(rng.randrange(len(words)), rng.choice(["in 2004", "on 3 March", "by 2010", "since 1998"]))
    text = " ".join(words)
    if rng.random() < 0.45:
        name = rng.choice(NAMES)
        text = f"{name} {rng.choice(VERBS)} the {text}" if rng.random() < 0.5 else f"The {text}, {name} said"
    return text[0].upper() + text[1:] + rng.choice([".", ".", ".", "?"])


def write_corpus(root: Path, n_articles: int = 240, seed: int = 7) -> list[str]:
    """Write the articles (and copies of some under other names); the questions to ask of them."""
    rng = random.Random(seed)
    texts = []
    for number in range(n_articles):
        topic = rng.choice(list(TOPICS))
        title = " ".join(rng.choice(TOPICS[topic]) for _ in range(3)).title()
        paragraphs = [
            " ".join(sentence(rng, topic) for _ in range(rng.randint(1, 3))) for _ in range(rng.randint(2, 6))
        ]
        folder = topic if number % 5 else f"{topic}/archive"
        path = root / folder / f"{number:03d}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        text = title + "\n\n" + "\n\n".join(paragraphs) + "\n"
        path.write_text(text, encoding="utf-8")
        texts.append((path, text, paragraphs))
    for number in range(0, n_articles, 9):  # whole copies, elsewhere (another shard, mostly)
        path, text, _ = texts[number]
        (root / "copies").mkdir(exist_ok=True)
        (root / "copies" / f"copy-of-{path.stem}.txt").write_text(text, encoding="utf-8")
    for number in range(3, n_articles, 11):  # one paragraph quoted in another article
        _, _, paragraphs = texts[number]
        target = texts[(number * 7) % n_articles][0]
        target.write_text(target.read_text("utf-8") + "\n" + paragraphs[0] + "\n", encoding="utf-8")
    return questions(rng, texts)


def questions(rng: random.Random, texts) -> list[str]:
    asked = []
    for _, _, paragraphs in rng.sample(texts, min(len(texts), 120)):
        words = rng.choice(paragraphs).replace(".", "").replace(",", "").replace("?", "").split()
        start = rng.randrange(max(1, len(words) - 4))
        piece = " ".join(words[start : start + rng.randint(2, 5)])
        asked.append(rng.choice(["what did {} say about {}?", "who {}{}?", "how many {} {}?", "when {} {}?",
                                 "why {} {}", "{} {}"]).format(rng.choice(NAMES).split()[-1] if rng.random() < 0.5 else "", piece))  # fmt: skip
    asked += [f'"{" ".join(rng.choice(p).split()[:3])}" {rng.choice(COMMON)}' for _, _, p in rng.sample(texts, 20)]
    asked += ["what did Zelensky say about the merger?", "profit in 2004", "who won the cup final?",
              "Ebbers bank deal", "how much did the company pay?", "Tony Blair election"]  # fmt: skip
    return asked


def seen(hits) -> list[tuple]:
    """Everything a hit shows, its score to 1e-9: what a sharded or clustered search must give as one index does."""
    return [
        (h.rank, h.article.id, h.passage.paragraph, h.passage.start, h.passage.end, round(h.score, 9),
         h.quote.text if h.quote else None, h.quote.start if h.quote else None, h.answer, h.also_in,
         h.matched_terms, h.highlights)
        for h in hits
    ]  # fmt: skip

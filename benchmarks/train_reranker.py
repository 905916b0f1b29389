"""Fit askdoc's learned reranker and write its weights (src/askdoc/data/reranker.json).

    python benchmarks/train_reranker.py [--data ../shared/data] [--write] [--check]

Training questions (never the check file C of the blind set):
- the blind BBC questions of tune files A and B (``questions/bbc_blind_dev_[AB].jsonl``), a
  passage labelled 1 when it comes from the question's article (or a copy) and holds one of
  its verbatim answer phrases;
- SQuAD's 705 answerable questions over its five articles, labelled 1 for the gold paragraph.
For every question, BM25's best ``RERANK_DEPTH`` passages are read into ``features.NAMES`` and a
logistic regression is fitted. Its strength ``C`` is chosen by grouped cross-validation
(GroupKFold by article: no article's questions on both sides of a fold), by how often the top
passage holds the answer; the same folds report the figures printed. ``--write`` refits on all
and writes the weights. ``--check`` scores file C with the written weights, once, after choosing.
Needs scikit-learn (``pip install scikit-learn``; a training tool, never needed at run time).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
from pathlib import Path

import numpy as np

import askdoc
from askdoc import features, learned

HERE = Path(__file__).resolve().parent
DEFAULT_DATA = HERE.parent.parent / "shared" / "data"
CATEGORIES = ("business", "entertainment", "politics", "sport", "tech")


def norm(text: str) -> str:
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"').replace("\u201d", '"')
    return re.sub(r"\s+", " ", text).strip().lower()


def bbc_copy(data: Path) -> Path:
    """The five category folders of BBC (its README left out), copied once under benchmarks/.data."""
    target = HERE / ".data" / "bbc"
    if not all((target / c).is_dir() for c in CATEGORIES):
        for c in CATEGORIES:
            shutil.copytree(data / "bbc" / c, target / c, dirs_exist_ok=True)
    return target


def blind(data: Path, names: str) -> list[dict]:
    """The answerable questions of the blind files ``names`` (e.g. "AB")."""
    return [q for q in blind_all(data, names) if q["article"]]


def bbc_examples(index: askdoc.Index, questions: list[dict]):
    ids = list(index.data.ids())
    p_article = np.asarray(index.data.arrays["p_article"])
    for q in questions:
        found = index.candidates(q["question"])
        if found is None:
            continue
        _, rows, _, x = found
        accepted = {q["article"], *q.get("also", [])}
        answers = [norm(a) for a in q["answers"]]
        labels = []
        for row in rows:
            right = ids[int(p_article[row])] in accepted
            labels.append(int(right and any(a in norm(index.passage_text(row)) for a in answers)))
        yield q["article"], x, np.asarray(labels)


def squad_examples(data: Path):
    raw = json.loads((data / "squad" / "dev-v2.0-subset.json").read_text("utf-8"))["data"]
    articles, gold_of = [], []
    for entry in raw:
        texts = [p["context"].strip() for p in entry["paragraphs"]]
        articles.append(
            askdoc.Article(id=entry["title"], title=entry["title"].replace("_", " "), text="\n\n".join(texts))
        )
        for number, paragraph in enumerate(entry["paragraphs"], 1):
            for qa in paragraph["qas"]:
                if not qa["is_impossible"]:
                    gold_of.append((qa["question"], entry["title"], number))
    index = askdoc.Index.from_articles(articles)
    p_article = np.asarray(index.data.arrays["p_article"])
    paragraph = np.asarray(index.data.arrays["p_paragraph"])
    ids = list(index.data.ids())
    for question, title, number in gold_of:
        found = index.candidates(question)
        if found is None:
            continue
        _, rows, _, x = found
        labels = [int(ids[int(p_article[r])] == title and int(paragraph[r]) == number) for r in rows]
        yield "squad:" + title, x, np.asarray(labels)


def top1(groups, model_scores) -> float:
    """Share of questions whose best-scored candidate is labelled 1."""
    hits = [
        labels[int(np.argmax(scores))] if len(scores) else 0 for (_, _, labels), scores in zip(groups, model_scores)
    ]
    return float(np.mean(hits))


def fit(groups, c: float, squad_weight: float = 1.0):
    """Pairwise logistic regression (RankNet's loss with a linear scorer): each answer passage against each
    other candidate of its question, each question weighing the same (a SQuAD one ``squad_weight``)."""
    from sklearn.linear_model import LogisticRegression

    x = np.vstack([g[1] for g in groups])
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    diffs, weights = [], []
    for key, gx, labels in groups:
        z = (gx - mean) / scale
        good, bad = np.flatnonzero(labels == 1), np.flatnonzero(labels == 0)
        if not len(good) or not len(bad):
            continue
        d = (z[good][:, None, :] - z[bad][None, :, :]).reshape(-1, z.shape[1])
        diffs.append(d)
        weights.append(np.full(len(d), (squad_weight if key.startswith("squad:") else 1.0) / len(d)))
    d = np.vstack(diffs)
    w = np.concatenate(weights)
    model = LogisticRegression(C=c, max_iter=3000, fit_intercept=False)
    model.fit(np.vstack([d, -d]), np.concatenate([np.ones(len(d)), np.zeros(len(d))]),
              sample_weight=np.concatenate([w, w]) * len(groups))  # fmt: skip
    return learned.Model(features.NAMES, mean, scale, model.coef_[0], 0.0)


def cross_validate(groups, c: float, squad_weight: float, folds: int = 5):
    """Each question's candidates scored by a model fitted on the folds without its article."""
    from sklearn.model_selection import GroupKFold

    keys = [g[0] for g in groups]
    scored: list[np.ndarray] = [np.zeros(0)] * len(groups)
    for train, test in GroupKFold(folds).split(np.zeros(len(groups)), groups=keys):
        model = fit([groups[i] for i in train], c, squad_weight)
        for i in test:
            scored[i] = model.scores(groups[i][1])
    return scored


def blind_all(data: Path, names: str) -> list[dict]:
    out = []
    for name in names:
        path = data / "questions" / f"bbc_blind_dev_{name}.jsonl"
        out += [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]
    return out


def answered_examples(index: askdoc.Index, questions: list[dict]):
    """(group, features, label): each answerable question as asked (1) and with its article left out (0), as
    if the archive lacked the story (the words only that article holds are then missing, as a later
    year's names are); each question nothing answers (0)."""
    for q in questions:
        if q["article"]:
            accepted = [q["article"], *q.get("also", [])]
            for label, exclude in ((1, []), (0, accepted)):
                found = index.answered_features(q["question"], exclude)
                if found is not None:
                    yield q["article"], found, label, "asked" if label else "left out"
        else:
            found = index.answered_features(q["question"])
            if found is not None:
                yield "none:" + q["id"], found, 0, "unanswerable"


FLAG_AT_MOST = 0.025  # of answerable questions flagged, in cross-validation (the target allows 3%)


def fit_answered(examples, c: float = 1.0):
    from sklearn.linear_model import LogisticRegression

    x = np.vstack([e[1] for e in examples])
    y = np.array([e[2] for e in examples])
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    model = LogisticRegression(C=c, max_iter=2000, class_weight="balanced").fit((x - mean) / scale, y)
    return learned.Answered(mean, scale, model.coef_[0], float(model.intercept_[0]), 0.5)


def train_answered(index: askdoc.Index, data: Path, write: bool) -> None:
    from sklearn.model_selection import GroupKFold

    examples = list(answered_examples(index, blind_all(data, "AB")))
    probabilities = np.zeros(len(examples))
    keys = [e[0] for e in examples]
    for train, test in GroupKFold(5).split(np.zeros(len(examples)), groups=keys):
        model = fit_answered([examples[i] for i in train])
        for i in test:
            probabilities[i] = model.probability(examples[i][1])
    kinds = np.array([e[3] for e in examples])
    asked = np.sort(probabilities[kinds == "asked"])
    threshold = float(asked[int(FLAG_AT_MOST * len(asked))])  # flags at most that share of answerable ones
    for kind in ("asked", "left out", "unanswerable"):
        flagged = np.mean(probabilities[kinds == kind] < threshold)
        print(f"answered check, cross-validated: {kind:12} {int((kinds == kind).sum()):4} flagged {flagged:.3f}")
    if write:
        model = fit_answered(examples)
        out = {
            "names": list(features.ANSWERED_NAMES),
            "mean": model.mean.round(6).tolist(),
            "scale": model.scale.round(6).tolist(),
            "coef": model.coef.round(6).tolist(),
            "intercept": round(model.intercept, 6),
            "threshold": round(threshold, 6),
            "fitted_on": "blind BBC A+B: answerable questions as asked (1) and with their article left out (0), "
            "and the questions nothing answers (0); threshold flags at most 2.5% of answerable ones in CV",
        }
        learned.ANSWERED_FILE.write_text(json.dumps(out, indent=1) + "\n", "utf-8")
        print(f"wrote {learned.ANSWERED_FILE}")
        for name, weight in zip(features.ANSWERED_NAMES, model.coef):
            print(f"  {name:18} {weight:+.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--write", action="store_true", help="refit on all and write src/askdoc/data/reranker.json")
    parser.add_argument("--answered", action="store_true", help="fit the answered check (data/answered.json) only")
    args = parser.parse_args()
    os.environ.setdefault("ASKDOC_CACHE_DIR", str(HERE / ".data" / "cache"))
    index = askdoc.open(bbc_copy(args.data))
    if args.answered:
        return train_answered(index, args.data, args.write)

    bbc_groups = list(bbc_examples(index, blind(args.data, "AB")))
    squad_groups = list(squad_examples(args.data))
    groups = bbc_groups + squad_groups
    print(f"{len(bbc_groups)} BBC and {len(squad_groups)} SQuAD questions, {sum(len(g[2]) for g in groups)} candidates")
    reach = np.mean([g[2].any() for g in bbc_groups])
    print(f"BBC: an answer passage among the candidates for {reach:.3f}")
    handset = features.NAMES.index("handset")
    parts = {"BBC": range(len(bbc_groups)), "SQuAD": range(len(bbc_groups), len(groups))}

    def shares(scored) -> dict[str, float]:
        return {name: top1([groups[i] for i in part], [scored[i] for i in part]) for name, part in parts.items()}

    bm25 = shares([-np.arange(len(g[2]), dtype=float) for g in groups])
    hand = shares([g[1][:, handset] for g in groups])
    print(f"answer passage @1: BM25 order {bm25}; hand-set reranker {hand}")
    best = None
    for squad_weight in (0.5, 1.0, 2.0, 4.0):
        for c in (0.01, 0.1):
            cv = shares(cross_validate(groups, c, squad_weight))
            mean = sum(cv.values()) / len(cv)
            print(f"C={c:<5} SQuAD question weight {squad_weight}: cross-validated {cv} mean {mean:.3f}")
            if best is None or mean > best[0]:
                best = (mean, c, squad_weight)
    assert best is not None
    print(f"chosen C={best[1]}, a SQuAD question weighing {best[2]} BBC ones")
    if args.write:
        model = fit(groups, best[1], best[2])
        out = {
            "names": list(features.NAMES),
            "mean": model.mean.round(6).tolist(),
            "scale": model.scale.round(6).tolist(),
            "coef": model.coef.round(6).tolist(),
            "intercept": round(model.intercept, 6),
            "fitted_on": "blind BBC A+B answerable questions and SQuAD (705), label: passage holds the answer",
            "C": best[1],
            "squad_weight": best[2],
        }
        learned.WEIGHTS_FILE.write_text(json.dumps(out, indent=1) + "\n", "utf-8")
        print(f"wrote {learned.WEIGHTS_FILE}")
        for name, weight in sorted(zip(features.NAMES, model.coef), key=lambda p: -abs(p[1])):
            print(f"  {name:18} {weight:+.3f}")


if __name__ == "__main__":
    sys.exit(main())

"""The learned reranker: a linear model over ``features.NAMES``, its weights shipped as data (data/reranker.json).

The weights come from ``benchmarks/train_reranker.py``: a logistic regression fitted with
cross-validation on blind BBC questions (tune files A and B) and SQuAD, with a passage's label
"holds the answer". Reading it is a dot product, so every ranking can be explained feature by
feature (``Model.explain``); nothing is fitted or downloaded at run time.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from .features import NAMES

WEIGHTS_FILE = Path(__file__).parent / "data" / "reranker.json"


@dataclass(frozen=True)
class Model:
    """Standardise each feature, weigh it, add: the log-odds that a passage holds the answer."""

    names: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float

    def scores(self, features: np.ndarray) -> np.ndarray:
        return ((features - self.mean) / self.scale) @ self.coef + self.intercept

    def explain(self, features: np.ndarray) -> dict[str, float]:
        """What each feature added to one passage's log-odds."""
        parts = (features - self.mean) / self.scale * self.coef
        return dict(zip(self.names, parts.tolist()))

    @classmethod
    def from_json(cls, data: dict, expected: tuple[str, ...] = NAMES) -> Model:
        names = tuple(data["names"])
        if names != expected:
            raise ValueError(f"learned weights are for features {names}, not {expected}")
        scale = np.asarray(data["scale"], dtype=np.float64)
        return cls(
            names,
            np.asarray(data["mean"], dtype=np.float64),
            np.where(scale > 0, scale, 1.0),
            np.asarray(data["coef"], dtype=np.float64),
            float(data["intercept"]),
        )


@cache
def model() -> Model | None:
    """The shipped model, or None when the package has no weights (the hand-set reranker is used)."""
    if not WEIGHTS_FILE.exists():
        return None
    return Model.from_json(json.loads(WEIGHTS_FILE.read_text("utf-8")))


ANSWERED_FILE = Path(__file__).parent / "data" / "answered.json"


@dataclass(frozen=True)
class Answered:
    """Logistic regression over ``features.ANSWERED_NAMES``: the probability that the best hit answers at all."""

    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float
    threshold: float  # below this probability the hits are flagged weak

    def probability(self, features: np.ndarray) -> float:
        z = float(((features - self.mean) / self.scale) @ self.coef + self.intercept)
        return 1.0 / (1.0 + math.exp(-max(min(z, 50.0), -50.0)))

    def doubts(self, features: np.ndarray) -> bool:
        return self.probability(features) < self.threshold


@cache
def answered() -> Answered | None:
    """The shipped answered check, or None when the package has none."""
    from .features import ANSWERED_NAMES

    if not ANSWERED_FILE.exists():
        return None
    data = json.loads(ANSWERED_FILE.read_text("utf-8"))
    if tuple(data["names"]) != ANSWERED_NAMES:
        raise ValueError(f"answered-check weights are for {data['names']}, not {ANSWERED_NAMES}")
    scale = np.asarray(data["scale"], dtype=np.float64)
    return Answered(
        np.asarray(data["mean"], dtype=np.float64),
        np.where(scale > 0, scale, 1.0),
        np.asarray(data["coef"], dtype=np.float64),
        float(data["intercept"]),
        float(data["threshold"]),
    )

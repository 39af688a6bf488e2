"""The category model: TF-IDF over stemmed unigrams and bigrams, a multinomial logistic regression trained
with scikit-learn and shipped as JSON weights; inference here is a sparse dot product (no scikit-learn at run
time, well under a millisecond)."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .normalise import features

__all__ = ["LinearModel", "train_model"]


@dataclass(frozen=True)
class LinearModel:
    """``weights[feature] = (idf, per-label weights)``; ``scores`` is softmax(x @ W + b) on l2-normalised
    sublinear TF-IDF, exactly as scikit-learn computed it during training."""

    version: str
    labels: tuple[str, ...]
    weights: Mapping[str, tuple[float, tuple[float, ...]]]
    intercept: tuple[float, ...]
    meta: Mapping[str, Any]

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> LinearModel:
        return cls(version=str(d["version"]), labels=tuple(d["labels"]),
                   weights={f: (float(v[0]), tuple(float(x) for x in v[1])) for f, v in d["features"].items()},
                   intercept=tuple(float(x) for x in d["intercept"]), meta=dict(d.get("meta", {})))

    def to_dict(self) -> dict[str, Any]:
        return {"version": self.version, "labels": list(self.labels), "intercept": list(self.intercept),
                "features": {f: [idf, list(w)] for f, (idf, w) in sorted(self.weights.items())},
                "meta": dict(self.meta)}

    def scores(self, text: str) -> list[tuple[str, float]]:
        """(label, probability), best first. An empty or unknown text gets the intercept's prior (flat-ish)."""
        counts = Counter(f for f in features(text) if f in self.weights)
        z = list(self.intercept)
        if counts:
            vec = {f: (1.0 + math.log(n)) * self.weights[f][0] for f, n in counts.items()}
            norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
            for f, v in vec.items():
                w = self.weights[f][1]
                x = v / norm
                for k in range(len(z)):
                    z[k] += x * w[k]
        top = max(z)
        exps = [math.exp(v - top) for v in z]
        s = sum(exps)
        ranked = sorted(zip(self.labels, (e / s for e in exps), strict=True), key=lambda t: (-t[1], t[0]))
        return ranked

    def known_share(self, text: str) -> float:
        """Share of the text's features the model knows (0 for empty/foreign text): part of the confidence."""
        fs = features(text)
        return sum(1 for f in fs if f in self.weights) / len(fs) if fs else 0.0


def train_model(examples: Sequence[tuple[str, str]], *, version: str, seed: int = 7, c: float = 8.0,
                meta: Mapping[str, Any] | None = None) -> LinearModel:
    """Fit TF-IDF + logistic regression (scikit-learn) and export the weights. Deterministic for a seed."""
    from sklearn.feature_extraction.text import TfidfVectorizer  # training only
    from sklearn.linear_model import LogisticRegression

    texts = [t for t, _ in examples]
    labels = [lab for _, lab in examples]
    vec = TfidfVectorizer(analyzer=features, sublinear_tf=True, norm="l2", smooth_idf=True)
    x = vec.fit_transform(texts)
    clf = LogisticRegression(C=c, max_iter=5000, class_weight="balanced", random_state=seed)
    clf.fit(x, labels)
    classes = [str(k) for k in clf.classes_]
    coef = clf.coef_
    if len(classes) == 2:  # binary: scikit-learn keeps one row; expand to two for the softmax form
        coef = [[-v / 2 for v in coef[0]], [v / 2 for v in coef[0]]]
        intercept = [-clf.intercept_[0] / 2, clf.intercept_[0] / 2]
    else:
        intercept = list(clf.intercept_)
    weights: dict[str, tuple[float, tuple[float, ...]]] = {}
    for feat, j in vec.vocabulary_.items():
        w = tuple(round(float(coef[k][j]), 4) for k in range(len(classes)))
        if any(abs(v) >= 1e-3 for v in w):
            weights[str(feat)] = (round(float(vec.idf_[j]), 4), w)
    return LinearModel(version=version, labels=tuple(classes), weights=weights,
                       intercept=tuple(round(float(b), 4) for b in intercept),
                       meta={"n_train": len(examples), "seed": seed, "C": c, **dict(meta or {})})

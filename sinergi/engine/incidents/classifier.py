"""A small multinomial Naive Bayes text classifier for Indonesian incident reports.

Trained on the labelled set shipped in ``sinergi/data/incidents/training.csv``; unigrams and bigrams of the
normalised text; Laplace smoothing. Deterministic: no randomness except the seeded train/test split.
"""

from __future__ import annotations

import math
import random
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .text import stem, tokens

__all__ = ["NaiveBayes", "Suggestion", "features", "train", "split", "evaluate", "Evaluation"]

_STOP = frozenset("di ke dari yang dan ini itu ada pada untuk dengan oleh saya kami kita telah sudah akan the".split())


def features(text: str) -> list[str]:
    words = [stem(w) for w in tokens(text) if w not in _STOP and not w.isdigit()]
    return words + [f"{a}_{b}" for a, b in zip(words, words[1:], strict=False)]


@dataclass(frozen=True)
class Suggestion:
    label: str
    probability: float
    runner_up: str


@dataclass
class NaiveBayes:
    labels: list[str]
    log_prior: dict[str, float]
    log_likelihood: dict[str, dict[str, float]]
    log_unseen: dict[str, float]

    def scores(self, text: str) -> dict[str, float]:
        feats = features(text)
        return {
            c: self.log_prior[c] + sum(self.log_likelihood[c].get(f, self.log_unseen[c]) for f in feats
                                       if any(f in self.log_likelihood[k] for k in self.labels))
            for c in self.labels
        }

    def suggest(self, text: str) -> Suggestion:
        """Most likely label with its (softmax) probability.

        >>> m = train([("bagi amplop uang", "money"), ("massa bentrok lempar batu", "clash")])
        >>> m.suggest("ada amplop berisi uang").label
        'money'
        """
        s = self.scores(text)
        ranked = sorted(s.items(), key=lambda kv: (-kv[1], kv[0]))
        top = ranked[0][1]
        z = sum(math.exp(v - top) for _, v in ranked)
        return Suggestion(label=ranked[0][0], probability=1.0 / z,
                          runner_up=ranked[1][0] if len(ranked) > 1 else "")


def train(examples: Iterable[tuple[str, str]], alpha: float = 0.5) -> NaiveBayes:
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    docs: Counter[str] = Counter()
    vocab: set[str] = set()
    for text, label in examples:
        f = features(text)
        counts[label].update(f)
        docs[label] += 1
        vocab.update(f)
    labels = sorted(docs)
    n_docs = sum(docs.values())
    v = len(vocab) or 1
    log_prior = {c: math.log(docs[c] / n_docs) for c in labels}
    log_lik: dict[str, dict[str, float]] = {}
    log_unseen: dict[str, float] = {}
    for c in labels:
        total = sum(counts[c].values()) + alpha * v
        log_lik[c] = {f: math.log((n + alpha) / total) for f, n in counts[c].items()}
        log_unseen[c] = math.log(alpha / total)
    return NaiveBayes(labels=labels, log_prior=log_prior, log_likelihood=log_lik, log_unseen=log_unseen)


def split(examples: Sequence[tuple[str, str]], test_share: float = 0.25, seed: int = 7
          ) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Stratified split: the same share of every label is held out."""
    by_label: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for ex in examples:
        by_label[ex[1]].append(ex)
    rng = random.Random(seed)
    train_set: list[tuple[str, str]] = []
    test_set: list[tuple[str, str]] = []
    for label in sorted(by_label):
        items = list(by_label[label])
        rng.shuffle(items)
        k = max(1, round(len(items) * test_share))
        test_set += items[:k]
        train_set += items[k:]
    return train_set, test_set


@dataclass(frozen=True)
class Evaluation:
    accuracy: float
    n_test: int
    per_label: dict[str, float]
    confusions: list[tuple[str, str, str]]


def evaluate(model: NaiveBayes, test_set: Sequence[tuple[str, str]]) -> Evaluation:
    hits = 0
    per: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    conf: list[tuple[str, str, str]] = []
    for text, label in test_set:
        got = model.suggest(text).label
        per[label][1] += 1
        if got == label:
            hits += 1
            per[label][0] += 1
        else:
            conf.append((text, label, got))
    return Evaluation(accuracy=hits / len(test_set) if test_set else 0.0, n_test=len(test_set),
                      per_label={k: v[0] / v[1] for k, v in sorted(per.items())}, confusions=conf)

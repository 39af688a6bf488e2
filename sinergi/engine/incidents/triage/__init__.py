"""Report triage (pure Python): place from free text over the national gazetteer, category (a shipped linear
model), severity with reasons, responsible bodies, duplicates. See docs/incidents.md."""

from .core import NON_ELECTION, CategoryFacts, Triager, TriageResult, fatalities_from
from .duplicates import DupItem, DupParams, find_duplicate, fingerprint, similarity
from .gazetteer import ALIASES, Gazetteer, GazetteerData, PlaceResult
from .model import LinearModel, train_model
from .normalise import clean, features
from .routing import RouteRule, route_for
from .severity import assess_severity

__all__ = [
    "ALIASES", "CategoryFacts", "DupItem", "DupParams", "Gazetteer", "GazetteerData", "LinearModel",
    "NON_ELECTION", "PlaceResult", "RouteRule", "TriageResult", "Triager", "assess_severity", "clean",
    "fatalities_from", "features", "find_duplicate", "fingerprint", "route_for", "similarity", "train_model",
]

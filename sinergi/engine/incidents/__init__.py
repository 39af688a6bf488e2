"""Pure-Python incident engine: SMS parsing, category suggestion, deduplication, deadlines, place matching."""

from .classifier import Evaluation, NaiveBayes, Suggestion, evaluate, features, split, train
from .deadlines import DeadlineSpec, add_working_days, due_at, remaining
from .dedup import Candidate, DedupParams, Match, best_match, haversine_km, text_similarity
from .places import Place, PlaceMatch, match_place
from .sms import HELP_TEXT, SmsParse, parse_sms
from .text import normalize, spelling_key, tokens

__all__ = [
    "Candidate", "DeadlineSpec", "DedupParams", "Evaluation", "HELP_TEXT", "Match", "NaiveBayes", "Place",
    "PlaceMatch", "SmsParse", "Suggestion", "add_working_days", "best_match", "due_at", "evaluate", "features",
    "haversine_km", "match_place", "normalize", "parse_sms", "remaining", "spelling_key", "split",
    "text_similarity", "tokens", "train",
]

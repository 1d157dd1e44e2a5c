"""Screening prioritisation: the unscreened papers a reviewer is most likely to include first.

Pure code over plain data (no store, no terminal): the store supplies the texts
(``Store.texts``), the screen supplies one reviewer's decisions, and this module returns
an order and what to tell the reviewer about it.

- **Features**: TF-IDF over title, abstract, keywords and MeSH terms, built once per
  database and cached in a file beside it (``<db>-ranking.npz``). The cache is keyed by
  every paper's PMID and content hash (the store changes the hash whenever the title,
  abstract, keywords or MeSH change) and by the feature settings, so a fetch, an import,
  a withdrawal or a new kratomlit version rebuilds it: it is never stale. When the folder
  is not writable the features are simply built again next time.
- **Model**: trained on one reviewer's decisions only, so two reviewers stay blind to each
  other. An include and a *maybe* both count as relevant: a maybe goes on to full-text
  screening like an include, and in a systematic review a relevant paper ranked low (a
  missed study) costs far more than an irrelevant one ranked high (one keypress). Papers
  given as priors count as relevant until the reviewer decides them. The model starts once
  there is at least one relevant and one excluded paper; before that the screen keeps its
  own order. The choice of model (naive Bayes or logistic regression) and its settings
  come from simulations on hand-labelled records (README, "Screening prioritisation").
- **Stopping**: a run of exclusions in a row (SAFE-style) and an estimate of the relevant
  papers still unscreened, both as plain numbers and an advisory notice, never a stop.
"""

from __future__ import annotations

import hashlib
import math
import os
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from kratomlit.errors import NotFoundError, UsageError

if TYPE_CHECKING:
    from scipy.sparse import csr_matrix

# Bump when the text or the vectorizer settings change, so every cache is rebuilt.
FEATURES_VERSION = 1
_TFIDF: dict[str, Any] = {"sublinear_tf": True, "stop_words": "english", "dtype": np.float32}

MODELS = ("nb", "lr")
DEFAULT_MODEL = "nb"
# ASReview's default naive Bayes smoothing, tuned on its benchmark data sets.
NB_ALPHA = 3.822
LR_C = 1.0

RELEVANT = {"include": True, "maybe": True, "exclude": False}

# Row of Store.texts(): pmid, content hash, title, abstract, keywords, MeSH terms.
TextRow = tuple[int, str, str, str | None, list[str], str | None]


def document(title: str, abstract: str | None, keywords: Sequence[str],
             mesh_terms: str | None) -> str:
    """The text a paper is known by: title, abstract, keywords, MeSH ("Humans; Pain/drug
    therapy"), one string."""
    return "\n".join(part for part in (title, abstract, "; ".join(keywords), mesh_terms)
                     if part)


@dataclass(frozen=True)
class Features:
    """One L2-normalised TF-IDF row per paper, rows in ascending PMID order."""

    pmids: np.ndarray
    matrix: csr_matrix
    index: dict[int, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "index", {int(p): i for i, p in enumerate(self.pmids)})

    def subset(self, pmids: Iterable[int]) -> Features:
        """The same features for some papers only (a simulation's labelled set)."""
        wanted = sorted(set(pmids))
        return Features(np.array(wanted, dtype=np.int64),
                        self.matrix[[self.index[p] for p in wanted]])


def fingerprint(rows: Iterable[tuple[int, str]]) -> str:
    """A key for the features of these (pmid, content hash) pairs and these settings."""
    import sklearn

    digest = hashlib.blake2b(f"{FEATURES_VERSION} {sklearn.__version__} {_TFIDF}\n".encode(),
                             digest_size=16)
    for pmid, content_hash in rows:
        digest.update(f"{pmid}:{content_hash}\n".encode())
    return digest.hexdigest()


def build_features(rows: Sequence[TextRow]) -> Features:
    from sklearn.feature_extraction.text import TfidfVectorizer

    texts = [document(title, abstract, keywords, mesh)
             for _, _, title, abstract, keywords, mesh in rows]
    try:
        matrix = TfidfVectorizer(**_TFIDF).fit_transform(texts)
    except ValueError:  # no paper has a word that is not a stop word
        raise NotFoundError("the papers have no text to rank them by") from None
    return Features(np.array([row[0] for row in rows], dtype=np.int64), matrix.tocsr())


def cache_path(db_path: Path) -> Path:
    """Beside the database, named like SQLite's own companions (``<db>-wal``)."""
    return db_path.with_name(db_path.name + "-ranking.npz")


def _load(path: Path, key: str) -> Features | None:
    from scipy.sparse import csr_matrix

    try:
        with np.load(path, allow_pickle=False) as saved:
            if str(saved["key"]) != key:
                return None
            matrix = csr_matrix((saved["data"], saved["indices"], saved["indptr"]),
                                shape=tuple(saved["shape"]))
            return Features(saved["pmids"], matrix)
    except Exception:  # missing, truncated or foreign: build the features again
        return None


def _save(path: Path, key: str, features: Features) -> None:
    matrix = features.matrix
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    except OSError:
        return  # a read-only folder: no cache, the features are rebuilt next time
    try:
        with os.fdopen(handle, "wb") as stream:
            np.savez(stream, key=np.array(key), pmids=features.pmids, data=matrix.data,
                     indices=matrix.indices, indptr=matrix.indptr,
                     shape=np.array(matrix.shape))
        os.replace(temporary, path)  # whole or not at all, even with two screens starting
    except OSError:
        Path(temporary).unlink(missing_ok=True)


def cached_features(path: Path, rows: Sequence[TextRow],
                    building: Callable[[int], None] | None = None) -> Features:
    """The features of these papers: from the cache at ``path`` when it was built from
    exactly these papers and settings, otherwise built (and cached) now, after telling
    ``building`` how many papers that takes (seconds on a large database)."""
    if not rows:
        raise NotFoundError("the database has no papers to rank")
    key = fingerprint((row[0], row[1]) for row in rows)
    features = _load(path, key)
    if features is None:
        if building is not None:
            building(len(rows))
        features = build_features(rows)
        _save(path, key, features)
    return features


@dataclass(frozen=True)
class Ranking:
    """Candidates, the likeliest to be relevant first, with the model's scores: log-odds
    that rank papers, not calibrated probabilities."""

    pmids: list[int]
    scores: np.ndarray

    def rank_of(self, pmid: int) -> int:
        return self.pmids.index(pmid) + 1


def _log_odds(model: str, train: csr_matrix, relevant: np.ndarray, every: csr_matrix
              ) -> np.ndarray:
    """Train on the decided papers' rows; score every row (higher: more likely relevant)."""
    if model == "nb":
        from sklearn.naive_bayes import MultinomialNB

        # Both classes weigh the same in the word counts and the priors, or a handful of
        # includes drowns among hundreds of excludes (ASReview balances its training data
        # for the same reason): in the simulations on the dev labels, median WSS@95 65% and
        # 77% (RCTs, mood) instead of 27% and 29% unweighted.
        n, n_relevant = len(relevant), int(relevant.sum())
        weights = np.where(relevant, n / (2 * n_relevant), n / (2 * (n - n_relevant)))
        nb = MultinomialNB(alpha=NB_ALPHA, fit_prior=False).fit(train, relevant,
                                                                 sample_weight=weights)
        return np.asarray(every @ (nb.feature_log_prob_[1] - nb.feature_log_prob_[0]))
    from sklearn.linear_model import LogisticRegression

    lr = LogisticRegression(C=LR_C, class_weight="balanced", solver="liblinear",
                            random_state=0).fit(train, relevant)
    return np.asarray(every @ lr.coef_[0] + lr.intercept_[0])


def check_model(model: str) -> None:
    if model not in MODELS:
        raise UsageError(f"unknown model {model!r} (use {', '.join(MODELS)})")


@dataclass
class Ranker:
    """One reviewer's model over a database's features. ``priors`` are papers (ids) the reviewer
    names as relevant to start the model."""

    features: Features
    model: str = DEFAULT_MODEL
    priors: frozenset[int] = frozenset()

    def __post_init__(self) -> None:
        check_model(self.model)

    def labels(self, decisions: Mapping[int, str]) -> dict[int, bool]:
        """pmid -> relevant, for the papers the model can learn from."""
        labels = dict.fromkeys(self.priors, True)
        labels.update((pmid, RELEVANT[d]) for pmid, d in decisions.items() if d in RELEVANT)
        return {pmid: label for pmid, label in labels.items() if pmid in self.features.index}

    def rank(self, decisions: Mapping[int, str], candidates: Sequence[int]) -> Ranking | None:
        """Retrain on ``decisions`` (pmid -> include/exclude/maybe, this reviewer's only)
        and order ``candidates``, likeliest first; ties keep the candidates' order. None
        until there is a relevant and an excluded paper to learn from."""
        labels = self.labels(decisions)
        if len(set(labels.values())) < 2:
            return None
        index = self.features.index
        matrix = self.features.matrix
        trained = np.fromiter((index[p] for p in labels), dtype=np.int64, count=len(labels))
        scores = _log_odds(self.model, matrix[trained],
                           np.fromiter(labels.values(), dtype=bool, count=len(labels)), matrix)
        # Papers without features (added since they were built) go last, in their order.
        known = [p for p in candidates if p in index]
        rows = np.fromiter((index[p] for p in known), dtype=np.int64, count=len(known))
        candidate_scores = scores[rows]
        order = np.argsort(-candidate_scores, kind="stable")
        unknown = [p for p in candidates if p not in index]
        return Ranking([known[i] for i in order] + unknown,
                       np.concatenate([candidate_scores[order],
                                       np.full(len(unknown), -np.inf)]))


# -- stopping ---------------------------------------------------------------------------


def excludes_in_a_row(history: Sequence[str]) -> int:
    """How many of the reviewer's latest decisions (oldest first) are exclusions in a row."""
    count = 0
    for decision in reversed(history):
        if decision != "exclude":
            break
        count += 1
    return count


# The recent decisions the estimate of relevant papers left is taken from.
RECENT = 100


@dataclass(frozen=True)
class Remaining:
    """Relevant papers still unscreened, if the unscreened ones were as rich in them as the
    reviewer's ``window`` latest decisions (``found`` relevant among them): about
    ``estimate``, at most ``upper`` (one-sided 95% Clopper-Pearson bound on that rate)."""

    estimate: int
    upper: int
    found: int
    window: int


def remaining_relevant(history: Sequence[str], unscreened: int,
                       window: int = RECENT) -> Remaining | None:
    """Why from the recent rate: screening goes from likeliest to least likely, so the
    rate among the papers left should be lower than the latest decisions' — these numbers
    lean high, more so early on. They are not a guarantee either: a relevant paper that
    shares no words with the ones found so far can sit anywhere in the queue."""
    recent = list(history[-window:])
    if not recent:
        return None
    from scipy.special import betaincinv

    found = sum(RELEVANT.get(d, False) for d in recent)
    n = len(recent)
    upper_rate = 1.0 if found == n else float(betaincinv(found + 1, n - found, 0.95))
    return Remaining(round(found / n * unscreened), math.ceil(upper_rate * unscreened),
                     found, n)


@dataclass(frozen=True)
class StopRule:
    """SAFE-style (Boetje & van de Schoot, Systematic Reviews 2024): ``run`` exclusions in
    a row, once at least ``min_screened`` of the records are screened."""

    run: int = 50
    min_screened: float = 0.10

    @classmethod
    def parse(cls, text: str, total: int) -> StopRule:
        """"50" (exclusions in a row) or "5%" (of the ``total`` records)."""
        value = text.strip()
        try:
            run = (math.ceil(float(value[:-1]) / 100 * total) if value.endswith("%")
                   else int(value))
        except ValueError:
            run = 0
        if run < 1:
            raise UsageError(f"a run of exclusions must be a count or a percentage, not "
                             f"{text!r}")
        return cls(run=run)

    def met(self, run: int, screened: int, total: int) -> bool:
        """Met with ``run`` exclusions in a row and ``screened`` of ``total`` records."""
        return run >= self.run and screened >= self.min_screened * total

    def notice(self, history: Sequence[str], total: int) -> str | None:
        """The advisory notice when the heuristic is met; None otherwise."""
        run = excludes_in_a_row(history)
        screened = len(history)
        if not self.met(run, screened, total):
            return None
        return (f"Stopping heuristic met (SAFE-style): {run} exclusions in a row, with "
                f"{screened} of {total} records screened (at least {self.min_screened:.0%}). "
                f"A heuristic, not a guarantee: relevant papers may remain. Stop or go on "
                f"as your protocol says.")


@dataclass(frozen=True)
class ScreenView:
    """What the screen shows beside a paper."""

    rank: int | None  # 1 = the likeliest unscreened paper; None before the model starts
    unscreened: int
    excludes_in_a_row: int
    remaining: Remaining | None
    notice: str | None


def screen_view(ranking: Ranking | None, pmid: int, history: Sequence[str], unscreened: int,
                rule: StopRule | None = None) -> ScreenView:
    """``history``: this reviewer's decisions, oldest first; ``unscreened``: papers left
    to screen, this one included."""
    rule = rule or StopRule()
    rank = ranking.rank_of(pmid) if ranking is not None and pmid in ranking.pmids else None
    return ScreenView(rank, unscreened, excludes_in_a_row(history),
                      remaining_relevant(history, unscreened),
                      rule.notice(history, len(history) + unscreened))

"""Who said what, about which topic, for or against, in what tone.

``stance`` finds every quotation in news articles, attributes it to its speaker, detects the
topics it takes up and labels the speaker's stance per topic (favor / against / neutral) and
the quote's sentiment. This package is the Python face of the Rust library: the records are
exactly those of ``stance label --format jsonl``.

>>> import stance
>>> pipe = stance.load()                          # the default model
>>> records = pipe.label(text, id="a1")           # one dict per quote
>>> per_text = pipe.label_many(texts, ids)         # in parallel, GIL released
>>> table = pipe.summary(texts, ids)              # speaker × topic
>>> df = stance.to_pandas(records)                # one row per quote × topic (needs pandas)
>>> drafts = stance.to_gold(records)              # annotation-guide records, to correct

Errors from the library (an unusable model, bad training data) raise :class:`StanceError`
(:class:`ModelError` for models) with the library's message; an empty article raises
:class:`ValueError`.
"""

from __future__ import annotations

import json
import os
import warnings
from typing import Any, Dict, Iterable, List, Optional, Sequence, Union

from . import _native
from ._native import ModelError, StanceError

__all__ = [
    "load",
    "load_model",
    "train",
    "to_pandas",
    "to_gold",
    "write_default_model",
    "Pipeline",
    "Model",
    "StanceError",
    "ModelError",
]

try:
    from importlib.metadata import PackageNotFoundError, version as _version

    __version__ = _version("stance")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0+unknown"

PathLike = Union[str, "os.PathLike[str]"]
Record = Dict[str, Any]

#: Environment variable naming the default model directory (as for the ``stance`` CLI).
MODEL_ENV = "STANCE_MODEL"


def _model_path(path: Optional[PathLike]) -> Optional[str]:
    """The directory to load: ``path``, else ``$STANCE_MODEL``, else None (the bundled model)."""
    if path is not None:
        return os.fspath(path)
    env = os.environ.get(MODEL_ENV)
    if env:
        return env
    if not _native.bundled_model_files():
        raise ModelError(
            "no model given: pass a model directory, set STANCE_MODEL, or install the package "
            "from the stance repository (which bundles models/default)"
        )
    return None


def _check_texts(texts: Iterable[str], ids: Optional[Iterable[Any]]) -> "tuple[List[str], List[str]]":
    texts = list(texts)
    for i, t in enumerate(texts):
        if not isinstance(t, str):
            raise TypeError(f"texts[{i}] is {type(t).__name__}, expected str")
    if ids is None:
        id_list = [str(i) for i in range(len(texts))]
    else:
        id_list = [str(i) for i in ids]
        if len(id_list) != len(texts):
            raise ValueError(f"{len(texts)} texts but {len(id_list)} ids")
    return texts, id_list


def _threads(threads: Optional[int]) -> int:
    if threads is None:
        return 0
    if not isinstance(threads, int) or threads < 1:
        raise ValueError(f"threads must be a positive int or None, not {threads!r}")
    return threads


def _report(failed: List["tuple[int, str]"], ids: List[str], errors: str) -> None:
    if not failed:
        return
    if errors == "raise":
        i, reason = failed[0]
        more = f" (and {len(failed) - 1} more)" if len(failed) > 1 else ""
        raise ValueError(f"texts[{i}] (id {ids[i]!r}): {reason}{more}")
    for i, reason in failed:
        warnings.warn(f"stance: skipped texts[{i}] (id {ids[i]!r}): {reason}", stacklevel=3)


def _check_errors(errors: str) -> None:
    if errors not in ("raise", "skip"):
        raise ValueError(f"errors must be 'raise' or 'skip', not {errors!r}")


class Pipeline:
    """Quote extraction, speaker attribution, topic detection, stance and sentiment.

    Load one with :func:`load`. A pipeline is immutable and thread-safe: share one across
    threads (every call releases the GIL while it works).
    """

    __slots__ = ("_p", "path")

    def __init__(self, native: "_native.Pipeline", path: Optional[str]) -> None:
        self._p = native
        #: The model directory it was loaded from (None for the bundled model).
        self.path = path

    def __repr__(self) -> str:
        where = self.path if self.path is not None else "bundled default model"
        return f"<stance.Pipeline ({where})>"

    def label(self, text: str, id: Optional[str] = None) -> List[Record]:
        """Labels one article.

        Returns one dict per quote, the records of ``stance label --format jsonl``:
        ``article`` (``id``, default ``"0"``), ``start``/``end`` (char offsets of the quote's
        text), ``text``, ``fragment``, ``speaker`` (canonical name or None),
        ``speaker_mention``, ``cue``, ``confidence``, ``topics`` ({topic: {stance, probs,
        relevance, confidence}}, detected topics only; ``confidence``, how likely the topic is
        right, with calibrated models) and ``sentiment`` ({label, probs}); with
        ``load(..., relevance=True)`` also ``relevance`` ({topic: P(topic)} for every topic).

        Raises ValueError for an empty or blank text, TypeError when ``text`` is not a str.
        """
        if not isinstance(text, str):
            raise TypeError(f"text is {type(text).__name__}, expected str")
        return self._p.label(text, "0" if id is None else str(id))

    def label_many(
        self,
        texts: Iterable[str],
        ids: Optional[Iterable[Any]] = None,
        threads: Optional[int] = None,
        errors: str = "raise",
    ) -> List[List[Record]]:
        """Labels many articles in parallel; returns one list of records per text, in order.

        ``ids`` default to the positions ``"0"``, ``"1"``, …; ``threads`` defaults to all
        cores. The GIL is released while the articles are labeled, with the same batch runner
        as the ``stance label`` command.

        ``errors="raise"`` (default) raises ValueError naming the first empty text, before
        anything is returned; ``errors="skip"`` warns once per bad text (as the CLI reports
        each on stderr) and gives it an empty list, so the result stays aligned with the input.
        """
        _check_errors(errors)
        texts, id_list = _check_texts(texts, ids)
        out, failed = self._p.label_many(texts, id_list, _threads(threads))
        _report(failed, id_list, errors)
        return out

    def label_jsonl(
        self,
        lines: Iterable[str],
        threads: Optional[int] = None,
        errors: str = "raise",
    ) -> List[str]:
        """Labels JSON Lines records exactly as ``stance label -`` does: each line a
        ``{"id": ..., "text": ...}`` record (``id`` is the records' ``article``; give one),
        the result ``stance label``'s output lines (one JSON record per quote, no newline), in
        order. For writing JSON Lines (Spark jobs, files) without building Python dicts.

        ``errors="raise"`` raises ValueError for the first malformed or empty record;
        ``errors="skip"`` warns once per such record (as the CLI reports it) and goes on.
        """
        _check_errors(errors)
        lines = list(lines)
        for i, line in enumerate(lines):
            if not isinstance(line, str):
                raise TypeError(f"lines[{i}] is {type(line).__name__}, expected str")
        out, failed = self._p.label_jsonl(lines, _threads(threads))
        if failed and errors == "raise":
            origin, reason = failed[0]
            more = f" (and {len(failed) - 1} more)" if len(failed) > 1 else ""
            raise ValueError(f"{origin}: {reason}{more}")
        for origin, reason in failed:
            warnings.warn(f"stance: skipped {origin}: {reason}", stacklevel=2)
        return out

    def summary(
        self,
        texts: Iterable[str],
        ids: Optional[Iterable[Any]] = None,
        threads: Optional[int] = None,
        format: str = "dict",
        errors: str = "raise",
    ) -> Union[Dict[str, Any], str]:
        """Labels the articles and sums them up per speaker × topic.

        ``format="dict"`` gives ``{"articles": N, "unattributed_quotes": N, "rows": [...]}``
        with rows ``{speaker, topic, favor, against, neutral, net, articles, evidence}`` (as
        ``stance label --summary --format json``); ``format="markdown"`` gives the table of
        ``stance label --summary``. Counting rules: a speaker's stance on a topic counts once
        per article, syndicated copies of a quote once, ``net = (F - A) / (F + A + N)``.
        ``ids`` matter: quotes are pooled per article id. ``threads`` and ``errors`` as in
        :meth:`label_many`.
        """
        _check_errors(errors)
        if format not in ("dict", "markdown"):
            raise ValueError(f"format must be 'dict' or 'markdown', not {format!r}")
        texts, id_list = _check_texts(texts, ids)
        if errors == "raise":
            # Refuse before the work rather than after it.
            _report([(i, "empty article") for i, t in enumerate(texts) if not t.strip()], id_list, errors)
        table, failed = self._p.summary(texts, id_list, _threads(threads), format == "markdown")
        _report(failed, id_list, errors)
        return table

    @property
    def model(self) -> "Model":
        """The model in use (a copy)."""
        return Model(self._p.model(), self.path)


class Model:
    """A trained statement model: stance per topic, topic relevance and sentiment.

    Get one with :func:`load_model`, :attr:`Pipeline.model` or :func:`train`.
    """

    __slots__ = ("_m", "path", "report")

    def __init__(self, native: "_native.Model", path: Optional[str] = None, report: Optional[Dict[str, Any]] = None) -> None:
        self._m = native
        #: The directory it was loaded from, if any.
        self.path = path
        #: The training report (cross-validation grid and metrics) when it comes from train().
        self.report = report

    def __repr__(self) -> str:
        return f"<stance.Model topics={self.topics}>"

    @property
    def topics(self) -> List[str]:
        """The topic ids the model gives a stance on, sorted."""
        return self._m.topics()

    @property
    def manifest(self) -> Dict[str, Any]:
        """The manifest: format version, training data, configuration, CV metrics, files."""
        return self._m.manifest()

    def predict(
        self,
        text: str,
        context: Optional[str] = None,
        topics: Optional[Sequence[str]] = None,
        target: Optional["tuple[int, int]"] = None,
        explain: int = 0,
        wide_context: Optional[str] = None,
    ) -> Dict[str, Any]:
        """Predicts one statement: ``{"topics": {topic: {stance, probs, relevance?, confidence?}}, "sentiment": {label, probs}}``,
        the ``prediction`` of ``stance predict``.

        ``context`` is the sentence that introduces the quote; ``wide_context`` the same
        widened to the start of the sentence before it (read by models whose heads list the
        ``wide_context`` parts; the default model reads the context; default: the context);
        ``topics`` the topics it is about (stance is given for exactly those; default: detected
        by the relevance head); ``target`` the (start, end) char span of a person the sentiment
        is about; ``explain`` adds the N top contributing features per output.
        ``Pipeline.label`` fills both contexts itself.
        """
        if not isinstance(text, str):
            raise TypeError(f"text is {type(text).__name__}, expected str")
        if isinstance(topics, str):
            topics = [topics]
        if topics is not None:
            topics = list(topics)
            unknown = sorted(set(topics) - set(self.topics))
            if unknown:
                raise ValueError(f"unknown topic(s) {unknown}; the model knows {self.topics}")
        if target is not None:
            start, end = target
            if not (0 <= start < end):
                raise ValueError(f"target must be (start, end) with 0 <= start < end, not {target!r}")
            target = (int(start), int(end))
        if explain < 0:
            raise ValueError("explain must be >= 0")
        return self._m.predict(text, context, topics, target, int(explain), wide_context)

    def save(self, path: PathLike) -> None:
        """Saves the model directory (written to a temporary directory, then renamed)."""
        self._m.save(os.fspath(path))

    def pipeline(self) -> Pipeline:
        """A labeling pipeline with this model and the built-in extractor and topics."""
        return Pipeline(self._m.pipeline(), self.path)


def load(
    path: Optional[PathLike] = None,
    min_confidence: Optional[float] = None,
    relevance: bool = False,
) -> Pipeline:
    """Loads a labeling pipeline.

    ``path`` is a model directory; without it ``$STANCE_MODEL`` is used, else the default model
    bundled in the package. Raises :class:`ModelError` (with the library's message) when the
    model is missing, truncated, corrupt or of a newer format.

    ``min_confidence`` keeps only the detected topics whose ``confidence`` (how likely the
    topic is right) is at least that, compared as written (4 decimals), in every method's
    output and summary, as ``stance label --min-confidence``: fewer, surer labels. Raises
    :class:`StanceError` outside [0, 1] or for a model whose topics have no ``confidence``.

    ``relevance=True`` gives every record a ``relevance`` dict: every topic's P(topic),
    detected or not, as ``stance label --relevance`` (to set your own thresholds, or rank
    quotes by a topic); :meth:`Pipeline.label_jsonl` lines carry it too, and :func:`to_pandas`
    keeps to the detected topics.
    """
    p = _model_path(path)
    if p is None:
        native = _native.Pipeline.load_bundled(min_confidence, relevance)
    else:
        native = _native.Pipeline.load(p, min_confidence, relevance)
    return Pipeline(native, p)


def load_model(path: Optional[PathLike] = None) -> Model:
    """Loads a statement model (for :meth:`Model.predict`); ``path`` as in :func:`load`."""
    p = _model_path(path)
    native = _native.Model.load_bundled() if p is None else _native.Model.load(p)
    return Model(native, p)


def train(
    records: Optional[Iterable[Record]] = None,
    data: Union[None, PathLike, Sequence[PathLike]] = None,
    out: Optional[PathLike] = None,
    **params: Any,
) -> Model:
    """Trains a model, as ``stance train`` does.

    ``records`` are dicts in the annotation guide's format (``text``, optional ``context``,
    ``topics`` {topic: favor|against|neutral}, ``sentiment``, ``target``); ``data`` one or more
    files in any format ``stance train`` reads (guide JSONL, CSV/TSV with a ``text`` column,
    SemEval-2016 TSV, NewsMTSC JSONL; autodetected). Both may be given.

    ``params`` override the library's training parameters by name, e.g. ``c=[1, 10]``,
    ``cv_folds=5``, ``cv_repeats=2``, ``class_weight="none"``, ``strategy="joint"``, ``seed=0``,
    ``vectorizers=[{"word_ngrams": [1, 3], "char_ngrams": None}]`` (each merged over the default
    vectorizer). A scalar ``c`` is taken as ``[c]``. With ``out`` the model is saved there.
    The training report is in :attr:`Model.report`.
    """
    recs = [] if records is None else [json.dumps(r) for r in records]
    if data is None:
        files: List[str] = []
    elif isinstance(data, (str, os.PathLike)):
        files = [os.fspath(data)]
    else:
        files = [os.fspath(p) for p in data]
    if not recs and not files:
        raise ValueError("nothing to train on: give records or data files")
    if "c" in params and isinstance(params["c"], (int, float)):
        params["c"] = [params["c"]]
    native, report = _native.train(recs, files, json.dumps(params))
    model = Model(native, None, report)
    if out is not None:
        model.save(out)
        model.path = os.fspath(out)
    return model


def write_default_model(dest: PathLike) -> str:
    """Writes the bundled default model into the directory ``dest`` (for ``stance label --model``,
    or to ship to cluster workers); returns the path."""
    dest = os.fspath(dest)
    _native.write_bundled_model(dest)
    return dest


def to_gold(records: Iterable[Any]) -> List[Record]:
    """The annotation guide's records (§6) of labeled quotes, as ``stance label --format gold``
    writes them: ``article, start, end, text, speaker, fragment, topics`` (topic → stance, only
    the detected topics) and ``sentiment`` (a label), without probabilities.

    ``records`` are those of :meth:`Pipeline.label` (or the lists of :meth:`Pipeline.label_many`,
    which are flattened). Correct the drafts by hand, write them as JSON Lines, and train on them
    as a recipe's ``[[gold]]`` set (``stance train --recipe``; the README's "Your own labelled
    news").
    """
    out: List[Record] = []
    for item in records:
        for q in item if isinstance(item, list) else [item]:
            g: Record = {
                "article": q["article"],
                "start": q["start"],
                "end": q["end"],
                "text": q["text"],
                "speaker": q.get("speaker"),
                "fragment": q["fragment"],
                "topics": {t: lab["stance"] for t, lab in sorted((q.get("topics") or {}).items())},
            }
            if q.get("sentiment"):
                g["sentiment"] = q["sentiment"]["label"]
            out.append(g)
    return out


def to_pandas(data: Any) -> Any:
    """A pandas DataFrame of labels or of a summary (``pandas.DataFrame``).

    - records (from :meth:`Pipeline.label`, or the lists of :meth:`Pipeline.label_many`, which
      are flattened): one row per quote × topic, the columns of ``stance label --format csv``
      (``article, start, end, speaker, topic, stance, p_favor, p_against, p_neutral, relevance,
      topic_confidence, sentiment, fragment, text``); a quote with no topic gives one row with ``topic`` None.
    - a summary dict (from :meth:`Pipeline.summary`): one row per speaker × topic.

    pandas is optional: this raises ImportError with the install command when it is missing.
    """
    try:
        import pandas as pd  # type: ignore[import-untyped, unused-ignore]
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError("stance.to_pandas needs pandas: pip install pandas") from e
    if isinstance(data, dict) and "rows" in data:
        return pd.DataFrame(
            data["rows"],
            columns=["speaker", "topic", "favor", "against", "neutral", "net", "articles", "evidence"],
        )
    rows = []
    for item in data:
        for q in item if isinstance(item, list) else [item]:
            sent = q.get("sentiment") or {}
            base = {
                "article": q["article"],
                "start": q["start"],
                "end": q["end"],
                "speaker": q.get("speaker"),
            }
            tail = {"sentiment": sent.get("label"), "fragment": q.get("fragment"), "text": q["text"]}
            topics = q.get("topics") or {}
            if not topics:
                rows.append({**base, "topic": None, "stance": None, "p_favor": None, "p_against": None,
                             "p_neutral": None, "relevance": None, "topic_confidence": None, **tail})
            for topic, lab in topics.items():
                probs = lab.get("probs", {})
                rows.append({**base, "topic": topic, "stance": lab.get("stance"),
                             "p_favor": probs.get("favor"), "p_against": probs.get("against"),
                             "p_neutral": probs.get("neutral"), "relevance": lab.get("relevance"),
                             "topic_confidence": lab.get("confidence"), **tail})
    columns = ["article", "start", "end", "speaker", "topic", "stance", "p_favor", "p_against",
               "p_neutral", "relevance", "topic_confidence", "sentiment", "fragment", "text"]
    return pd.DataFrame(rows, columns=columns)

"""The API's scoring: `predict_file` and `index_targets` over files, and `Scorer`, a run
loaded once that scores pairs held in memory."""

from __future__ import annotations

import inspect
import itertools
import numbers
import threading
from collections import Counter
from collections.abc import Iterable, Iterator, Sized
from pathlib import Path

import numpy as np
import pandas as pd

from shoprel.api.checks import path_list, whole_number
from shoprel.api.wording import in_python_words
from shoprel.data.empty_texts import REFUSE
from shoprel.data.frame import PairFrame
from shoprel.data.memory import pair_frames
from shoprel.data.records import python_kind
from shoprel.data.tasks import TaskGivenBy, run_task
from shoprel.ensemble.cuts import language_cuts
from shoprel.errors import ConfigError, InputError
from shoprel.predict.cascade import DEFAULT_SHARE, SCORERS, scorer_in_any_case
from shoprel.predict.index import IndexResult, build_index
from shoprel.predict.languages import (
    translated_only_members,
    translated_only_tags,
    unseen_as_trained,
)
from shoprel.predict.predictor import (
    PredictResult,
    load_encoders,
    open_predictor,
    translated_by_some,
    translated_languages,
)
from shoprel.predict.predictor import predict_file as _predict_file
from shoprel.predict.translators import check_one_translator
from shoprel.run.folder import Run
from shoprel.utils.arguments import OR_SCORE_IT, WRITE_IT_FIRST, flag_argument, path_argument
from shoprel.utils.bounds import not_finite
from shoprel.utils.scalars import is_boolean, python_scalar
from shoprel.utils.signals import stops_on_sigterm

__all__ = ["Scorer", "index_targets", "predict_file"]

ENGINES = ("local", "ray")  # predict --engine's choices


@in_python_words
@stops_on_sigterm
def predict_file(run_dir: str | Path, input_file: str | Path, out_file: str | Path,
                 scorer: str = "full", indexes: list[str | Path] | None = None,
                 overwrite: bool = False, progress: bool = True, chunk_rows: int = 20_000,
                 cascade_share: float | None = None, engine: str = "local",
                 address: str | None = None, num_actors: int | None = None) -> PredictResult:
    """`shoprel predict`: score a file into a submission file (same format rules and guards);
    `scorer`, `indexes`, `chunk_rows`, `cascade_share`, `engine` ("local" or "ray": a pool of
    Ray actors, the same output), `address` and `num_actors` (only with engine="ray") as its
    options."""
    scorer = _scorer(scorer)
    engine = _engine(engine, address, num_actors)
    run_dir = path_argument(run_dir, "run_dir")
    input_file = path_argument(input_file, "input_file", OR_SCORE_IT)
    out_file = path_argument(out_file, "out_file")
    progress = flag_argument(progress, "progress")
    overwrite = flag_argument(overwrite, "overwrite")
    share = _cascade_share(cascade_share, scorer)
    if engine == "ray":
        from shoprel.predict import ray_engine

        # as the command: smaller batches than the local chunks, so that every actor gets work
        return ray_engine.predict_file_ray(
            run_dir, input_file, out_file, address=address,
            num_actors=None if num_actors is None else whole_number(num_actors, "num_actors",
                                                                    ge=1),
            batch_rows=min(whole_number(chunk_rows, "chunk_rows", ge=1), 5_000),
            progress=progress, indexes=_indexes(indexes), scorer=scorer, overwrite=overwrite)
    return _predict_file(run_dir, input_file, out_file, chunk_rows=chunk_rows,
                         progress=progress, indexes=_indexes(indexes), scorer=scorer,
                         overwrite=overwrite, cascade_share=share)


def _engine(engine, address, num_actors) -> str:
    """"local" or "ray" in any case ("Ray" is "ray"), as `predict --engine` takes them and a
    scorer's name is taken; `address` and `num_actors` given to the local engine are refused,
    as `--address`/`--num-actors` without `--engine ray` are (they would read nothing,
    silently)."""
    chosen = engine.lower() if isinstance(engine, str) else engine
    if chosen not in ENGINES:
        raise ConfigError(f"engine: {engine!r}; use one of {', '.join(ENGINES)}")
    if address is not None and not isinstance(address, str):
        raise ConfigError(f"address: {python_kind(address)} is not a Ray address such as "
                          "'auto' or 'ray://host:10001'")
    given = [name for name, value in (("address", address), ("num_actors", num_actors))
             if value is not None]
    if given and chosen != "ray":
        raise ConfigError(f"{' and '.join(given)}: only with engine='ray' (this call scores "
                          f"with engine={chosen!r})")
    return chosen


@in_python_words
@stops_on_sigterm
def index_targets(run_dir: str | Path, input_file: str | Path, out: str | Path | None = None,
                  progress: bool = True) -> IndexResult:
    """`shoprel index`: embed the targets of `input_file` (a pairs file, JSON lines with the
    target field, or one target a line) so that scoring embeds only queries; into the run's
    own index, or `out` (then give it to `predict_file`/`Scorer` as `indexes`). Stopped by
    Ctrl-C, or by SIGTERM where the program leaves it at its default, it keeps the parts
    embedded so far and raises an Interrupted saying so, as the command does."""
    return build_index(path_argument(run_dir, "run_dir"),
                       path_argument(input_file, "input_file", WRITE_IT_FIRST),
                       None if out is None else path_argument(out, "out"),
                       progress=flag_argument(progress, "progress"))


def _indexes(indexes) -> list[Path] | None:
    return None if indexes is None else path_list(indexes, "indexes", "index folders")


def _cascade_share(share, scorer) -> float:
    """A share given to another scorer is refused, as `predict --cascade-share` refuses it:
    it read nothing there, silently. A share that is no number is refused here: the range
    check after it ('0 < "0.3"') was a TypeError traceback, and True passed as 1."""
    if share is not None and scorer != "cascade":
        raise ConfigError(f"cascade_share: only with scorer='cascade' (this call scores with "
                          f"scorer={scorer!r})")
    if share is None:
        return DEFAULT_SHARE
    share = python_scalar(share)  # numpy's True is said as True, and refused as True is
    if is_boolean(share) or not isinstance(share, numbers.Real):
        raise ConfigError(f"cascade_share: expected a number above 0 and at most 1, got "
                          f"{share!r}")
    problem = not_finite(float(share))  # as --cascade-share nan, not "out of range"
    if problem:
        raise ConfigError(f"cascade_share: {problem}")
    return float(share)


# what a Scorer is loaded with, and what to do instead of setting it: `run.threshold = 0.8`
# was taken, and the repr said the new cut, while every prediction still used the run's own
_LOADED_WITH = {
    "threshold": "cut the probabilities yourself: run.probabilities(pairs) >= cut",
    "scorer": "open another: shoprel.Scorer(run_dir, scorer=...)",
    "task": "it is the run's task; score the other task's pairs with a run of that task",
    "run_dir": "open another: shoprel.Scorer(run_dir)",
}


def _scorer(scorer) -> str:
    """The scorer's name in any case ("FULL" is "full"), as a task's ("qc" is QC)."""
    name = scorer_in_any_case(scorer)
    if name not in SCORERS:
        raise ConfigError(f"scorer: {scorer!r}; use one of {', '.join(SCORERS)}")
    return name


class Scorer:
    """A run (or ensemble) loaded once, scoring pairs held in memory.

    `pairs`: a list (or any iterable) of dicts, a DataFrame, or what `shoprel.read_pairs`
    returns (an iterator, read once, that gives no pairs is refused: one an earlier call read
    has none left; a generator the call starts scores none; no pairs on purpose are `[]`),
    with a file's fields: `origin_query`,
    `category_path` (QC) or `item_title` (QI), optional `language` and `id` (every pair's or
    none: then ids are positions), checked by the file rules (an error names the pair by
    position and the field; empty cells — None, NaN — are a file's null). `scorer` (any case):
    "full", "student" (the student the run carries) or "cascade", as `predict --scorer`;
    `indexes`: target-index folders besides the run's own; `recent_texts`: how many embedded
    texts to keep in memory between calls (as `serve`; at most 1,000,000: ~3.4 GB per backbone
    at 768 dimensions); `cascade_share`: as `predict --cascade-share`. `unseen_languages` counts
    the pairs scored so far (by calls that returned them, from any thread) per language the run
    was not trained on (as predict reports); `translated_only` names those of them it trained on
    only as translated rows (augment.translate), and `translated_only_members` those only some
    of an ensemble's members saw so. Pairs are scored in chunks of 20,000, as predict scores a
    file, so the cascade judges a query on the pairs of one call and chunk; pairs held in memory
    (a list, a DataFrame) are all checked before the first chunk is scored, an iterator's as it
    gives them. `threshold`, `scorer`, `task` and `run_dir` are fixed when the run is loaded:
    setting one is refused (another cut: `run.probabilities(pairs) >= cut`). Its encoders are
    loaded when it is made, as serve loads them before it says it is ready: the first call waits
    for no loading.
    """

    @in_python_words
    def __init__(self, run_dir: str | Path, scorer: str = "full",
                 indexes: list[str | Path] | None = None, recent_texts: int = 0,
                 cascade_share: float | None = None):
        recent_texts = whole_number(recent_texts, "recent_texts")
        self.run_dir = path_argument(run_dir, "run_dir")
        scorer = _scorer(scorer)
        self.predictor = open_predictor(self.run_dir, _indexes(indexes), recent_texts,
                                        scorer, _cascade_share(cascade_share, scorer))
        check_one_translator(Run.open(self.run_dir), scorer, "each pair's one translated_query "
                             "reaches all of them: score with the runs apart")
        # as serve before it says it is ready: the encoders (an LLM's merged adapter) loaded
        # now, so the first call does not wait for them (~10 s for EmbeddingGemma on 2 cores)
        # and a run whose encoder will not load is refused here, not at the first pairs
        load_encoders(self.predictor)
        self.scorer = scorer
        self.task = self.predictor.task
        self.threshold = self.predictor.threshold
        self._known = self.predictor.training_languages()
        # pairs scored so far per language the run's training file lacked: its
        # cross-validated figures say nothing about them (predict prints the same count)
        self.unseen_languages: Counter = Counter()
        # calls from several threads (a web app's workers sharing one loaded run) add their
        # counts under it: Counter.update reads a count and writes the sum, and two calls
        # between those lost one call's pairs
        self._counting = threading.Lock()
        self._translated = translated_languages(self.predictor.run)
        self._translated_by_some = translated_by_some(self.predictor.run)

    def __setattr__(self, name, value):
        if name in _LOADED_WITH and name in self.__dict__:
            raise ConfigError(f"Scorer.{name} is fixed when the run is loaded (setting it would "
                              f"change nothing scored); {_LOADED_WITH[name]}")
        super().__setattr__(name, value)

    @property
    def translated_only(self) -> list[str]:
        """The tags of unseen_languages the run trained on only as translated rows
        (augment.translate): new to its own rows, not to the model (PredictResult's field)."""
        with self._counting:  # not read while a call adds to it (a dict changing size)
            tags = [tag for tag, _ in self.unseen_languages.most_common()]
        return translated_only_tags(tags, self._translated)

    @property
    def translated_only_members(self) -> dict[str, list[str]]:
        """Of translated_only, the tags of a language only some of an ensemble's members
        trained on (as translated rows; the others never saw it), each with those members
        (PredictResult's field): translated_only alone said the ensemble had seen them."""
        return translated_only_members(self.translated_only, self._translated_by_some)

    @property
    def language_thresholds(self) -> dict[str, float]:
        """The cut per language where the run has its own per-language cuts (`ensemble
        --per-language-thresholds`); every other language is cut at `threshold`."""
        return language_cuts(self.predictor.run.manifest.get("language_thresholds"))

    def __repr__(self) -> str:
        return (f"Scorer({str(self.run_dir)!r}, scorer={self.scorer!r}: {self.task.value}, "
                f"threshold {self.threshold:.4f})")

    @in_python_words
    def score(self, pairs) -> pd.DataFrame:
        """One row per pair, in order: id, language, origin_query, category_path or
        item_title, prediction (0/1 at the run's threshold), probability (rounded to 6 places,
        as predict writes it). A DataFrame's result keeps its index, so a column can be
        assigned back. A pair with an empty or blank query or target is refused at its
        position and field, as serve refuses it (predict keeps a file's such rows and notes
        them, so that every id of a test file gets its prediction)."""
        counted = Counter()
        tables = [self.predictor.submission(frame, self._counted(frame, counted))
                  for frame in self._frames(pairs, written_ids=True)]
        table = pd.concat(tables, ignore_index=True) if len(tables) > 1 else tables[0]
        self._count(counted)
        if isinstance(pairs, pd.DataFrame):
            table.index = pairs.index
        return table

    @in_python_words
    def probabilities(self, pairs) -> np.ndarray:
        """Each pair's probability of being relevant, unrounded, in order."""
        counted = Counter()
        scored = (self.predictor.probabilities_and_cuts(frame, self._counted(frame, counted))
                  for frame in self._frames(pairs))
        probabilities = np.concatenate([probabilities for probabilities, _ in scored])
        self._count(counted)
        return probabilities

    def _frames(self, pairs, written_ids: bool = False) -> Iterable[PairFrame]:
        """The pairs' chunks as score() and probabilities() read them: an iterator refused once
        read (_not_read_before), pairs held in memory checked whole first (_checked_first)."""
        return _checked_first(pairs, pair_frames(
            _not_read_before(pairs), self.task, written_ids=written_ids, read_labels=False,
            empty_text=REFUSE, given_by=self._given_by()))

    def _count(self, counted: Counter) -> None:
        """A call's unseen pairs added to unseen_languages, one call at a time."""
        with self._counting:
            self.unseen_languages.update(counted)

    def _given_by(self) -> TaskGivenBy:
        """The task pairs are read as is the run's: a first pair whose task field names the
        other is told so, with what to do, not "the pairs are QC"."""
        return run_task(self.task, self.run_dir, "score them")

    def _counted(self, frame: PairFrame, counted: Counter) -> PairFrame:
        """The frame as the run scores it ('fr-fr' as 'fr'), its new languages counted from
        it into `counted`: the tags are mapped once per chunk, for the count and the scores
        (as predict). The call adds `counted` to unseen_languages only once all its pairs are
        scored: a pair refused in a later chunk (the 20,001st blank) counted the chunks before
        it, pairs the caller never got back."""
        trained = self.predictor.as_trained(frame)
        counted.update(unseen_as_trained(trained.df["language"], self._known))
        return trained


def _not_read_before(pairs):
    """The pairs, an iterator's with its first pair taken and put back: an iterator (a
    generator, map(...), iter(rows)) is read once, and one given again after an earlier call
    read it scored nothing and returned an empty table, as if no pairs had been given. An
    iterator that gives no pairs is refused: no pairs on purpose are a list, `[]`. Save a
    generator never started before this call (`p for p in rows if ...` that keeps none): it
    cannot have been read before, so it gives no pairs on purpose and scores none."""
    if not isinstance(pairs, Iterator):
        return pairs
    fresh = inspect.isgenerator(pairs) and inspect.getgeneratorstate(pairs) == inspect.GEN_CREATED
    first = next(pairs, _NOTHING)
    if first is _NOTHING and fresh:
        return []
    if first is _NOTHING:
        raise InputError("pairs: the iterator gave no pairs; an iterator is read once, so one "
                         "an earlier call read has none left: give a list to score the same "
                         "pairs again ([] to score none)")
    return itertools.chain([first], pairs)


_NOTHING = object()


def _checked_first(pairs, frames: Iterator[PairFrame]) -> Iterable[PairFrame]:
    """The chunks of pairs held in memory (a list, a DataFrame, read_pairs' frame) all checked
    before any is scored: a blank query as the 45,000th pair was refused only once two chunks
    of 20,000 had been scored, minutes of embedding new queries with the default model for
    nothing. An iterator's pairs stay streamed, a chunk at a time, as it gives them."""
    return list(frames) if isinstance(pairs, Sized) else frames

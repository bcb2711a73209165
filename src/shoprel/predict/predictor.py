"""Score a file with a saved run, in chunks, writing the competition's submission format."""

from __future__ import annotations

import itertools
import time
import warnings
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute  # noqa: F401  (pa.compute)
import pyarrow.parquet as pq

from shoprel.data.empty_texts import empty_counts
from shoprel.data.formats import output_format
from shoprel.data.frame import PairFrame
from shoprel.data.readers import iter_pair_chunks
from shoprel.data.run_folder_input import refuse_run_folder
from shoprel.data.spool import readable_input
from shoprel.data.tasks import run_task
from shoprel.data.writers import append_table
from shoprel.ensemble.cuts import language_cuts, row_thresholds
from shoprel.errors import ConfigError, OutputExistsError
from shoprel.models.backbones.embedding_store import MAX_RECENT_TEXTS, RECENT_TEXT_BYTES_768
from shoprel.models.backbones.target_index import has_stopped_build
from shoprel.models.base import UntranslatedInputWarning, bare_query_mask
from shoprel.predict.cascade import DEFAULT_SHARE, CascadePredictor, check_share
from shoprel.predict.index import INDEX_FOLDER, embeds_nothing, index_folders, index_names_in
from shoprel.predict.languages import (
    as_trained,
    frame_as_trained,
    translated_only_members,
    translated_only_tags,
    unseen_as_trained,
)
from shoprel.predict.table import check_scored_replaceable, submission_table
from shoprel.predict.translators import check_one_translator
from shoprel.run.data import recorded_field
from shoprel.run.folder import Run
from shoprel.run.layout import shown
from shoprel.run.models import mean_positive_probability
from shoprel.run.students import scoring_run
from shoprel.utils.atomic import atomic_file, live_writer, output_lock
from shoprel.utils.outputs import check_output_file
from shoprel.utils.progress import eager_bars, honours_progress, progress_bar
from shoprel.utils.shoprel_folders import is_index_folder, occupied

# why predict refuses runs reading different translators (predict/translators.py)
PREDICT_READS = ("the input file's one translated_query column reaches all of them: predict "
                 "with the runs apart")


@dataclass
class PredictResult:
    out_file: Path
    rows: int
    positives: int
    threshold: float
    # rows per language absent from the run's training file (its per-language metrics)
    new_languages: dict[str, int] = field(default_factory=dict)
    rescored: int | None = None  # --scorer cascade: rows the full model scored
    # the run's own cut per language (`ensemble --per-language-thresholds`); `threshold` then
    # cuts only the languages not among them
    language_cuts: dict[str, float] = field(default_factory=dict)
    # rows without a translated_query that a model trained with translations scored bare
    bare_rows: int = 0
    # those rows per language tag as read (most first), and whether the input had a
    # translated_query column at all (else its rows were left empty: no route, say)
    bare_languages: dict[str, int] = field(default_factory=dict)
    translation_column: bool = False
    # the tags of new_languages the run trained on only as translated rows (augment.translate)
    translated_only: list[str] = field(default_factory=list)
    # of those, the tags of a language only some of an ensemble's members trained on (as
    # translated rows; the others never saw it), with the members that did
    translated_only_members: dict[str, list[str]] = field(default_factory=dict)
    # the reader's counts of rows with an empty query or target, scored as empty texts, and
    # where the first is (data/empty_texts.py says them)
    empty_texts: dict = field(default_factory=dict)
    # rows per language tag as read (most first): predict's note names the tags that are no
    # language code ('xx', training/tag_hints.py), as train's does
    languages: dict[str, int] = field(default_factory=dict)


class Predictor:
    """A run's models and threshold, loaded once, scoring PairFrames.

    An ensemble directory loads its members' Predictors and combines their probabilities.
    `threshold` is the global cut; `row_thresholds` applies per-language cuts when the run
    has them (run.json "language_thresholds").
    """

    def __init__(self, run_dir: str | Path, indexes: list[str | Path] | None = None,
                 recent_texts: int = 0, scorer: str = "full"):
        """`indexes`: target-index folders besides the run's own (`shoprel index --out`);
        `recent_texts`: how many recently embedded texts embedding models keep in memory;
        `scorer`: "student" scores with the student the run carries (its own threshold),
        which also looks targets up in the run's index (`shoprel index` fills it for both)."""
        carrier = Run.open(run_dir)
        self.carrier_path = carrier.path  # the run named (scorer "student" scores another)
        self.run = scoring_run(carrier, scorer)
        self.scorer = scorer
        if self.run is not carrier:
            own = carrier.path / INDEX_FOLDER
            indexes = [*([own] if is_index_folder(own) else []), *(indexes or [])]
        self.threshold = self.run.threshold
        self.task = self.run.task
        self.members: list[Predictor] = []
        folders = index_folders(self.run.path, indexes)
        if self.run.kind == "ensemble":
            self.models = []
            # members look in the ensemble's index too, when it has one
            shared = [f for f in folders if is_index_folder(f)]
            self.members = [Predictor(d, shared, recent_texts) for d in self.run.member_dirs()]
        else:
            # an index no model here can use is refused by check_indexes_used, over every
            # model that scores: an ensemble's member or a cascade's student that embeds
            # nothing refused the folders its partners read (an ensemble's own index too)
            # e.g. a backbone folder gone or changed since training, at its config.yaml line
            with self.run.config_named():
                self.models = self.run.load_models()
                for model in self.models:
                    if hasattr(model, "use_indexes"):
                        model.use_indexes(folders)
                    if hasattr(model, "check_backbones"):  # now, not when it scores
                        model.check_backbones()
                    if recent_texts and hasattr(model, "keep_recent"):
                        model.keep_recent(recent_texts)
        # read once: every scored chunk's tags are mapped onto the tags its models trained on
        # (languages.py), and predict, Scorer and serve count those its cross-validation
        # never scored against the training languages
        self.known_languages = training_languages(self.run)
        self.trained_tags = trained_tags(self.run, self.known_languages)

    def embedding_counts(self) -> dict[str, int]:
        """Distinct texts per source (index, memory, disk, encoded) over the models so far."""
        total: dict[str, int] = {}
        for model in self.models:
            for source, n in getattr(model, "embedding_counts_", {}).items():
                total[source] = total.get(source, 0) + n
        for member in self.members:
            for source, n in member.embedding_counts().items():
                total[source] = total.get(source, 0) + n
        return total

    def probabilities(self, frame: PairFrame) -> np.ndarray:
        return self.probabilities_as_trained(self.as_trained(frame))

    def as_trained(self, frame: PairFrame) -> PairFrame:
        """The frame with its tags as this run scores them: 'fr-fr' as 'fr' (languages.py)."""
        return frame_as_trained(frame, self.trained_tags)

    def probabilities_as_trained(self, trained: PairFrame) -> np.ndarray:
        """probabilities() of a frame as_trained() made: its tags are not mapped again."""
        if self.members:
            from shoprel.ensemble.predict import ensemble_probabilities

            return ensemble_probabilities(self, trained)
        return mean_positive_probability(self.models, trained)

    def training_languages(self) -> set[str] | None:
        """The run's training languages, as read when it was opened (not its metrics again)."""
        return self.known_languages

    def row_thresholds(self, frame: PairFrame) -> np.ndarray:
        """Each row's cut: its language's when the run has per-language cuts, else global."""
        return self.language_thresholds(frame.df["language"])

    def language_thresholds(self, languages) -> np.ndarray:
        """The cut of each of these languages (row_thresholds, for rows of any table)."""
        return self.thresholds_as_trained(as_trained(languages, self.trained_tags))

    def thresholds_as_trained(self, languages) -> np.ndarray:
        """language_thresholds() of tags already as the run scores them (as_trained)."""
        table = self.run.manifest.get("language_thresholds")
        if not table:
            return np.full(len(languages), self.threshold)
        return row_thresholds(languages, table, self.threshold)

    def probabilities_and_cuts(self, frame: PairFrame, trained: PairFrame | None = None
                               ) -> tuple[np.ndarray, np.ndarray]:
        """The probabilities and each row's cut: what reads a row's label, in one call (as
        CascadePredictor's, which works its cuts out once for both), the tags mapped once.
        `trained`: the frame as as_trained() made it, when the caller has it already."""
        trained = self.as_trained(frame) if trained is None else trained
        return (self.probabilities_as_trained(trained),
                self.thresholds_as_trained(trained.df["language"]))

    def submission(self, frame: PairFrame, trained: PairFrame | None = None) -> pd.DataFrame:
        """Rows in input order: id, language (as read), query, target, prediction (0/1),
        probability. `trained`: as in probabilities_and_cuts."""
        return submission_table(frame, self.task, *self.probabilities_and_cuts(frame, trained))


def check_recent_texts(recent_texts: int) -> int:
    """Refuse, before any model loads, more kept texts than fit in a few GB: a server given
    --recent-texts 10**9 grew until the machine ran out of memory."""
    if recent_texts > MAX_RECENT_TEXTS:
        gb = MAX_RECENT_TEXTS * RECENT_TEXT_BYTES_768 / 1e9
        raise ConfigError(f"--recent-texts: at most {MAX_RECENT_TEXTS:,}, got {recent_texts:,} "
                          f"(a kept text holds its vector and key, ~{RECENT_TEXT_BYTES_768:,} "
                          f"bytes at 768 dimensions: {MAX_RECENT_TEXTS:,} take ~{gb:.1f} GB "
                          f"per backbone)")
    return recent_texts


def open_predictor(run_dir: str | Path, indexes: list[str | Path] | None = None,
                   recent_texts: int = 0, scorer: str = "full",
                   cascade_share: float = DEFAULT_SHARE) -> Predictor | CascadePredictor:
    """What scores for `scorer`: the run's models ("full"), its student ("student"), or the
    student with the full model rescoring the queries it is least sure of ("cascade": as many
    as `cascade_share` of the student's own training rows; cascade.py)."""
    check_recent_texts(recent_texts)
    if scorer != "cascade":
        predictor = Predictor(run_dir, indexes, recent_texts, scorer)
        check_indexes_used(indexes, [predictor])
        return predictor
    check_share(cascade_share)
    student = Predictor(run_dir, indexes, recent_texts, "student")
    full = Predictor(run_dir, indexes, recent_texts, "full")
    check_indexes_used(indexes, [student, full])
    return CascadePredictor(student, full, cascade_share)


def load_encoders(predictor: Predictor | CascadePredictor) -> None:
    """Load the encoders of every model that scores (members, a cascade's student and full
    model) now, not at the first text no index or cache holds, and do whatever else its first
    batch would do first (an LLM's adapter merged): serve does so before it says it is ready,
    so its first new query is not the one that waits for them. Each family that has such work
    says it in its own `load_encoders`."""
    for part in _scoring_predictors(predictor):
        with part.run.config_named():  # a backbone that will not load, at its config line
            for model in part.models:
                if hasattr(model, "load_encoders"):
                    model.load_encoders()


def _scoring_predictors(predictor: Predictor | CascadePredictor) -> list[Predictor]:
    """Each Predictor that scores (a cascade's student and full model, an ensemble's members,
    recursively), for what it does to be said of its own run."""
    own = [predictor.student, predictor.full] if hasattr(predictor, "full") else [predictor]
    return [p for part in own
            for p in [part, *(q for m in part.members for q in _scoring_predictors(m))]]


def _scoring_models(predictors: list[Predictor]) -> list:
    models = []
    for predictor in predictors:
        models += predictor.models + _scoring_models(predictor.members)
    return models


def check_indexes_used(indexes: list[str | Path] | None, predictors: list[Predictor]) -> None:
    """Refuse an --index folder none of the scoring models would look anything up in (one
    built for another run's backbone): it would be read for nothing and every target
    embedded, at tens of texts a second, with no word of why."""
    models = [m for m in _scoring_models(predictors) if hasattr(m, "use_indexes")]
    if not indexes:
        return
    if not models:  # an ensemble of members that embed nothing
        raise ConfigError(f"--index: {embeds_nothing(predictors[0].run)}")
    if not all(hasattr(model, "indexed_in") for model in models):
        return  # a model that cannot say may use any of them
    wanted = sorted({name for model in models for name in model.index_names()})
    for folder in indexes:
        if not any(model.indexed_in(folder) for model in models):
            held = ", ".join(index_names_in(Path(folder)))
            backbones = (f"this run's {_index_sources(models, len(wanted) > 1)} "
                         f"({', '.join(wanted)} as the run was trained)")
            command = f"`shoprel index {predictors[0].carrier_path} FILE --out {folder}`"
            writer = live_writer(folder)
            if writer is not None:  # its parts are those of a build still running
                fix = (f"a build of it is running now (pid {writer}): wait for it to finish, "
                       "then score")
            elif any(has_stopped_build(Path(folder) / name) for name in wanted):
                fix = (f"a build of it was stopped before it finished: run {command} again "
                       "with the same FILE to finish it")
            else:
                fix = (f"build one with {command} (another folder, or this one: an index "
                       "holds several)")
            holds = (f"holds embeddings of {held}, none of them of {backbones}" if held
                     else f"holds no finished embeddings of {backbones}")
            raise ConfigError(f"--index {folder}: {holds}; {fix}")


def _index_sources(models: list, plural: bool) -> str:
    """What the indexes these models read hold vectors of, in words: an embedding model's
    backbone, a tuned bi-encoder's own weights (its index is of no other tuned run)."""
    nouns = dict.fromkeys(getattr(model, "index_holds", "backbone") for model in models)
    return " and ".join(f"{noun}{'s' if plural else ''}" for noun in nouns)


def write_submission(tables: Iterable[pa.Table], out_file: Path, progress: bool = True,
                     desc: str = "scoring", overwrite: bool = False) -> tuple[int, int]:
    """Stream scored tables into the file's format; the file appears only when complete.

    Returns (rows, predicted positives). Shared by the local and the Ray engine, so both write
    byte for byte the same output. The lock is held from before the first chunk is scored (a
    one-chunk file is scored whole first: a second predict of the same output ran to its end
    beside the first); a file at `out_file` once the lock is taken, or appearing later, is
    replaced only with `overwrite`, and only if it is a scored file, as one there at the start.
    """
    fmt = output_format(out_file)
    # the lock: of two commands writing one file, the second fails at once (one line)
    with output_lock(out_file):
        if not overwrite and occupied(out_file):
            raise OutputExistsError.at(out_file)  # another writer's, done before this lock
        if overwrite:
            check_scored_replaceable(out_file)
        tables = iter(tables)
        started = time.time()  # tqdm's clock: the first chunk's scoring counts in the bar's time
        first = next(tables, None)  # a bad first chunk fails before any bar or temporary file
        tables = itertools.chain([first] if first is not None else [], tables)
        return _written(tables, out_file, fmt, started, progress, desc, overwrite)


def _written(tables: Iterable[pa.Table], out_file: Path, fmt: str, started: float,
             progress: bool, desc: str, overwrite: bool) -> tuple[int, int]:
    """write_submission's file, from the first chunk on (its lock held)."""
    rows = positives = 0
    with atomic_file(out_file, replace=overwrite, durable=True,
                     guard=check_scored_replaceable) as tmp, \
            progress_bar(desc=desc, unit=" rows", disable=not progress, delay=1) as bar:
        # the bar starts after the first chunk was scored: a one-chunk file of new queries
        # read "296 rows [00:00, 12067 rows/s]" after 27 s of scoring. A delay keeps tqdm from
        # drawing it at 0 rows when made (a stale "scoring: 0 rows [00:00, ? rows/s]" before
        # the real line in a log); none once its clock is set, so it is drawn from the first
        # chunk's rows on
        bar.start_t = bar.last_print_t = started
        bar.delay = 0
        writer = None
        fh = None if fmt == "parquet" else open(tmp, "w", encoding="utf-8", newline="")
        try:
            for table in tables:
                if fh is None:
                    writer = writer or pq.ParquetWriter(tmp, table.schema)
                    writer.write_table(table)
                else:
                    append_table(table.to_pandas(), fh, fmt, header=rows == 0)
                rows += table.num_rows
                positives += int(pa.compute.sum(table["prediction"]).as_py() or 0)
                bar.update(table.num_rows)
        finally:
            if writer is not None:
                writer.close()
            if fh is not None:
                fh.close()
    return rows, positives


@honours_progress
def predict_file(run_dir: str | Path, input_file: str | Path, out_file: str | Path,
                 chunk_rows: int = 20_000, progress: bool = True,
                 indexes: list[str | Path] | None = None, scorer: str = "full",
                 overwrite: bool = False, cascade_share: float = DEFAULT_SHARE
                 ) -> PredictResult:
    """Stream the input through the run's models (or, scorer="student", the student it
    carries; "cascade": the student, the full model rescoring the queries it is least sure of,
    see open_predictor); the output appears only when complete, in the same format either way.

    Every input row gets a prediction (empty texts are kept and scored). The output may not be
    the input file nor lie in a run folder being read, and replaces an existing file only with
    `overwrite` (utils/outputs.py), and only one predict wrote (table.check_scored_replaceable).
    """
    run = Run.open(run_dir)
    check_output_file(out_file, reads=[input_file], runs=run.folders_read(),
                      overwrite=overwrite, guard=check_scored_replaceable)
    check_one_translator(run, scorer, PREDICT_READS)  # before any model loads
    with readable_input(input_file) as source:  # a pipe copied once (data/spool.py)
        check_input(source, run, chunk_rows)
        predictor = open_predictor(run_dir, indexes, scorer=scorer, cascade_share=cascade_share)
        return _scored_file(predictor, source, out_file, chunk_rows, progress, overwrite)


def refuse_run_input(input_file: Path) -> None:
    """A run folder given as the file to score (`predict runs/a runs/a`) is said to be one,
    and what predict reads there (it said "is a folder; give a file")."""
    refuse_run_folder(input_file, "the pairs file to score",
                      "give the pairs file to score as the input, after the run")


def check_input(input_file: Path, run: Run, chunk_rows: int) -> None:
    """Every row of a file to score checked as scoring reads it, before any model loads: an
    empty file, a file of the other task or a bad line was told once the run's models had
    loaded (the default model's encoder: ~30 s), a bad line past the first chunk only after
    the chunks above it were scored. One more read of the file: ~0.4 s for 37,394 QI rows,
    where the fast model took ~3.5 s to score them. A first row whose task field names the
    other task is told as the run's ("run runs/a scores QC pairs; predict it with a QI run"),
    not "the file is QC", which nothing in the file says."""
    refuse_run_input(input_file)
    for _ in iter_pair_chunks(input_file, task=run.task, chunk_rows=chunk_rows,
                              written_ids=True, read_labels=False,
                              given_by=run_task(run.task, shown(run.path))):
        pass


def _scored_file(predictor, input_file: Path, out_file: str | Path, chunk_rows: int,
                 progress: bool, overwrite: bool) -> PredictResult:
    """predict_file's scoring of a readable input file, once its output is checked."""
    chunks = iter_pair_chunks(input_file, task=predictor.task, chunk_rows=chunk_rows,
                              written_ids=True, read_labels=False)
    known, new_languages = predictor.training_languages(), Counter()
    wants_translation, bare = reads_translation(predictor), Counter()  # bare rows per tag
    column = {"seen": False}  # a translated_query column in any chunk
    read = {}  # the last chunk's stats: the reader's counts over the whole file
    tags = Counter()  # rows per tag as read

    def scored(chunk: PairFrame) -> pa.Table:
        read.update(chunk.stats)
        tags.update(chunk.df["language"].tolist())
        trained = predictor.as_trained(chunk)  # the tags mapped once, counted and scored
        new_languages.update(unseen_as_trained(trained.df["language"], known))
        if wants_translation:
            untranslated = bare_query_mask(chunk)
            bare.update(chunk.df["language"][untranslated])
            column["seen"] = column["seen"] or chunk.has_translation
        with warnings.catch_warnings():  # counted above, said once by the caller
            warnings.simplefilter("ignore", UntranslatedInputWarning)
            return pa.Table.from_pandas(predictor.submission(chunk, trained),
                                        preserve_index=False)

    with eager_bars(progress):  # a one-chunk file's bar moves only when it is all scored
        rows, positives = write_submission(map(scored, chunks), Path(out_file), progress,
                                           overwrite=overwrite)

    return PredictResult(out_file, rows, positives, predictor.threshold,
                         dict(new_languages.most_common()),
                         getattr(predictor, "rescored", None),
                         language_cuts(predictor.run.manifest.get("language_thresholds")),
                         bare_rows=bare.total(), bare_languages=dict(bare.most_common()),
                         translation_column=column["seen"],
                         translated_only=translated_only_tags(
                             new_languages, translated_languages(predictor.run)),
                         translated_only_members=translated_only_members(
                             new_languages, translated_by_some(predictor.run)),
                         empty_texts=empty_counts(read), languages=dict(tags.most_common()))


def training_languages(run: Run) -> set[str] | None:
    """The languages of the run's training file (those its cross-validation scored); None
    for a run whose metrics do not list them. Read from the run alone, so the Ray engine's
    driver, which loads no model, warns of new languages as the local engine does. A missing
    or damaged metrics.json is refused in one line naming it (a member's as runs/a/...): read
    as listing none, 'fr-FR' rows were scored unmapped, other probabilities than the run's."""
    per_language = run.metrics().get("per_language")
    return set(per_language) if isinstance(per_language, dict) and per_language else None


def trained_tags(run: Run, known: set[str] | None) -> set[str] | None:
    """The tags the run's models trained on, which a scored row's tag is mapped onto
    (languages.moved_tags): its training languages (`known`, training_languages(run)) and
    the tags of its translated copies; None where the training languages are not known. A
    run trained on 'pt' rows and {pt-BR: es} copies scored 'pt-BR' rows as 'pt', the copies'
    own tag never read."""
    return None if known is None else known | translated_languages(run)


def _translated_rows(run: Run) -> list[tuple[str, dict]]:
    """(name, {language: translated rows}) of each trained run behind the run that records
    them (metrics.json data.translated_rows); none for runs that record none (a damaged
    metrics.json is refused, as training_languages refuses it)."""
    recorded = recorded_field(run.metrics(), "translated_rows")
    return [(name, translated) for name, translated in recorded if isinstance(translated, dict)]


def translated_languages(run: Run) -> set[str]:
    """The languages the run (any trained run behind an ensemble) trained on as translated
    rows (metrics.json data.translated_rows); none for runs that record none."""
    return {str(lang) for _, translated in _translated_rows(run) for lang in translated}


def translated_by_some(run: Run) -> dict[str, list[str]]:
    """{language: the members that trained on it as translated rows} of each language only
    some of an ensemble's trained runs (of those recording it) trained on so: the others never
    saw it at all. {} for a run, or an ensemble whose members were all augmented alike."""
    recorded = _translated_rows(run)
    by_language: dict[str, list[str]] = {}
    for name, translated in recorded:
        for lang in translated:
            by_language.setdefault(str(lang), []).append(name)
    return {lang: names for lang, names in by_language.items() if len(names) < len(recorded)}


def reads_translation(predictor) -> bool:
    """Whether a model that scores (a member's, the student's) reads "{query} - {english}"."""
    return any(getattr(model, "reads_translation", False)
               for model in _scoring_models([predictor]))

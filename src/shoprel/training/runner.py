"""One training run: folds → per-fold fit → out-of-fold scores → threshold → final model(s)."""

from __future__ import annotations

import contextlib
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from shoprel.augment.cache import closing_translator
from shoprel.augment.langid import detect_languages
from shoprel.data.category import top_level
from shoprel.data.frame import PairFrame
from shoprel.data.readers import read_pairs
from shoprel.data.tasks import Task, given_task
from shoprel.errors import ConfigError
from shoprel.evaluate.metrics import best_f1_threshold
from shoprel.evaluate.run_metrics import run_metrics
from shoprel.folds.grouped import assign_folds, fold_groups
from shoprel.folds.small import folds_option, small_folds_note
from shoprel.models.registry import model_class
from shoprel.run.layout import FULL_MODEL, MODELS, fold_model_name
from shoprel.run.manifest import Manifest
from shoprel.run.writer import RunWriter, replaceable_as
from shoprel.training.config import RunConfig
from shoprel.training.config_inputs import check_inputs_outside
from shoprel.training.far_pairs import FarPairCheck
from shoprel.training.ranks import RankGroup, Ranks, current_ranks
from shoprel.training.replacing import replacing_note
from shoprel.training.stage0_files import Stage0Rows, read_stage0_files, recorded_files
from shoprel.training.stage0_rows import check_stage0_rows, query_overlap
from shoprel.utils.atomic import atomic_dir
from shoprel.utils.digest import sha256_of_file
from shoprel.utils.jsonsafe import json_safe
from shoprel.utils.outputs import check_output_dir
from shoprel.utils.progress import ONE_STEP, honours_progress, progress_bar, report_step, steps_on

STAGE0_MODEL = "stage0"  # models/stage0: the cross-task model every other model starts from


@dataclass
class TrainResult:
    run_dir: Path
    metrics: dict


@contextlib.contextmanager
def training_side(config: RunConfig, progress: bool = True, frame: PairFrame | None = None,
                  translator_for: Callable[[RunConfig], object] | None = None):
    """What a fold's training rows become before fitting: themselves, with flagged noisy rows
    dropped or down-weighted (config.noise; `frame`, all rows, checks its ids), with translations
    and easy negatives (config.augment).

    A context manager: it yields that function, and on leaving closes the translator it opened
    for augment.translate (the SQLite connection of augment.cache), as `shoprel translate`
    does, instead of leaving it open until garbage collection; a cache file it created is
    taken away again when the run fails having stored nothing in it (a refused pair).
    `translator_for`: where the translator comes from instead (training_sides: one shared by
    several models, closed by whoever made it).
    """
    from shoprel.training.noise_filter import noise_side

    with contextlib.ExitStack() as opened:
        side = noise_side(config, frame)
        augment = config.augment
        if augment.translate:
            from shoprel.augment.augment import augment_translations

            check_one_pair_per_language(augment)  # before a backend is made
            translator = (translator_for(config) if translator_for is not None else
                          opened.enter_context(closing_translator(
                              lambda: side_translator(config, progress), augment.cache)))
            if frame is not None:  # all rows known: each pair must add some
                check_translation_pairs(frame, augment.asked_pairs, translator, augment.backend)
                if progress:  # a note, after the checks: --quiet and progress=False say none
                    from shoprel.augment.same_copies import same_copies_notes

                    for note in same_copies_notes(augment.asked_pairs, translator,
                                                  augment.backend):
                        tqdm.write(note, file=sys.stderr)
            side = _chained(side, lambda rows: augment_translations(
                rows, augment.asked_pairs, translator, tags=augment.copy_tags))
        if augment.easy_negatives > 0:
            from shoprel.augment.easy_negatives import add_easy_negatives

            side = _chained(side, lambda rows: add_easy_negatives(
                rows, augment.easy_negatives, augment.easy_negative_weight, config.folds.seed))
        yield side


@contextlib.contextmanager
def training_sides(configs: list[RunConfig], progress: bool = True,
                   frame: PairFrame | None = None):
    """training_side for several models at once (a teacher ensemble's members, refitted
    together): models whose augment.translate reads one backend (backend, table, model,
    cache) share one translator, so the backend hears each distinct query once for all of
    them, not once per model; each translator is closed once every side is done."""
    from shoprel.augment.backends import translator_key

    with contextlib.ExitStack() as opened:
        translators = {}

        def translator_for(config: RunConfig):
            augment = config.augment
            key = translator_key(augment.backend, augment.table, augment.model, augment.cache)
            if key not in translators:
                translators[key] = opened.enter_context(closing_translator(
                    lambda: side_translator(config, progress), augment.cache))
            return translators[key]

        yield [opened.enter_context(training_side(config, progress, frame, translator_for))
               for config in configs]


@contextlib.contextmanager
def one_fit_bar(desc: str, progress: bool):
    """A bar of one step for one long fit (the final fit, stage 0), naming the step the fit is
    at as the folds' bar names a fold's (steps_on), counted done when the block ends."""
    with progress_bar(total=1, desc=desc, disable=not progress, bar_format=ONE_STEP) as bar:
        with steps_on(bar, first="fitting"):
            yield
        bar.update()


def side_translator(config: RunConfig, progress: bool = True):
    """augment.translate's backend (behind augment.cache), for one run; close() it when done."""
    from shoprel.augment.asked_once import AskedOnce
    from shoprel.augment.backends import make_translator
    from shoprel.augment.table import TABLE_ADVICE, TABLE_FILE
    from shoprel.data.records import require_config_file

    augment = config.augment
    # named by its key, as noise.flagged is: "t.csv: file not found" named no config line
    if augment.table is not None:
        require_config_file("augment.table", Path(augment.table), TABLE_FILE, TABLE_ADVICE)
    # None: a bar for a long stage only, not one per fold for a few dozen rows. AskedOnce:
    # each row trains k-1 folds and the full fit, and a QC file repeats each query over
    # categories, yet the backend hears each distinct query once (a missing route too,
    # which a cache never stores)
    return AskedOnce(make_translator(augment.backend, cache=augment.cache,
                                     table=augment.table, model=augment.model,
                                     progress=None if progress else False))


def check_augment_cache(config: RunConfig, train_file: str | Path, out_dir: Path) -> None:
    """augment.cache is checked as `translate --cache` is, before anything is written, and an
    existing one must be a translation cache shoprel wrote (check_cache_file): refused now,
    not where the folds' translator opens it (after stage 0, or distill --nested's refits)."""
    augment = config.augment
    if not augment.translate or augment.cache is None:
        return
    from shoprel.augment.cache import check_cache_file
    from shoprel.augment.translate_file import check_cache_path

    check_cache_path(augment.cache, {"the training file": train_file,
                                     "the translation table": augment.table},
                     "augment.cache", out_dir=out_dir)
    check_cache_file(augment.cache)


ROUTE_CHECK_QUERIES = 5  # distinct queries of a source language a route is tried on, at most


def check_translation_pairs(frame, pairs: dict[str, str], translator, backend: str) -> None:
    """Each augment.translate pair must add rows: the file holds rows of its source language
    (with a non-empty query) and the backend translates one of them, else a ConfigError
    before any fit, not a run trained without the copies it was asked for.

    A route is tried on up to ROUTE_CHECK_QUERIES distinct non-empty queries, one at a time,
    stopping at the first translated: a table lacking only the first query is no missing
    route, and a model backend is not asked the whole file (the translator of a run answers
    a query asked again from memory, so the folds reuse these asks).
    """
    from shoprel.augment.translator import target_tag
    from shoprel.data.language_tags import base_language

    languages = frame.df["language"].map(base_language)
    for new_lang, source in pairs.items():
        queries = frame.df.loc[languages == base_language(source), "query"].astype(str)
        queries = [query for query in queries.unique() if query.strip()]  # nothing to translate
        if not queries:
            raise ConfigError(f"augment.translate.{new_lang}: the training file has no rows in "
                              f"{source!r} to translate")
        tried = queries[:ROUTE_CHECK_QUERIES]
        # asked as augment_translations asks ('pt-br' with its region), so the folds reuse it
        if not any(_translates(translator, query, base_language(source),
                               target_tag(new_lang)) for query in tried):
            raise ConfigError(f"augment.translate.{new_lang}: the {backend} backend has no "
                              f"route {source} -> {new_lang}")


def check_one_pair_per_language(augment) -> None:
    """Two augment.translate keys whose copies carry one tag would train each source row
    twice as that language: a ConfigError before any fit. 'pt' and 'PT' are one tag; so are
    'pt' and 'pt-BR' where augment.regional_pairs is false, which asks and tags pt-BR as pt.
    Otherwise 'pt' and 'pt-BR' make two sets of copies (es-pt's and es-pt_BR's where Apertium
    has it), each under its own tag, as a file's pt and pt-BR rows are two tags. Checked when
    training, not when a config is read, so a run trained with both before still opens
    (predict, serve, distill)."""
    from shoprel.data.language_tags import base_language, canonical_tag

    made: dict[str, str] = {}
    for new in augment.translate:
        tag = canonical_tag(new) if augment.regional_pairs else base_language(new)
        if (first := made.setdefault(tag, new)) == new:
            continue
        if canonical_tag(first) == canonical_tag(new):
            raise ConfigError(f"augment.translate.{new}: {first} and {new} are one tag ({tag}), "
                              f"so each source row would train twice as {tag}; keep one of them")
        raise ConfigError(f"augment.translate.{new}: {first} and {new} both make {tag} copies "
                          f"under augment.regional_pairs: false (a region is asked and tagged as "
                          f"its base language), so each source row would train twice as {tag}; "
                          "keep one of them, or set augment.regional_pairs: true for copies of "
                          "each")


def _translates(translator, query: str, source: str, target: str) -> bool:
    """Whether the translator gives `query` a translation augment_translations would keep."""
    from shoprel.augment.augment import kept_translation

    return kept_translation(translator.translate([query], [source], target)[0])


def _nothing() -> None:
    pass


def _chained(first, then):
    return lambda rows: then(first(rows))


def new_model(config: RunConfig, start_from: Path | None = None, params: dict | None = None):
    """An unfitted model of the run's family, starting from the stage-0 model when there is one."""
    model = model_class(config.model.family)(**(config.model.params if params is None
                                                 else params))
    if start_from is not None:
        model.start_from(start_from)
    return model


def read_stage0(config: RunConfig) -> Stage0Rows | None:
    """The rows of config.stage0.data's file or files and the SHA-256 of each (None without a
    stage 0): stage0_files.py."""
    stage0 = config.stage0
    if stage0.data is None:
        return None
    return read_stage0_files(stage0.files, stage0.task, config.data.empty_text)


def fit_stage0(config: RunConfig, models_dir: Path, progress: bool = True,
               rows: Stage0Rows | None = None) -> tuple[Path | None, dict | None]:
    """Fit the stage-0 model on config.stage0.data (another task's labelled file or files)
    and save it; `rows`: its rows and digests already read (read_stage0)."""
    stage0 = config.stage0
    if stage0.data is None:
        return None, None
    started = time.perf_counter()
    rows = rows or read_stage0(config)
    frame = rows.frame
    if progress:
        tqdm.write(f"stage 0: fitting {config.model.family} on {len(frame)} "
                   f"{frame.task.value} rows of {', '.join(rows.files)}",
                   file=sys.stderr)  # with the bars
    # a bar of its own, naming the fit's steps as the final fit's does (the same family)
    with one_fit_bar(f"stage 0 fit ({len(frame):,} rows)", progress):
        model = new_model(config, params=config.stage0_params()).fit(frame)
    folder = model.save(models_dir / STAGE0_MODEL)
    info = {**recorded_files(rows), "task": frame.task.value,
            "seconds": round(time.perf_counter() - started, 2), "params": stage0.params,
            "model": f"{MODELS}/{STAGE0_MODEL}"}
    # the folds start from this model, so only its fit can tell of a broken backbone
    if missing := (getattr(model, "train_stats_", None) or {}).get("missing_encoder_weights"):
        info["missing_encoder_weights"] = missing
    return folder, info


def cross_validate(frame: PairFrame, config: RunConfig, folds: np.ndarray,
                   models_dir: Path | None = None, progress: bool = True,
                   prepare=None, start_from: Path | None = None,
                   fit_stats: list | None = None, on_fold=None) -> np.ndarray:
    """Out-of-fold positive probabilities; each fold's model is saved when models_dir is given.

    `prepare` turns a fold's training rows into what the model fits on (augmentation); the
    validation rows are always the original ones. `start_from`: a stage-0 model folder.
    `fit_stats`: a list that receives each fold model's record of its training (fine-tuned
    families keep one: steps, held-out scores), an empty dict for the others.
    `on_fold(fold, model)`: called with each fold's fitted model (the far-pairs check).
    """
    with contextlib.ExitStack() as opened:
        if prepare is None:  # one of its own, closed once the folds are done
            prepare = opened.enter_context(training_side(config, progress, frame))
        oof = np.full(len(frame), np.nan)
        k = int(folds.max()) + 1
        bar = progress_bar(range(k), desc=f"{frame.task.value} folds", disable=not progress)
        for fold in bar:
            # a fold's steps (minutes each), the fold numbered as folds.parquet and models/
            with steps_on(bar, f"fold {fold}: ", first="fitting"):
                train, valid = np.where(folds != fold)[0], np.where(folds == fold)[0]
                model = new_model(config, start_from).fit(prepare(frame.take(train)))
                report_step("scoring held-out rows")
                oof[valid] = model.predict_proba(frame.take(valid))[:, 1]
                if on_fold is not None:
                    on_fold(fold, model)
                if fit_stats is not None:
                    fit_stats.append(training_record(model, f"fold {fold}"))
                if models_dir is not None and config.final.keep_fold_models:
                    report_step("saving")
                    if config.final.refit_full and hasattr(model, "saves_target_index"):
                        model.saves_target_index = False  # the final model's index has them
                    model.save(models_dir / fold_model_name(fold))
    return oof


def lend_final_files(model, models_dir: Path, k: int) -> None:
    """The fold models read what their copies of the final model's files held from those files
    (the embed family's target rank from its index, 5 x 1.56 MB of a default run on 2,001 QI
    rows: indexed_ranks.py; and the neighbour votes' query vectors, 5 x 1.34 MB:
    shared_queries.py). `model`: the final model, just saved, of a family that lends both."""
    for fold in range(k):
        full, own = models_dir / FULL_MODEL, models_dir / fold_model_name(fold)
        model.lend_index(full, own)
        model.lend_queries(full, own)


def training_record(model, fit: str) -> dict:
    """What a fitted model recorded about its training (`train_stats_`), JSON-safe, under the
    name of the fit it came from; {"fit": fit} alone for models that keep none."""
    stats = getattr(model, "train_stats_", None) or {}
    return json_safe({**stats, "fit": fit})


def choose_threshold(labels: np.ndarray, oof: np.ndarray, config: RunConfig) -> float:
    if config.threshold.mode == "fixed":
        return config.threshold.value
    return best_f1_threshold(labels, oof)[0]


def oof_table(frame: PairFrame, folds: np.ndarray, oof: np.ndarray) -> pd.DataFrame:
    # query and target text ride along so reports can show the most confident errors
    table = pd.DataFrame({"id": frame.df["id"], "fold": folds, "probability": oof,
                          "label": frame.df["label"], "language": frame.df["language"],
                          "query": frame.df["query"], "target": frame.df["target"]})
    if frame.task is Task.QC:
        table["top_category"] = frame.df["target"].map(top_level)
    # the given tag often names the market, not the query's language: reports show both
    table["detected_language"] = [code for code, _ in detect_languages(
        frame.df["query"].astype(str).tolist())]
    return table


@contextlib.contextmanager
def run_folder(out_dir: Path, overwrite: bool, ranks: Ranks, group: RankGroup | None,
               reads=(), inside: str | Path | None = None,
               written_for: str | Path | None = None,
               say: Callable[[str], None] | None = None):
    """Rank 0 writes the run atomically; other ranks write into a throwaway temporary folder.

    Every rank checks the output (utils/outputs.py; `reads`: the input files) before any
    trains, so all fail alike; `say` then hears which run --overwrite replaces (rank 0).
    """
    guard = replaceable_as("run")
    check_output_dir(out_dir, overwrite, reads, inside=inside, guard=guard)
    if overwrite and say is not None and ranks.is_main and \
            (replacing := replacing_note(out_dir)) is not None:
        say(replacing)
    if group is not None:
        group.barrier()
    if ranks.is_main:
        with atomic_dir(out_dir, overwrite=overwrite, guard=guard,
                        written_for=written_for, durable=True) as tmp:
            yield tmp
    else:
        with tempfile.TemporaryDirectory(prefix=f"shoprel-rank{ranks.rank}-") as tmp:
            yield Path(tmp)


@honours_progress
def train(train_file: str | Path, out_dir: str | Path, config: RunConfig | None = None,
          overwrite: bool = False, progress: bool = True, name: str | None = None,
          frame: PairFrame | None = None, folds: np.ndarray | None = None,
          extra_metrics=None, fit_rows=None, curve_fractions=None,
          inside: str | Path | None = None,
          written_for: str | Path | None = None,
          before_fits: Callable[[], None] | None = None,
          set_folds: Callable[[int], str] = folds_option,
          say: Callable[[str], None] | None = None) -> TrainResult:
    """Train with cross-validation and write a complete run directory (or nothing).

    Under torchrun / accelerate launch every rank runs the same fits (Trainer-based families
    split each batch across ranks and sync gradients; the others repeat the work), only rank 0
    writes `out_dir`, and every rank returns rank 0's result once the run directory is in place.
    `frame`: the rows of train_file already read (and given soft labels, as distill does);
    `folds`: a fold per row instead of new ones; `extra_metrics(metrics) -> dict`: more blocks
    for metrics.json; `fit_rows(rows) -> rows`: applied to each fit's training rows first;
    `curve_fractions`: also fit each fold on these shares of its rows (training/curve.py);
    `inside`: the run out_dir may lie in (a carried student's); `written_for`: the folder
    whose writer lists the run once it is in place (its stamp says so, so that a stop before
    then leaves it recognisable: utils/output_stamp.is_written_for); `before_fits()`: called on
    rank 0 once the checks have passed, as the fits start, and again before the final fit
    (`shoprel train` says there whether the machine is busy, while a setting can still save the
    time); `set_folds(k)`: how the user sets k folds, for the note on folds too small to
    measure (folds/small.py). With config.student, the finished run then distils the student
    it carries (training/student.py); `say` hears the notes said before the work (the run
    --overwrite replaces: replacing.py) and before the student's (a student of the run's own
    model: student.carry_student), as distill's `say` (the CLI prints them).
    """
    config = config or RunConfig()
    if config.student is not None:  # before any file is read or written
        from shoprel.training.student import check_student_differs

        check_student_differs(config)
    # a file or folder the config names, read from inside out_dir, would go with the run it
    # replaces: refused before any file is read or written
    check_inputs_outside(config, out_dir)
    ranks = current_ranks()
    group = RankGroup(ranks) if ranks.distributed else None
    progress = progress and ranks.is_main
    if before_fits is None or not ranks.is_main:
        before_fits = _nothing
    read_here = frame is None  # a caller giving the rows (distill) has said what they hold
    if read_here:
        task = config.data.task
        frame = read_pairs(train_file, task=task, require_label=True,
                           empty_text=config.data.empty_text,
                           given_by=None if task is None else given_task(
                               Task.parse(task), config_key=True))
    out_dir = Path(out_dir)
    check_augment_cache(config, train_file, out_dir)
    stage0_rows = read_stage0(config)
    stage0_queries = {}
    if stage0_rows is not None:  # before any fit, and before the run folder
        for stage0_file, stage0_frame in zip(stage0_rows.files, stage0_rows.frames, strict=True):
            check_stage0_rows(stage0_file, stage0_frame, train_file, frame)
        stage0_queries = query_overlap(stage0_rows.frame, frame)  # noted, not refused
    # `opened`: the training side's translator, closed once the run is written or has failed
    with run_folder(out_dir, overwrite, ranks, group, reads=[train_file], inside=inside,
                    written_for=written_for, say=say) as tmp, contextlib.ExitStack() as opened:
        models_dir = tmp / MODELS
        # the checks first, then the fits: a refused share or translation pair fits nothing,
        # stage 0 included
        if folds is None:
            folds = assign_folds(frame, config.folds.k, config.folds.seed,
                                 config.folds.qc_group_levels)
        if curve_fractions:  # a share too small or too large fails now, not after the CV
            from shoprel.training.curve import check_fold_shares

            check_fold_shares(frame.labels, folds, curve_fractions, config.folds.seed)
        prepare = opened.enter_context(training_side(config, progress, frame))
        if fit_rows is not None:
            prepare = _chained(fit_rows, prepare)
        if progress and read_here:  # a note, after the checks: --quiet and progress=False
            from shoprel.training.tag_hints import training_tag_hints, unknown_tags_note

            for hint in training_tag_hints(frame.df["language"], train_file):  # 'kr': Korean?
                tqdm.write(hint, file=sys.stderr)
            tags = frame.df["language"].value_counts().to_dict()  # rows per tag
            if unknown := unknown_tags_note(tags, train_file):  # 'xx'
                tqdm.write(unknown, file=sys.stderr)
            # a fold of a few rows, or of one label, measures noise: said before the fits
            if small := small_folds_note(frame.labels, folds, set_folds):
                tqdm.write(small, file=sys.stderr)
        before_fits()
        stage0_dir, stage0_info = fit_stage0(config, models_dir, progress, stage0_rows)
        if group is not None and stage0_dir is not None:
            # only rank 0's save writes weights (transformers saves on rank 0 alone): every rank
            # starts from rank 0's copy, so the run folder's parent must be shared across nodes
            stage0_dir = Path(group.broadcast(str(stage0_dir)))
        started = time.perf_counter()
        fits: list[dict] = []
        far = (FarPairCheck(frame, folds, config.check.far_pairs, config.folds.seed)
               if config.check.far_pairs else None)
        oof = cross_validate(frame, config, folds, models_dir, progress, prepare, stage0_dir,
                             fits, None if far is None else far.score)
        cv_seconds = time.perf_counter() - started
        threshold = choose_threshold(frame.labels, oof, config)
        curve = None
        curve_seconds = None
        if curve_fractions:
            from shoprel.training.curve import learning_curve, write_curve

            curve_started = time.perf_counter()
            curve = learning_curve(frame, folds, oof, lambda: new_model(config, stage0_dir),
                                   prepare, curve_fractions, config.folds.seed, progress)
            write_curve(tmp, curve)
            curve_seconds = time.perf_counter() - curve_started

        started = time.perf_counter()
        final_rows = prepare(frame)
        if config.final.refit_full:
            before_fits()
            # a bar of one step: after the folds' bar, the final fit (on all rows, so often
            # the longest single fit) was minutes without a word of what ran
            with one_fit_bar(f"{frame.task.value} final fit ({len(final_rows):,} rows)",
                             progress):
                model = new_model(config, stage0_dir).fit(final_rows)
            model.save(models_dir / FULL_MODEL)
            if config.final.keep_fold_models and hasattr(model, "lend_index"):
                lend_final_files(model, models_dir, int(folds.max()) + 1)
            fits.append(training_record(model, "final"))
        final_seconds = time.perf_counter() - started
        predict_models = ([FULL_MODEL] if config.final.refit_full
                          else [fold_model_name(f) for f in range(config.folds.k)])

        table = oof_table(frame, folds, oof)
        writer = RunWriter(tmp)
        writer.oof(table)
        writer.folds(pd.DataFrame({"id": frame.df["id"], "fold": folds,
                                   "group": fold_groups(frame, config.folds.qc_group_levels)}))
        writer.config(config.to_yaml())

        metrics = run_metrics(table, threshold, frame.task, config.threshold.mode)
        metrics.update({
            "run_name": name or out_dir.name,
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "model": {"family": config.model.family, "params": config.model.params},
            "timing": {"cv_seconds": round(cv_seconds, 2), "final_fit_seconds":
                       round(final_seconds, 2), "rows_per_second_cv":
                       round(len(frame) * config.folds.k / max(cv_seconds, 1e-9), 1)},
            # the digest tells the file again where it has moved (run/train_file.py: --train)
            "data": {"train_file": str(Path(train_file).resolve()),
                     "train_sha256": sha256_of_file(train_file), **frame.stats,
                     "augmented_rows": int(final_rows.stats.get("augmented", 0)),
                     # per language: one only translations brought has no out-of-fold rows
                     "translated_rows": dict(final_rows.stats.get("translated", {}))},
        })
        if stage0_info is not None:
            metrics["stage0"] = {**stage0_info, **stage0_queries}
        if any(len(f) > 1 for f in fits):
            metrics["fine_tuning"] = fits
        if curve is not None:
            metrics["learning_curve"] = curve
            metrics["timing"]["curve_seconds"] = round(curve_seconds, 2)
        far_summary = None if far is None else far.summary(threshold, table)
        if far_summary is not None:
            metrics["far_pairs"] = far_summary
        if config.noise.active:
            from shoprel.training.noise_filter import noise_summary

            metrics["noise"] = noise_summary(config.noise, frame,
                                             metrics["data"]["train_sha256"])
        if extra_metrics is not None:
            metrics.update(extra_metrics(metrics))
        if ranks.distributed:
            metrics["distributed"] = {"world_size": ranks.world_size}
        writer.metrics(metrics)
        writer.report(metrics, table)
        # the manifest goes last: a folder without it is not a finished run
        writer.manifest(Manifest.new(
            kind="run", name=metrics["run_name"], task=frame.task.value,
            created=metrics["created"], threshold=threshold, model_family=config.model.family,
            predict_models=predict_models, n_rows=len(frame)))
    if group is not None:
        # the others wait here until rank 0 has moved the run into place, then return its result
        metrics = group.broadcast(metrics)
    if config.student is not None and ranks.is_main:
        # after the run is in place: whatever happens to the student, the run stays whole
        from shoprel.training.student import carry_student

        metrics["student"] = carry_student(out_dir, config, progress, metrics["run_name"],
                                           say=say)
    return TrainResult(out_dir, metrics)

"""Score a file on a Ray cluster (or a local Ray instance), same output as `predict_file`.

The driver reads and validates the input with our own reader, so a bad file fails with the
same file/line/field InputError as the local engine before Ray is involved. The canonical
rows go to Ray Data as pandas blocks; an actor pool (one `Predictor` per actor, loaded once)
scores them in order; the driver streams the scored batches into the output file through
`atomic_file`. Ray is an optional dependency: it is imported only when this engine runs.

On a remote cluster the run directory must be readable at the same path on every node and
shoprel must be installed there; the input is held in driver memory (the output streams).
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import signal
import socket
import sys
import threading
import warnings
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pyarrow as pa

from shoprel import errors
from shoprel.data.empty_texts import empty_counts
from shoprel.data.frame import PairFrame
from shoprel.data.readers import iter_pair_chunks
from shoprel.data.spool import readable_input
from shoprel.data.tasks import Task, run_task
from shoprel.ensemble.cuts import language_cuts
from shoprel.errors import ConfigError, EngineError, ShoprelError, one_line_reason
from shoprel.models.base import UntranslatedInputWarning, bare_query_mask
from shoprel.predict.index import index_folders
from shoprel.predict.languages import (
    moved_tags,
    translated_only_members,
    translated_only_tags,
    unseen_as_trained,
)
from shoprel.predict.predictor import (
    PREDICT_READS,
    Predictor,
    PredictResult,
    check_indexes_used,
    predict_file,
    refuse_run_input,
    trained_tags,
    training_languages,
    translated_by_some,
    translated_languages,
    write_submission,
)
from shoprel.predict.table import check_scored_replaceable
from shoprel.predict.translators import check_one_translator
from shoprel.run.folder import Run
from shoprel.run.layout import shown
from shoprel.run.students import scoring_run
from shoprel.utils.bounds import out_of_range
from shoprel.utils.native_stderr import stderr_silenced
from shoprel.utils.outputs import check_output_file

TRAINED_LANGUAGE = "language_as_trained"  # a block's tags as the run scores them
BACKEND_LOG_LEVEL = "RAY_BACKEND_LOG_LEVEL"  # Ray's C++ core reads it as it starts
# the driver's core worker reads it as ray.init starts it: off, a task Ray retries (an actor of
# the pool dying in its constructor) is not printed, traceback and all, on the driver's stdout
RETRY_ERRORS = "RAY_enable_output_error_log_if_still_retry"
# set to 1, the processes of a Ray instance keep their output unredirected: started by ray.init,
# they write on the command's stdout ("Running on http://...", ":job_id:01000000"), under
# --quiet too, and leave no logs where the error line names them
LOG_TO_STDERR = "RAY_LOG_TO_STDERR"
# what ray.init raises when a local instance cannot start (Ray's own errors are told by module)
START_ERRORS = (ValueError, ConnectionError, RuntimeError, TimeoutError, OSError)


def blocks_as_trained(blocks: list[pd.DataFrame], known: set[str] | None,
                      trained: set[str] | None) -> tuple[list[pd.DataFrame], Counter]:
    """The blocks with their tags mapped once, by the driver, onto the tags the run trained on
    (`trained`, predictor.trained_tags: 'pt_br' as 'pt', languages.py), and the rows per tag
    its training languages (`known`) lack (unseen_as_trained): the actors
    score the mapped tags without mapping them again. They travel as a column of their own
    (the tags as read stay for the output), added to every block when some tag moves and to
    none otherwise: shipping a column of tags through Ray costs about what mapping them does,
    so input the run reads as it is carries nothing more."""
    moved = {}
    for block in blocks:
        moved.update(moved_tags(block["language"], trained))
    if moved:
        blocks = [block.assign(**{TRAINED_LANGUAGE: block["language"].replace(moved)})
                  for block in blocks]
    new_languages = Counter()
    for block in blocks:
        new_languages.update(unseen_as_trained(block.get(TRAINED_LANGUAGE, block["language"]),
                                               known))
    return blocks, new_languages


class ScoreBatches:
    """Ray actor: loads the run once, then turns canonical row batches into submission rows
    (their tags as blocks_as_trained mapped them: the actor maps none)."""

    def __init__(self, run_dir: str, task: str, indexes: list[str] | None = None,
                 scorer: str = "full"):
        self.predictor = Predictor(run_dir, indexes, scorer=scorer)
        check_indexes_used(indexes, [self.predictor])
        self.task = Task(task)

    def __call__(self, batch: pa.Table) -> pa.Table:
        # Arrow in and out, converted with pyarrow's defaults, so the models see the same
        # numpy/object columns as in the local engine and Parquet gets the same schema.
        df = batch.to_pandas()
        frame = trained = PairFrame(self.task, df.drop(columns=TRAINED_LANGUAGE, errors="ignore"))
        if TRAINED_LANGUAGE in df:
            trained = PairFrame(self.task, frame.df.assign(language=df[TRAINED_LANGUAGE]))
        with warnings.catch_warnings():  # the driver counts such rows and says it once
            warnings.simplefilter("ignore", UntranslatedInputWarning)
            return pa.Table.from_pandas(self.predictor.submission(frame, trained),
                                        preserve_index=False)


def _import_ray():
    try:
        import ray
    except ImportError:
        raise ConfigError("the Ray engine needs Ray: pip install 'ray[data]'") from None
    return ray


@contextlib.contextmanager
def ray_session(address: str | None = None, num_cpus: int | None = None) -> Iterator[str]:
    """Use the Ray instance already running, or start one; shut down only what we started.
    Yields where its logs are, as an error line says it (ray_logs, session_logs).

    address=None starts a local instance limited to this machine's CPUs; an address
    ("auto", "ray://host:10001", ...) connects to a cluster.
    """
    ray = _import_ray()
    if ray.is_initialized():
        yield ray_logs(address)
        return
    # Ray's warnings are its own (a token-authentication notice on every start): its errors
    # are still said, and what fails is raised
    common = {"include_dashboard": False, "logging_level": logging.ERROR,
              "log_to_driver": False, "configure_logging": True}
    with sigterm_kept(), backend_log_level(), env_default(RETRY_ERRORS, "0"), \
            env_removed(LOG_TO_STDERR):
        if address is None:
            try:
                started = ray.init(num_cpus=num_cpus or os.cpu_count() or 1, **common)
            except Exception as exc:
                if not (isinstance(exc, START_ERRORS) or raised_by_ray(exc)):
                    raise
                raise EngineError(f"Ray could not start a local instance "
                                  f"({one_line_reason(exc)}); {ray_logs(None)}") from exc
        else:
            check_reachable(address)
            try:
                started = ray.init(address=address, **common)
            except (ValueError, ConnectionError, RuntimeError, TimeoutError) as exc:
                raise ConfigError(f"--address {address}: cannot join a Ray cluster there "
                                  f"({one_line_reason(exc)})") from None
    try:
        yield session_logs(started, address)
    finally:
        ray.shutdown()


@contextlib.contextmanager
def backend_log_level() -> Iterator[None]:
    """Ray's C++ core at its FATAL level while ray.init starts it, unless the user set
    RAY_BACKEND_LOG_LEVEL: at ERROR it writes a line to the process's stderr itself on every
    run, past Python's logging, about actors that might restart (ray-project/ray#53727). The
    processes of a local instance inherit the level. Ray says on stderr which level it read:
    fd 2 points at nothing during the start (an error there is raised, and said after)."""
    if BACKEND_LOG_LEVEL in os.environ:
        yield
        return
    with env_default(BACKEND_LOG_LEVEL, "fatal"), stderr_silenced():
        yield


@contextlib.contextmanager
def env_default(name: str, value: str) -> Iterator[None]:
    """os.environ[name] = value for the block, unless the user set it: their value stands."""
    if name in os.environ:
        yield
        return
    os.environ[name] = value
    try:
        yield
    finally:
        os.environ.pop(name, None)


@contextlib.contextmanager
def env_removed(name: str) -> Iterator[None]:
    """os.environ without `name` for the block; the user's value is given back after it."""
    saved = os.environ.pop(name, None)
    try:
        yield
    finally:
        if saved is not None:
            os.environ[name] = saved


@contextlib.contextmanager
def ray_data_console_off() -> Iterator[None]:
    """Ray Data's log lines kept off the console for the block, still written to its log file
    (ray-data.log under the Ray session's logs/): an actor that fails made it log ERROR lines
    and the whole traceback on stderr, before shoprel's own one-line error said the same."""
    consoles = [handler for handler in logging.getLogger("ray.data").handlers
                if isinstance(handler, logging.StreamHandler)
                and not isinstance(handler, logging.FileHandler)]
    for handler in consoles:
        handler.addFilter(_no_record)
    try:
        yield
    finally:
        for handler in consoles:
            handler.removeFilter(_no_record)


def _no_record(record: logging.LogRecord) -> bool:
    return False


@contextlib.contextmanager
def sigterm_kept() -> Iterator[None]:
    """The SIGTERM handler as it was before the block: ray.init installs its own, which exits
    with status 15, so a command stopped by SIGTERM said nothing of its files and did not
    exit 143 as every other command does (utils/signals.py)."""
    main = threading.current_thread() is threading.main_thread()
    previous = signal.getsignal(signal.SIGTERM) if main else None
    try:
        yield
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def check_reachable(address: str, timeout_s: float = 5.0) -> None:
    """Refuse, within seconds, a host:port (or ray://host:port) where nothing listens: Ray
    itself retries such an address for minutes. "auto" and other forms go to Ray as given."""
    hostport = address.removeprefix("ray://")
    host, _, port = hostport.rpartition(":")
    if not host or not port.isdigit():
        return
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout_s).close()
    except OSError as exc:
        raise ConfigError(f"--address {address}: nothing answers at {hostport} "
                          f"({exc.strerror or type(exc).__name__}); start the cluster or "
                          "check the address") from None


def raised_by_ray(error: BaseException) -> bool:
    """An exception of Ray's own (an actor that died, a full object store, Ray Data's
    wrappers): said in one line; any other is a bug, left to its traceback."""
    return type(error).__module__.split(".")[0] == "ray"


def ray_logs(address: str | None) -> str:
    """Where Ray keeps its latest session's logs, for the one line of a failure that has no
    shoprel cause where no session says it (session_logs): Ray's temporary folder, RAY_TMPDIR,
    else TMPDIR on Linux alone (macOS sets one per user, which Ray passes over), else /tmp."""
    linux_temp = os.environ.get("TMPDIR") if sys.platform.startswith("linux") else None
    temp = os.environ.get("RAY_TMPDIR") or linux_temp or "/tmp"
    logs = os.path.join(temp, "ray", "session_latest", "logs")
    return f"Ray's logs: {logs}/" + ("" if address is None else " on the cluster's head node")


def session_logs(context, address: str | None) -> str:
    """Where the logs of the session ray.init started or joined are (its context's
    session_dir): session_latest, which ray_logs names, is the session last started under that
    temporary folder, another command's where two run at once, and on a cluster started with
    `ray start --temp-dir` is under that folder, not ours. ray_logs' guess where the context
    names none (a ray:// client)."""
    session = (getattr(context, "address_info", None) or {}).get("session_dir")
    if not isinstance(session, str) or not session:
        return ray_logs(address)
    logs = os.path.join(session, "logs")
    return f"Ray's logs: {logs}/" + ("" if address is None else " on the cluster's head node")


_RAISED = re.compile(r"shoprel\.errors\.(\w+): ([^\n]+)\s*$")


def shoprel_cause(error: BaseException) -> ShoprelError | None:
    """The shoprel error an actor raised, out of the exceptions Ray wraps it in (an actor that
    died in its constructor carries it only as the text of its traceback)."""
    seen = 0
    while error is not None and seen < 20:
        if isinstance(error, ShoprelError):
            return error
        found = _RAISED.search(str(error))
        kind = getattr(errors, found[1], None) if found else None
        if isinstance(kind, type) and issubclass(kind, ShoprelError):
            return kind(found[2].strip())
        error = getattr(error, "cause", None) or error.__cause__ or error.__context__
        seen += 1
    return None


def _read_canonical(input_file: Path, run: Run, batch_rows: int
                    ) -> tuple[list[pd.DataFrame], dict]:
    """Validated canonical rows as blocks of at most batch_rows, and the reader's counts of
    empty texts (empty_counts); raises InputError as usual, a first row of the other task as
    the run's (predictor.check_input). A pipe is copied once (spool.py)."""
    refuse_run_input(input_file)
    with readable_input(input_file) as source:
        chunks = list(iter_pair_chunks(source, task=run.task, chunk_rows=batch_rows,
                                       written_ids=True, read_labels=False,
                                       given_by=run_task(run.task, shown(run.path))))
    return [chunk.df for chunk in chunks], empty_counts(chunks[-1].stats)


def _scored_batches(blocks: list[pd.DataFrame], run_dir: Path, task: Task, num_actors: int | None,
                    batch_rows: int, indexes: list[str] | None = None,
                    scorer: str = "full") -> Iterator[pa.Table]:
    import ray

    # The context is the driver's global: set what we need, give the caller theirs back.
    context = ray.data.DataContext.get_current()
    saved = (context.execution_options.preserve_order, context.enable_progress_bars,
             context.print_on_execution_start)
    context.execution_options.preserve_order = True  # output rows in input order
    context.enable_progress_bars = context.print_on_execution_start = False  # our tqdm bar
    logging.getLogger("ray.data").setLevel(logging.ERROR)
    actors = num_actors or max(1, int(ray.cluster_resources().get("CPU", 1)))
    # no more actors than blocks: one with none would only load the run, and Ray warns of it
    actors = min(actors, max(1, len(blocks)))
    try:
        dataset = ray.data.from_pandas(blocks).map_batches(
            ScoreBatches, fn_constructor_args=(str(run_dir), task.value, indexes, scorer),
            batch_format="pyarrow", batch_size=batch_rows,
            compute=ray.data.ActorPoolStrategy(size=actors), num_cpus=1)
        with ray_data_console_off():
            yield from dataset.iter_batches(batch_format="pyarrow", batch_size=None)
    finally:
        (context.execution_options.preserve_order, context.enable_progress_bars,
         context.print_on_execution_start) = saved


def predict_file_ray(run_dir: str | Path, input_file: str | Path, out_file: str | Path,
                     address: str | None = None, num_actors: int | None = None,
                     batch_rows: int = 5_000, progress: bool = True,
                     indexes: list[str | Path] | None = None,
                     scorer: str = "full", overwrite: bool = False) -> PredictResult:
    """`predict_file` with scoring spread over a pool of Ray actors; same output bytes."""
    if scorer == "cascade":
        raise ConfigError("--scorer cascade: runs with --engine local only (each Ray actor "
                          "scores with one model)")
    problem = None if num_actors is None else out_of_range(num_actors, ge=1)
    if problem:
        raise ConfigError(f"--num-actors: {problem}")
    _import_ray()  # Ray missing is said before the whole input is read and held in memory
    run_dir = Path(run_dir).resolve()
    run = Run.open(run_dir)  # a bad run dir (or a student it lacks) fails here, before Ray
    scoring = scoring_run(run, scorer)
    check_one_translator(run, scorer, PREDICT_READS)
    if scoring.kind != "ensemble":
        scoring.model_folders()  # a run missing a model fails here, not in every actor
    out_file = check_output_file(out_file, reads=[input_file], runs=run.folders_read(),
                                 overwrite=overwrite, guard=check_scored_replaceable)
    given_indexes = indexes
    indexes = [str(folder.resolve()) for folder in index_folders(run_dir, indexes)[1:]]
    blocks, empty_texts = _read_canonical(Path(input_file), run, batch_rows)
    if not any(len(block) for block in blocks):
        # Ray Data yields no batch for an empty block: the output was 0 bytes (no CSV header,
        # no Parquet schema); the local engine writes the empty submission, no Ray to start
        return predict_file(run_dir, input_file, out_file, progress=progress,
                            indexes=given_indexes, scorer=scorer, overwrite=overwrite)
    bare, column = Counter(), False  # bare rows per tag, a translated_query column anywhere
    tags = Counter()  # rows per tag as read
    for block in blocks:
        tags.update(block["language"].tolist())
    if scoring.reads_translation():
        for block in blocks:
            frame = PairFrame(run.task, block)
            bare.update(block["language"][bare_query_mask(frame)])
            column = column or frame.has_translation
    # rows in languages the run never saw: warned of, as by the local engine ('fr-fr' of a
    # run trained on 'fr' is no new one)
    known = training_languages(scoring)
    blocks, new_languages = blocks_as_trained(blocks, known, trained_tags(scoring, known))
    # --quiet: nothing on stderr at all (Ray's fatal lines included)
    with stderr_silenced(not progress), ray_session(address) as logs:
        batches = _scored_batches(blocks, run_dir, run.task, num_actors, batch_rows, indexes,
                                  scorer)
        try:
            rows, positives = write_submission(batches, out_file, progress,
                                               desc="scoring (ray)", overwrite=overwrite)
        except Exception as exc:  # an actor's failure arrives wrapped in Ray's exceptions
            cause = shoprel_cause(exc)
            if cause is not None:
                raise cause from None
            if not raised_by_ray(exc):
                raise
            raise EngineError(f"Ray failed while scoring ({one_line_reason(exc)}); "
                              f"{logs}") from exc

    return PredictResult(out_file, rows, positives, scoring.threshold,
                         new_languages=dict(new_languages.most_common()),
                         language_cuts=language_cuts(scoring.manifest.get("language_thresholds")),
                         bare_rows=bare.total(), bare_languages=dict(bare.most_common()),
                         translation_column=column, translated_only=translated_only_tags(
                             new_languages, translated_languages(scoring)),
                         translated_only_members=translated_only_members(
                             new_languages, translated_by_some(scoring)),
                         empty_texts=empty_texts, languages=dict(tags.most_common()))

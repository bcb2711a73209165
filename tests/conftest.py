"""Shared fixtures: small real files (the shipped demo set, the shared real QC sample), and a
private shoprel cache for the whole session (the user's own one is only ever read)."""

from __future__ import annotations

import os

# LightGBM's and torch's OpenMP threads (libgomp) spin ~300,000 rounds waiting for work: where
# other processes hold the cores, the spinning thread starves the one it waits for. A 400-tree
# fit of 288 rows on 2 threads took 34-87 s at load ~10 on 2 cores, 4.4-6.1 s with 3,000
# rounds, and 0.78 s either way on a quiet machine (passive waits: 3.1-4.2 s loaded but 1.27 s
# quiet). Scores do not depend on it. Set before anything loads libgomp; CLI processes the
# tests start inherit it.
os.environ.setdefault("GOMP_SPINCOUNT", "3000")

import contextlib
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from shoprel.demo import demo_file
from shoprel.models.backbones.cache import CACHE_ENV, CHECKSUMS_FILE, LAST_USED, cache_root

REPO = Path(__file__).resolve().parents[1]
REAL_QC = REPO.parent / "shared" / "data" / "qc_real" / "train_QC.txt"
REAL_QI = REPO.parent / "shared" / "data" / "qi_homedepot" / "train_QI.txt"


# the user's cache ($SHOPREL_CACHE, else ~/.cache/shoprel), as it was before the session's
# private one replaced it: tests may read the backbones built there, never write in it
USER_CACHE = cache_root()


@pytest.fixture(scope="session", autouse=True)
def private_cache(tmp_path_factory):
    """Every test and session fixture writes its checksums, embeddings, exports and built
    backbones into this folder: tests that named no cache wrote the user's checksums.json (and
    embeddings of tiny test backbones) in ~/.cache/shoprel."""
    folder = tmp_path_factory.mktemp("shoprel-cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(CACHE_ENV, str(folder))
        yield folder


LINKED_FROM = 1 << 20  # bytes: linked_view links files this big (weights), copies the others


def linked_view(source: Path, view: Path, kinds=("backbones", "onnx"),
                copied: tuple[str, ...] = ()) -> Path:
    """`view` as a cache showing `source`'s `kinds` folders file by file: weights through links,
    which builds and exports only ever replace whole, the small files (records, use stamps that
    loading touches) as copies, use stamps left out; with `source`'s checksums known for the
    links, and copies of its files matching the `copied` patterns (embeddings a test adds to):
    a test reads what is built there, hashes nothing again, and writes only in `view`."""
    for kind in kinds:
        for path in sorted((source / kind).rglob("*")) if (source / kind).is_dir() else []:
            target = view / path.relative_to(source)
            if path.is_dir():
                target.mkdir(parents=True, exist_ok=True)
            elif path.name != LAST_USED:
                target.parent.mkdir(parents=True, exist_ok=True)
                if path.stat().st_size >= LINKED_FROM:
                    target.symlink_to(path)
                else:
                    shutil.copyfile(path, target)
    for pattern in copied:
        for path in sorted(source.glob(pattern)):
            (view / path.relative_to(source)).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, view / path.relative_to(source))
    try:
        memo = json.loads((source / CHECKSUMS_FILE).read_text())
    except (OSError, ValueError):
        memo = {}
    source_prefix = f"{source.absolute()}/"
    linked = {str(view.absolute() / name.removeprefix(source_prefix)): entry
              for name, entry in (memo.items() if isinstance(memo, dict) else ())
              if name.startswith(source_prefix) and (view / name.removeprefix(source_prefix))
              .is_symlink()}
    view.mkdir(parents=True, exist_ok=True)
    (view / CHECKSUMS_FILE).write_text(json.dumps(linked))
    return view


@pytest.fixture(scope="session")
def user_builds_view(tmp_path_factory) -> Path:
    """A view (linked_view) of the backbones and exports built in the user's cache, with a copy
    of its EmbeddingGemma embeddings (the default model's; USE's are gigabytes)."""
    return linked_view(USER_CACHE, tmp_path_factory.mktemp("user-cache-view"),
                       copied=("embeddings/embeddinggemma-300m-*.sqlite",))


@pytest.fixture
def user_built_backbones(user_builds_view, monkeypatch) -> Path:
    """The cache for tests of the default model and of the backbones built in the user's cache
    (EmbeddingGemma): they read those and write their checksums, stamps, embeddings and any
    export or build they lack in the view, never in the user's cache."""
    monkeypatch.setenv(CACHE_ENV, str(user_builds_view))
    return user_builds_view


def unrendered_report(run_dir, metrics, oof) -> str:
    """What report.html holds where no_report_charts is on."""
    return "<!doctype html><title>report not rendered: the test does not read it</title>\n"


UNRENDERED = unrendered_report(None, None, None)


@contextlib.contextmanager
def reports_deferred():
    """Runs trained inside write unrendered_report's line as report.html: a shared run's charts
    cost seconds that most of its readers never read; run_report renders them when one does."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("shoprel.evaluate.report.document.run_report_html", unrendered_report)
        yield


# `python -m shoprel` in a process of its own whose runs write UNRENDERED as report.html, for
# subprocess tests that never read it (monkeypatch cannot reach another process); run_report
# renders it where one does
UNRENDERED_SHOPREL = [sys.executable, "-c", (
    "import shoprel.evaluate.report.document as document\n"
    f"document.run_report_html = lambda run_dir, metrics, oof: {UNRENDERED!r}\n"
    "from shoprel.cli import main\n"
    "main(prog_name='shoprel')\n")]


def run_report(run_dir: Path) -> str:
    """The run's report.html, rendered first where training deferred it (reports_deferred), as
    `shoprel report` renders it: from the run's files, the page training would have written."""
    from shoprel.evaluate.report import write_run_report

    path = Path(run_dir) / "report.html"
    if path.read_text(encoding="utf-8") == UNRENDERED:
        write_run_report(run_dir)
    return path.read_text(encoding="utf-8")


@pytest.fixture
def no_report_charts(request, monkeypatch):
    """Runs write a one-line report.html: its charts are seconds per training (and per carried
    student) that a test which never reads the report spends for nothing. A test marked
    reads_report, in a module that uses this for all, renders the report."""
    if request.node.get_closest_marker("reads_report") is None:
        monkeypatch.setattr("shoprel.evaluate.report.document.run_report_html",
                            unrendered_report)


def dead_pid() -> int:
    """The pid of a process that has exited: what a killed writer's leftovers carry."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def killed_writers_temporaries(*files: Path, folders: tuple[Path, ...] = ()) -> list[Path]:
    """What a writer of `files` and `folders` killed mid-write leaves beside each: utils.atomic's
    temporaries (atomic_file's, atomic_dir's), named with the writer's pid and host, in that
    order. A child process starts every write and exits without cleaning up, as SIGKILL would."""
    code = ("import json, os, sys\n"
            "from contextlib import ExitStack\n"
            "from shoprel.utils.atomic import atomic_dir, atomic_file\n"
            "files, folders = json.loads(sys.argv[1])\n"
            "writes = ExitStack()\n"
            "left = [writes.enter_context(atomic_file(f)) for f in files]\n"
            "left += [writes.enter_context(atomic_dir(f, overwrite=True)) for f in folders]\n"
            "print(json.dumps([str(path) for path in left]), flush=True)\n"
            "os._exit(0)\n")
    targets = json.dumps([[str(f) for f in files], [str(f) for f in folders]])
    out = subprocess.run([sys.executable, "-c", code, targets], capture_output=True, text=True,
                         check=True)
    return [Path(path) for path in json.loads(out.stdout)]


# a line a logged bar writes: 'QC folds: 1/5 [00:01<00:04, fold 1: fitting]', 'scoring: 72 rows
# [00:00]', 'QC final fit (288 rows): 0% [00:00]' (utils/progress: COMPACT, TERSE, COUNTED...)
BAR_LINE = re.compile(r".+: [^\[]* \[(\d+:)?\d\d:\d\d(<[^\],]*)?(, .*)?\]")


def without_bars(stderr: str) -> str:
    """A command's stderr less the lines its progress bars wrote (with stderr no terminal each
    state of a bar is a whole line: BAR_LINE): the lines the command itself wrote there."""
    return "\n".join(line for line in stderr.split("\n") if not BAR_LINE.fullmatch(line))


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                    encoding="utf-8")
    return path


@pytest.fixture
def jsonl():
    """Write rows to a JSON-lines file: jsonl(path, rows) -> path."""
    return write_jsonl


@pytest.fixture
def qc_rows() -> list[dict]:
    return [
        {"id": 1, "task": "QC", "language": "es", "origin_query": "funda iphone",
         "category_path": "phones & telecommunications,mobile phone accessories,cases", "label": 1},
        {"id": 2, "task": "QC", "language": "en", "origin_query": "car wash sponge",
         "category_path": "automobiles, parts & accessories,car wash & maintenance,"
                          "sponges, cloths & brushes", "label": 1},
        {"id": 3, "task": "QC", "language": "ja", "origin_query": "ドラクエ バッグ",
         "category_path": "home & garden,kitchen,drinkware", "label": 0},
    ]


@pytest.fixture
def qc_demo() -> Path:
    return demo_file("QC")


@pytest.fixture
def qi_demo() -> Path:
    return demo_file("QI")


@pytest.fixture
def real_qc() -> Path:
    if not REAL_QC.is_file():
        pytest.skip(f"real QC sample not found at {REAL_QC} (it lives in ../shared, not in git)")
    return REAL_QC


@pytest.fixture
def real_qi() -> Path:
    if not REAL_QI.is_file():
        pytest.skip(f"real QI sample not found at {REAL_QI} (it lives in ../shared, not in git)")
    return REAL_QI


FAST_TEST_PARAMS = {"model.family": "fast",
                    "model.params.n_features": 2**16, "model.params.n_estimators": 60,
                    "folds.k": 3}


@pytest.fixture
def fast_fits(monkeypatch) -> list:
    """The rows each fit of the fast family is given, in order (fold models, then the full)."""
    from shoprel.models.registry import model_class

    fitted = []
    fast = model_class("fast")
    original_fit = fast.fit

    def recording_fit(self, training):
        fitted.append(training.df.copy())
        return original_fit(self, training)

    monkeypatch.setattr(fast, "fit", recording_fit)
    return fitted


@pytest.fixture
def table_sends(monkeypatch) -> list[str]:
    """Every text the table translation backend is asked to translate, in order (a counting
    backend: what a real one would have been sent)."""
    from shoprel.augment.table import TableTranslator

    sent: list[str] = []
    table_translate = TableTranslator.translate

    def counting(self, texts, source_langs, target):
        sent.extend(texts)
        return table_translate(self, texts, source_langs, target)

    monkeypatch.setattr(TableTranslator, "translate", counting)
    return sent


@pytest.fixture
def translation_caches(monkeypatch) -> list:
    """Every CachedTranslator (augment.cache) built during the test, in order, so that the test
    can ask whether whoever opened it closed it (still_open)."""
    from shoprel.augment.cache import CachedTranslator

    made = []
    original_init = CachedTranslator.__init__

    def recording_init(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        made.append(self)

    monkeypatch.setattr(CachedTranslator, "__init__", recording_init)
    return made


@pytest.fixture
def bar_updates(monkeypatch):
    """(description, step, total) of each update of a bar that is drawn, in order."""
    from tqdm import std

    updates = []
    update = std.tqdm.update

    def recording(self, n=1):
        if not self.disable:
            updates.append((self.desc, n, self.total))
        return update(self, n)

    monkeypatch.setattr(std.tqdm, "update", recording)
    return updates


def still_open(cache) -> bool:
    """Whether a CachedTranslator's SQLite connection is open: a closed one refuses a lookup."""
    import sqlite3

    try:
        cache.translate(["una consulta nueva"], ["es"], "pt")
    except sqlite3.ProgrammingError:
        return False
    return True


@pytest.fixture(scope="session")
def trained_runs(tmp_path_factory) -> dict[str, Path]:
    """One small QC run and one QI run on the demo set, shared by the tests that only read them."""
    from shoprel.training.config_reading import load_config
    from shoprel.training.runner import train

    root = tmp_path_factory.mktemp("runs")
    qc = train(demo_file("QC"), root / "QC", load_config(None, FAST_TEST_PARAMS),
               progress=False).run_dir  # its report as training rendered it: test_api reads it
    with reports_deferred():  # run_report renders it where a test reads it
        qi = train(demo_file("QI"), root / "QI", load_config(None, FAST_TEST_PARAMS),
                   progress=False).run_dir
    return {"QC": qc, "QI": qi}


# a fast student (it reads soft targets like the default USE one, in a fraction of the time)
FAST_STUDENT = {"model": {"family": "fast", "params": {"n_features": 2**16, "n_estimators": 30,
                                                       "n_jobs": 1, "stack": False}}}


@pytest.fixture(scope="session")
def student_run(tmp_path_factory) -> Path:
    """A small QC run of the fast family that carries a (fast) distilled student."""
    from shoprel.training.config_reading import load_config
    from shoprel.training.runner import train

    root = tmp_path_factory.mktemp("student-run")
    config = load_config(None, {**FAST_TEST_PARAMS, "student": FAST_STUDENT})
    with reports_deferred():  # run_report renders one where a test reads it
        return train(demo_file("QC"), root / "run", config, progress=False).run_dir


def _tiny_backbone(folder, texts, seed=0):
    """A randomly initialised 2-layer BERT with a character WordPiece vocabulary for `texts`."""
    import torch
    from transformers import BertConfig, BertModel, BertTokenizerFast

    chars = sorted({c for t in texts for c in t if not c.isspace()})
    pieces = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *chars, *(f"##{c}" for c in chars)]
    tokenizer = BertTokenizerFast(vocab={p: i for i, p in enumerate(pieces)},
                                  do_lower_case=False, strip_accents=False)
    torch.manual_seed(seed)
    config = BertConfig(vocab_size=len(pieces), hidden_size=16, num_hidden_layers=2,
                        num_attention_heads=2, intermediate_size=32)
    BertModel(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


@pytest.fixture(scope="session")
def tiny_backbone():
    """Build a tiny local encoder folder: tiny_backbone(folder, texts, seed=0) -> folder."""
    return _tiny_backbone


def _train_embed_run(root: Path, task: str, extra_texts: list[str], overrides: dict) -> Path:
    """A small run of the embedding family on the task's demo set, on a tiny random local
    backbone that knows the demo texts and `extra_texts`, with its own embedding cache."""
    from shoprel.data.readers import read_pairs
    from shoprel.models.backbones.cache import CACHE_ENV
    from shoprel.training.config_reading import load_config
    from shoprel.training.runner import train

    frame = read_pairs(demo_file(task))
    backbone = _tiny_backbone(root / "bert", [*frame.df["query"], *frame.df["target"],
                                              *extra_texts])
    config = load_config(None, {"model.family": "embed", "model.params.backbone": str(backbone),
                                "model.params.n_jobs": 1, **overrides})
    with pytest.MonkeyPatch.context() as mp, reports_deferred():  # run_report renders it
        mp.setenv(CACHE_ENV, str(root / "train-cache"))
        return train(demo_file(task), root / "run", config, progress=False).run_dir


@pytest.fixture(scope="session")
def train_embed_run():
    """train_embed_run(root, task, extra_texts, overrides) -> run folder (see _train_embed_run)."""
    return _train_embed_run


@pytest.fixture(scope="session")
def embed_run(tmp_path_factory) -> Path:
    """A small QC run of the embedding family on a tiny random local backbone (its own cache)."""
    pytest.importorskip("torch")
    return _train_embed_run(tmp_path_factory.mktemp("embed-run"), "QC", ["new , level"],
                           {"folds.k": 3, "model.params.n_features": 2**16,
                            "model.params.n_estimators": 40})


@pytest.fixture(scope="session")
def biencoder_run(tmp_path_factory) -> Path:
    """A small QC run of the bi-encoder family on a tiny random local BERT (its own cache),
    shared by the tests that only read it (a test that changes it works on a copy)."""
    pytest.importorskip("torch")
    from shoprel.data.readers import read_pairs
    from shoprel.training.config_reading import load_config
    from shoprel.training.runner import train

    root = tmp_path_factory.mktemp("biencoder-run")
    frame = read_pairs(demo_file("QC"))
    backbone = _tiny_backbone(root / "bert", [*frame.df["query"], *frame.df["target"],
                                              "new , level"])
    params = {"backbone": str(backbone), "cache_dir": str(root / "cache"), "max_steps": 4,
              "eval_steps": 2, "tuned_layers": 1, "max_length": 48, "n_threads": 1}
    config = load_config(None, {"folds.k": 2, "model.family": "biencoder", "student": None,
                                **{f"model.params.{k}": v for k, v in params.items()}})
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(CACHE_ENV, str(root / "cache"))
        return train(demo_file("QC"), root / "run", config, progress=False).run_dir


@pytest.fixture(scope="module")
def one_torch_thread():
    """Model tests run torch on one thread: CI machines have two cores, shared."""
    torch = pytest.importorskip("torch")
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


# Two small QC runs on the same rows and folds, read by the ensemble tests and `shoprel ensemble`.
SMALL = {"folds.k": 3, "model.family": "fast",
         "model.params.n_features": 65536, "model.params.n_estimators": 60,
         "model.params.n_jobs": 1}


def _train(data: Path, out: Path, **overrides) -> Path:
    from shoprel.training.config_reading import load_config
    from shoprel.training.runner import train

    train(data, out, load_config(None, {**SMALL, **overrides}), progress=False)
    return out


@pytest.fixture(scope="session")
def qc_runs(tmp_path_factory) -> tuple[Path, Path]:
    """Two QC demo runs on the same rows and folds, with different model params."""
    root = tmp_path_factory.mktemp("qc_runs")
    data = demo_file("QC")
    with reports_deferred():  # run_report renders one where a test reads it
        return (_train(data, root / "a"),
                _train(data, root / "b", **{"model.params.stack": False}))


@pytest.fixture(scope="session")
def augmented_runs(tmp_path_factory) -> tuple[Path, Path]:
    """Two fast runs on the QC demo rows and folds: "plain", and "tr" that also trained on
    Thai copies of the Spanish queries (augment.translate {th: es}; the file has no Thai row,
    so th is a language tr saw only through 45 translated rows). No report.html."""
    from shoprel.data.readers import read_pairs
    from shoprel.run.writer import RunWriter
    from shoprel.training.config_reading import load_config
    from shoprel.training.runner import train

    root = tmp_path_factory.mktemp("augmented_runs")
    data = demo_file("QC")
    spanish = read_pairs(data).df.query("language == 'es'")["query"].unique()
    table = write_jsonl(root / "translations.jsonl", [
        {"text": q, "source": "es", "target": "th", "translation": f"th {q}"} for q in spanish])
    fast = {"model.family": "fast", "folds.k": 2, "model.params.n_features": 2**14,
            "model.params.n_estimators": 20, "model.params.n_jobs": 1,
            "final.keep_fold_models": False}
    translate = {"augment.translate": {"th": "es"}, "augment.backend": "table",
                 "augment.table": str(table)}
    with pytest.MonkeyPatch.context() as patch:  # seconds of charts each, read by no test
        patch.setattr(RunWriter, "report", lambda self, metrics, table: None)
        return tuple(train(data, root / name, load_config(None, {**fast, **more}),
                           progress=False).run_dir
                     for name, more in (("plain", {}), ("tr", translate)))


TRANSLATED_ROWS = 90


@pytest.fixture(scope="session")
def translated_run(tmp_path_factory) -> tuple[Path, Path]:
    """(a run trained on translated queries, the same rows without translations)."""
    from shoprel.augment.table import TableTranslator
    from shoprel.augment.translate_file import translate_file_with
    from shoprel.training.config_reading import load_config
    from shoprel.training.runner import train

    root = tmp_path_factory.mktemp("translated-run")
    rows = [json.loads(x) for x in demo_file("QC").read_text(encoding="utf-8").splitlines()]
    bare = write_jsonl(root / "bare.jsonl", rows[:TRANSLATED_ROWS])
    write_jsonl(root / "t.jsonl", [{"text": r["origin_query"], "source": r["language"],
                                    "target": "en", "translation": f"en {r['origin_query']}"}
                                   for r in rows if r["language"] != "en"])
    translated = root / "translated.jsonl"
    translate_file_with(bare, translated, TableTranslator(root / "t.jsonl"))
    config = load_config(None, {"model.family": "fast", "model.params.n_features": 2**14,
                                "model.params.n_estimators": 20, "model.params.n_jobs": 1,
                                "folds.k": 2, "final.keep_fold_models": False})
    with reports_deferred():  # run_report renders it where a test reads it
        return train(translated, root / "run", config, progress=False).run_dir, bare


def fake_run(source: Path, out: Path, probabilities=None, **manifest_changes) -> Path:
    """A copy of a run whose OOF probabilities (and manifest fields) are replaced."""
    shutil.copytree(source, out)
    if probabilities is not None:
        oof = pd.read_parquet(out / "oof.parquet")
        oof["probability"] = np.asarray(probabilities, dtype=np.float64)
        oof.to_parquet(out / "oof.parquet", index=False)
    if manifest_changes:
        manifest = json.loads((out / "run.json").read_text())
        manifest.update(manifest_changes)
        (out / "run.json").write_text(json.dumps(manifest))
    return out


@pytest.fixture
def make_fake_run():
    return fake_run


class FsyncSpy:
    """Records os.fsync and the renames (by inode), to tell whether an output reached the disk
    before it was renamed into place, and its folder after: else a power cut can leave it
    empty, or a folder half there, where the command had said it was written."""

    def __init__(self, monkeypatch):
        self.events: list[tuple] = []
        real_fsync = os.fsync

        def fsync(fd):
            self.events.append(("fsync", os.fstat(fd).st_ino))
            real_fsync(fd)

        def renaming(real):
            def rename(src, dst, *args, **kwargs):
                self.events.append(("rename", os.lstat(src).st_ino, os.path.abspath(dst)))
                real(src, dst, *args, **kwargs)
            return rename

        monkeypatch.setattr(os, "fsync", fsync)
        monkeypatch.setattr(os, "replace", renaming(os.replace))
        monkeypatch.setattr(os, "rename", renaming(os.rename))

    def unsynced(self, output: Path) -> list[str]:
        """What of `output` (a file; a folder and everything below it) was not fsynced before
        its last rename into place, and its parent folder if not fsynced after: [] if durable."""
        output = Path(output).absolute()
        at = max((i for i, event in enumerate(self.events)
                  if event[0] == "rename" and event[2] == str(output)), default=None)
        if at is None:
            return [f"{output}: never renamed into place"]
        before = {event[1] for event in self.events[:at] if event[0] == "fsync"}
        after = {event[1] for event in self.events[at + 1:] if event[0] == "fsync"}
        paths = [output, *sorted(output.rglob("*"))] if output.is_dir() else [output]
        missing = [f"{path}: not fsynced before the rename" for path in paths
                   if not path.is_symlink() and path.stat().st_ino not in before]
        if output.parent.stat().st_ino not in after:
            missing.append(f"{output.parent}: not fsynced after the rename into it")
        return missing


@pytest.fixture
def fsync_spy(monkeypatch) -> FsyncSpy:
    return FsyncSpy(monkeypatch)


def hashed_files(monkeypatch) -> list[Path]:
    """From this call on, every file the checksum memo reads whole to hash it (backbones/cache's
    file_sha256, through the sha256_of_file it imports): a read the memo did not spare, as
    1.2 GB of EmbeddingGemma weights would be. The list fills as they are read."""
    from shoprel.models.backbones import cache

    reads = []
    real = cache.sha256_of_file

    def counted(path, *args, **kwargs):
        reads.append(Path(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(cache, "sha256_of_file", counted)
    return reads


@pytest.fixture(scope="session")
def browser(tmp_path_factory):
    """One headless chromium for every browser test (starting one takes 2-3 s); each module
    that asks for it calls tests/chromium.skip_without_chromium() first."""
    from tests.chromium import headless_chromium

    driver = headless_chromium(tmp_path_factory.mktemp("chromium"))
    yield driver
    driver.quit()


# a script's lines that make an index build write parts of 16 texts with a stand-in encoder (no
# torch to import: seconds) that waits at its third batch, once two parts are written, saying
# "waiting" on stdout: where a test stops a build, `shoprel index` or shoprel.index_targets
WAITING_INDEX_ENCODER = """
import time
import numpy as np
from shoprel.models.backbones import target_index
from shoprel.models.embed import model as embed_model
target_index.PART_TEXTS = 16
class Waiting:
    batches = 0
    def encode(self, texts, kind="query"):
        Waiting.batches += 1
        if Waiting.batches == 3:
            print("waiting", flush=True)
            time.sleep(120)
        return np.full((len(texts), 16), 0.25, dtype=np.float32)
embed_model.make_encoder = lambda *args, **kwargs: Waiting()
"""

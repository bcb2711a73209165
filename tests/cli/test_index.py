"""`shoprel index` and `predict --index` from the command line."""

import json
import os
import signal
import subprocess
import sys
import textwrap

import pytest
from click.testing import CliRunner
from tests.conftest import WAITING_INDEX_ENCODER

pytest.importorskip("torch")

from shoprel.cli.app import main  # noqa: E402
from shoprel.models.backbones.cache import CACHE_ENV  # noqa: E402

# no test here reads a report: its charts are seconds a run
pytestmark = pytest.mark.usefixtures("no_report_charts")


def _catalogue(path, n=30):
    path.write_text("".join(f"home,kitchen,item {i}\n" for i in range(n)), encoding="utf-8")
    return path


def test_index_then_predict_with_index(tmp_path, embed_run, monkeypatch):
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
    catalogue = _catalogue(tmp_path / "catalogue.txt")
    out = tmp_path / "ix"
    runner = CliRunner()
    result = runner.invoke(main, ["index", str(embed_run), str(catalogue), "--out", str(out),
                                  "--quiet"])
    assert result.exit_code == 0, result.output
    assert "30 targets read" in result.output and str(out) in result.output
    assert len(result.output.splitlines()) == 1 and result.stderr == ""  # --quiet: no bar
    pairs = tmp_path / "pairs.jsonl"
    pairs.write_text("".join(json.dumps({"id": i, "origin_query": f"pan {i}",
                                         "category_path": f"home,kitchen,item {i}"}) + "\n"
                             for i in range(5)))
    result = runner.invoke(main, ["predict", str(embed_run), str(pairs), "--out",
                                  str(tmp_path / "pred.jsonl"), "--index", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    assert len((tmp_path / "pred.jsonl").read_text().splitlines()) == 5


def test_a_logged_index_writes_plain_lines(tmp_path, embed_run, monkeypatch):
    """With stderr a log, index's log held the encoder's bar nested under its own with the
    terminal's cursor moves (\\x1b[A) and transformers' 'Loading weights: 100%|█████' bar:
    its own bars now draw plain lines and the libraries' are off."""
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
    monkeypatch.delenv("HF_HUB_DISABLE_PROGRESS_BARS", raising=False)
    result = CliRunner().invoke(main, ["index", str(embed_run),
                                       str(_catalogue(tmp_path / "c.txt")),
                                       "--out", str(tmp_path / "ix")])
    assert result.exit_code == 0, result.output
    log = result.stderr
    assert "indexing: 30/30 [" in log and "embedding passages: " in log
    assert "\x1b" not in log and "Loading weights" not in log and "|" not in log, repr(log)


def test_index_misuse_is_one_line(tmp_path, embed_run):
    folder = tmp_path / "not-an-index"
    folder.mkdir()
    (folder / "keep.txt").write_text("x")
    result = CliRunner().invoke(main, ["index", str(embed_run), str(_catalogue(tmp_path / "c.txt")),
                                       "--out", str(folder), "--quiet"])
    assert result.exit_code == 2
    assert "not an index folder" in result.output and "Traceback" not in result.output
    assert (folder / "keep.txt").read_text() == "x"
    result = CliRunner().invoke(main, ["index", str(embed_run), str(tmp_path / "missing.txt")])
    assert result.exit_code == 2 and "missing.txt" in result.output
    queries = tmp_path / "queries.txt"  # a spreadsheet's query column, not its targets
    queries.write_text("origin_query\nfrying pan\nmug\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["index", str(embed_run), str(queries), "--out",
                                       str(tmp_path / "ix"), "--quiet"])
    assert result.exit_code == 2 and not (tmp_path / "ix").exists()
    assert result.output.splitlines() == [
        f"error: {queries}, line 1: names the column 'origin_query', not a target: give the "
        "category_path column, one a line (to index 'origin_query' as a target, put the header "
        "line category_path above it)"]


def test_one_target_is_counted_in_the_singular(tmp_path, embed_run, monkeypatch):
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
    result = CliRunner().invoke(main, ["index", str(embed_run),
                                       str(_catalogue(tmp_path / "one.txt", n=1)),
                                       "--out", str(tmp_path / "ix"), "--quiet"])
    assert result.exit_code == 0, result.output
    assert "1 target read; " in result.output and "1 targets" not in result.output


def test_index_says_what_its_texts_are_for_qc(tmp_path, embed_run, monkeypatch):
    """The line read "30 targets read, 62 texts added": for QC the other texts are the paths'
    level names, which it did not say."""
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
    out = tmp_path / "ix"
    result = CliRunner().invoke(main, ["index", str(embed_run),
                                       str(_catalogue(tmp_path / "c.txt")), "--out", str(out),
                                       "--quiet"])
    assert result.exit_code == 0, result.output
    [line] = result.output.splitlines()
    # 30 paths, 30 last levels of their own, "home" and "kitchen" once each
    assert line.startswith("30 targets read; 62 new texts added to the index (targets and "
                           "their category paths' level names) in ")
    again = CliRunner().invoke(main, ["index", str(embed_run), str(tmp_path / "c.txt"),
                                      "--out", str(out), "--quiet"])
    assert again.output.startswith("30 targets read; 0 new texts added to the index (targets "
                                   "and their category paths' level names)")


@pytest.fixture(scope="module")
def qi_embed_run(tmp_path_factory, train_embed_run):
    """A small QI run of the embedding family on a tiny random local backbone."""
    return train_embed_run(tmp_path_factory.mktemp("qi-embed-run"), "QI", ["titles"],
                           {"folds.k": 2, "check.far_pairs": 0, "model.params.n_features": 2**12,
                            "model.params.n_estimators": 10})


def test_index_says_what_its_texts_are_for_qi(tmp_path, qi_embed_run, monkeypatch):
    """A title given twice was counted twice ("3 targets read; 2 new texts added"): the
    distinct targets are told where they differ from the rows."""
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
    titles = tmp_path / "titles.txt"
    titles.write_text("cordless drill\nwood screws, 100 pack\ncordless drill\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["index", str(qi_embed_run), str(titles),
                                       "--out", str(tmp_path / "ix"), "--quiet"])
    assert result.exit_code == 0, result.output
    [line] = result.output.splitlines()
    assert line.startswith("3 targets read (2 distinct); 2 new texts added to the index "
                           "(targets) in ")


def test_each_backbone_is_counted_where_their_counts_differ(tmp_path, embed_run, tiny_backbone,
                                                            monkeypatch):
    """A run of two backbones (or carrying a student of another) was said in the first
    backbone's counts alone: '0 new texts added' where the second embedded every target.
    Alike, they are counted once, 'of each of 2 backbones'."""
    from shoprel.models.backbones.resolve import resolve_backbone
    from shoprel.predict import index as index_module
    from shoprel.run.folder import Run

    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
    catalogue = _catalogue(tmp_path / "c.txt")
    out = tmp_path / "ix"
    first = CliRunner().invoke(main, ["index", str(embed_run), str(catalogue), "--out", str(out),
                                      "--quiet"])
    assert first.output.startswith("30 targets read; 62 new texts added to the index (targets "
                                   "and their category paths' level names) in "), first.output

    # the run's model, given a second backbone: the texts the first already holds
    [model, *_] = Run.open(embed_run).load_models()
    other = tiny_backbone(tmp_path / "bert-other", ["home,kitchen,item 0123456789"], seed=1)
    [trained] = model.fingerprints_
    model.backbone = [model.backbone, str(other)]
    model.fingerprints_ = [trained, resolve_backbone(str(other), model.cache_dir).fingerprint]
    monkeypatch.setattr(index_module, "index_models", lambda run: [model])
    runner = CliRunner()
    [both] = runner.invoke(main, ["index", str(embed_run), str(catalogue), "--out", str(out),
                                  "--quiet"]).output.splitlines()
    assert both.startswith("30 targets read; new texts added to the index: 0 for bert, 62 for "
                           "bert-other (targets and their category paths' level names) in "), both
    [alike] = runner.invoke(main, ["index", str(embed_run), str(catalogue), "--out",
                                   str(tmp_path / "ix2"), "--quiet"]).output.splitlines()
    assert alike.startswith("30 targets read; 62 new texts added to the index of each of 2 "
                            "backbones (targets and their category paths' level names) in "), alike


# `shoprel index` with the stand-in encoder that waits at its third batch (conftest)
SLOW_BUILD = "import sys\n" + WAITING_INDEX_ENCODER + textwrap.dedent("""
    from shoprel.cli.app import main
    main(sys.argv[1:], prog_name="shoprel")
""")


def test_a_background_build_ignoring_ctrl_c_stops_on_sigterm_keeping_its_parts(
        tmp_path, embed_run):
    """A build started with `&` from a script ignores SIGINT (bash sets it so, and Python keeps
    it): SIGTERM stops it as Ctrl-C does, the parts written so far kept and said so in one
    line, with exit status 143 (128 + SIGTERM's 15, as a shell reports a process it ended;
    130 is Ctrl-C's)."""
    out = tmp_path / "ix"
    build = subprocess.Popen(
        [sys.executable, "-c", SLOW_BUILD, "index", str(embed_run),
         str(_catalogue(tmp_path / "c.txt")), "--out", str(out), "--quiet"],
        env={**os.environ, CACHE_ENV: str(tmp_path / "cache"), "OMP_NUM_THREADS": "1"},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))  # as bash's `&`
    try:
        assert build.stdout.readline() == "waiting\n", build.communicate(timeout=60)
        build.send_signal(signal.SIGINT)
        with pytest.raises(subprocess.TimeoutExpired):
            build.wait(timeout=0.5)  # ignored
        build.send_signal(signal.SIGTERM)
        _, err = build.communicate(timeout=60)
    finally:
        build.kill()
    assert build.returncode == 143
    assert err.splitlines() == [f"interrupted: the embeddings finished so far are kept in "
                                f"{out}; run the same command again to go on from them"]
    assert len(list(out.rglob("*.keys.npy"))) == 2  # the two parts written


@pytest.mark.parametrize("quiet", [False, True])
def test_the_encoder_s_loading_is_said_once_a_process(tmp_path, embed_run, monkeypatch, quiet):
    """index and predict loaded the backbone's encoder (EmbeddingGemma: ~10 s on 2 cores)
    saying nothing until the first embedding bar: the first load in the process is said, with
    its time, once (predict's model loads it again, unsaid); --quiet says nothing."""
    import re

    from shoprel.models.backbones import encoders
    from shoprel.models.embed import model as embed_model

    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
    monkeypatch.setattr(encoders, "NAMED_ENCODERS", set())
    loads = []
    monkeypatch.setattr(embed_model, "make_encoder", lambda *args, **kwargs: loads.append(1)
                        or encoders.make_encoder(*args, **kwargs))
    runner, quieted = CliRunner(), ["--quiet"] if quiet else []
    indexed = runner.invoke(main, ["index", str(embed_run), str(_catalogue(tmp_path / "c.txt")),
                                   "--out", str(tmp_path / "ix"), *quieted])
    pairs = tmp_path / "pairs.jsonl"
    pairs.write_text(json.dumps({"id": 1, "origin_query": "sartén nueva",
                                 "category_path": "home,kitchen,new pans"}) + "\n")
    predicted = runner.invoke(main, ["predict", str(embed_run), str(pairs), "--out",
                                     str(tmp_path / "p.jsonl"), *quieted])
    assert indexed.exit_code == 0 and predicted.exit_code == 0, indexed.output + predicted.output
    note = r"\nloading encoder \S+/bert \(transformers\)\.\.\. \d+\.\d s\n"  # a line in the log
    assert len(re.findall(note, indexed.stderr)) == (0 if quiet else 1), repr(indexed.stderr)
    assert "loading encoder" not in predicted.stderr and len(loads) == 2  # loaded again
    assert "\x1b" not in indexed.stderr

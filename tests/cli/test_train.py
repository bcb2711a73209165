"""`shoprel train`'s notes and warnings: on stderr; --quiet leaves out the notes with the progress
bars, not the warnings."""

import json
import os

import pytest
from click.testing import CliRunner
from tests.conftest import without_bars

from shoprel.cli import main
from shoprel.demo import demo_file
from shoprel.utils.threads import OwnCpu

# no test here reads a report: its charts are seconds a run
pytestmark = pytest.mark.usefixtures("no_report_charts")


@pytest.mark.parametrize("quiet", [False, True])
def test_quiet_leaves_out_the_empty_text_and_busy_machine_notes(tmp_path, monkeypatch, quiet):
    """Under --quiet both notes still printed (the empty-text one among the results)."""
    rows = [json.loads(line) for line in
            demo_file("QC").read_text(encoding="utf-8").splitlines()[:60]]
    rows[2]["origin_query"] = ""
    data, config = small_fast_run_inputs(tmp_path, rows, n_jobs=2)
    monkeypatch.setattr(os, "getloadavg", lambda: (40.0, 40.0, 40.0))
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    # none of the load is the run's own: on a slow machine the first check may come late
    # enough to measure the run's threads, and the note would name what is left
    monkeypatch.setattr(OwnCpu, "cores", lambda self: 0.0)
    done = CliRunner().invoke(main, ["train", str(data), "--out", str(tmp_path / "run"),
                                     "--config", str(config), *(["--quiet"] if quiet else [])])
    assert done.exit_code == 0, done.output
    notes = ("note: this machine's load is 40.0 on 2 cores; LightGBM with 2 threads runs "
             "several times slower when its cores are taken: on a shared machine, "
             "model.params.n_jobs: 1 trains faster (README, \"Speed and memory\")\n"
             f"note: {data} holds 1 row with an empty query, the first at line 3 (kept; see "
             "data.empty_text)\n")
    assert without_bars(done.stderr) == ("" if quiet else notes)
    assert done.stderr == "" or not quiet
    assert "note:" not in done.stdout
    assert done.stdout.startswith("task QC  rows 60  ")
    assert done.stdout.splitlines()[-1].startswith("run written to ")


@pytest.mark.parametrize("quiet", [False, True])
def test_rows_tagged_with_a_country_code_get_predict_s_hint_once(tmp_path, quiet):
    """Korean rows tagged kr (Kanuri) trained without a word: predict gave the hint only once
    test rows were tagged ko, after a run had learnt kr. train gives it before the fits, once
    per language, as a note --quiet leaves out."""
    rows = [json.loads(line) for line in
            demo_file("QC").read_text(encoding="utf-8").splitlines()[:60]]
    korean = [r for r in rows if r["language"] == "ko"]
    for i, row in enumerate(korean):
        row["language"] = "kr-KR" if i < 3 else "KR"
    data, config = small_fast_run_inputs(tmp_path, rows, n_jobs=1)
    done = CliRunner().invoke(main, ["train", str(data), "--out", str(tmp_path / "run"),
                                     "--config", str(config), *(["--quiet"] if quiet else [])])
    assert done.exit_code == 0, done.output
    hints = [line for line in without_bars(done.stderr).splitlines() if "Kanuri" in line]
    assert hints == ([] if quiet else [
        f"hint: {data} tags 10 rows kr, kr-KR: 'kr' is Kanuri; Korean is 'ko'"])
    assert "Kanuri" not in done.stdout


@pytest.mark.parametrize("quiet", [False, True])
def test_rows_tagged_with_no_language_code_are_noted(tmp_path, quiet):
    """Rows tagged 'xx' trained as a language of their own without a word, and predict is
    silent on them once the run has them. train notes them before the fits, with their count
    by tag, as a note --quiet leaves out."""
    rows = [json.loads(line) for line in
            demo_file("QC").read_text(encoding="utf-8").splitlines()[:60]]
    for i, row in enumerate(rows):
        row["language"] = "xx" if i % 6 == 0 else "XX-yy" if i == 1 else row["language"]
    data, config = small_fast_run_inputs(tmp_path, rows, n_jobs=1)
    done = CliRunner().invoke(main, ["train", str(data), "--out", str(tmp_path / "run"),
                                     "--config", str(config), *(["--quiet"] if quiet else [])])
    assert done.exit_code == 0, done.output
    notes = [line for line in without_bars(done.stderr).splitlines() if "xx" in line]
    assert notes == ([] if quiet else [
        f"note: {data} tags 11 rows with no language code (xx 10, xx-YY 1): each tag is "
        "trained as a language of its own; write ISO 639 codes ('en', 'pt-BR') where they are "
        "languages"])
    if not quiet:  # before the fits
        assert done.stderr.index(notes[0]) < done.stderr.index("QC folds")


@pytest.mark.parametrize(("quiet", "option"), [(False, False), (True, False), (False, True)])
def test_folds_too_small_to_measure_are_noted_before_the_fits(tmp_path, quiet, option):
    """30 rows in 2 folds printed F1 and ROC-AUC as if they measured something: a note before
    the fits says the folds are too small, and what helps; --quiet leaves it out. What helps
    is named where the user set the folds: the config file's folds.k (the note said --folds,
    which its next run, from the same file, would not read), or --folds."""
    rows = [json.loads(line) for line in
            demo_file("QC").read_text(encoding="utf-8").splitlines()[:30]]
    data, config = small_fast_run_inputs(tmp_path, rows, n_jobs=1)  # folds: {k: 2}
    done = CliRunner().invoke(main, ["train", str(data), "--out", str(tmp_path / "run"),
                                     "--config", str(config), *(["--quiet"] if quiet else []),
                                     *(["--folds", "2"] if option else [])])
    assert done.exit_code == 0, done.output
    notes = [line for line in without_bars(done.stderr).splitlines() if "validation" in line]
    if quiet:
        assert notes == []
        return
    assert len(notes) == 1
    assert notes[0].startswith("note: all 2 folds hold fewer than 20 validation rows (")
    said = "--folds 2" if option else f"folds.k: 2 in {config}"
    assert notes[0].endswith("the cross-validated F1 and ROC-AUC of 30 rows are mostly noise; "
                             f"more rows (40+ with {said}) make them a measurement")
    assert done.stderr.index(notes[0]) < done.stderr.index("QC folds")
    assert "validation rows" not in done.stdout


def test_constant_scores_warning_is_on_stderr_even_under_quiet(tmp_path):
    """The warning that the fold models learnt nothing printed on stdout among the results."""
    rows = [{"id": 2 * i + label, "language": "en", "origin_query": f"query {2 * i + label}",
             "category_path": f"top{i},leaf", "label": label}
            for i in range(6) for label in (1, 0)]  # every fold trains on half positives
    data = tmp_path / "d.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    config = tmp_path / "c.yaml"  # the booster alone, too few rows to split: a constant 0.5
    config.write_text("model: {family: fast, params: {n_features: 4096, n_jobs: 1, "
                      "linear_weight: 0, booster: {n_estimators: 10, "
                      "min_child_samples: 1000}}}\nfolds: {k: 2}\n")
    done = CliRunner().invoke(main, ["train", str(data), "--out", str(tmp_path / "run"),
                                     "--config", str(config), "--quiet"])
    assert done.exit_code == 0, done.output
    assert without_bars(done.stderr).startswith(
        "warning: every out-of-fold probability is 0.5000: the models learnt nothing")
    assert "warning:" not in done.stdout
    assert done.stdout.splitlines()[-1].startswith("run written to ")


def test_a_run_that_calls_every_row_relevant_is_warned_of_even_under_quiet(tmp_path):
    """The fast preset on the demo's QC rows cuts every fold below all its scores: recall 1.0,
    F1 0.8000 = base F1, which only the base-F1 column told (a carried student doing so was
    said on its line). Said as the student's note is, and metrics.json carries it."""
    run = tmp_path / "run"
    done = CliRunner().invoke(main, ["train", str(demo_file("QC")), "--out", str(run),
                                     "--config", "fast", "--quiet"])
    assert done.exit_code == 0, done.output
    metrics = json.loads((run / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["overall"]["predicted_positive_rate"] == 1.0
    assert metrics["overall"]["f1"] == metrics["overall"]["baseline_all_positive_f1"]
    note = "calls every row relevant, so its F1 is the all-positive answer's, not a model's"
    assert without_bars(done.stderr) == f"warning: the run {note}\n"
    assert metrics["all_relevant"] == f"it {note}"  # as a carried student's block words it
    assert "warning:" not in done.stdout


@pytest.mark.parametrize(("shares", "said"), [
    ("nan", "nan is not a number"),
    ("0", "0 is out of range; it must be above 0"),
    ("1.5", "1.5 is out of range; it must be below 1"),
    ("0.1,1", "1 is out of range; it must be below 1"),
    ("a,b", "'a,b' is not numbers separated by commas, e.g. 0.1,0.25,0.5"),
    ("0.1,", "'0.1,' is not numbers separated by commas, e.g. 0.1,0.25,0.5"),
])
def test_bad_curve_fractions_name_the_option_before_any_work(tmp_path, shares, said):
    """A share out of (0, 1), nan included, said 'learning curve: fractions must lie strictly
    between 0 and 1, got [nan]', naming no option."""
    out = tmp_path / "run"
    done = CliRunner().invoke(main, ["train", str(demo_file("QC")), "--out", str(out),
                                     "--learning-curve", "--curve-fractions", shares])
    assert done.exit_code == 2
    assert done.stderr == (f"error: shoprel train: invalid value for '--curve-fractions': "
                           f"{said} (shoprel train --help)\n")
    assert not out.exists()


def test_curve_fractions_are_read_as_the_numbers_written():
    from shoprel.cli.train import train

    param = next(p for p in train.params if p.name == "curve_fractions")
    assert param.type.convert("0.5, 0.25,0.1", param, None) == [0.5, 0.25, 0.1]


@pytest.mark.parametrize("busy_at", [0, 1])
def test_the_busy_machine_note_comes_before_the_fits_it_slows(tmp_path, monkeypatch, busy_at):
    """The note came once the run was over (a final fit of 509 s that `n_jobs: 1` did in 72 s):
    a load found as the fits start is said before the folds' bar, one found before the final
    fit before its bar, and either once (the run's end reads the load again)."""
    loads = iter([0.5] * busy_at + [40.0])
    monkeypatch.setattr(os, "getloadavg", lambda: (load := next(loads, 0.5), load, load))
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    config = tmp_path / "c.yaml"
    config.write_text("model: {family: fast, params: {n_features: 4096, n_estimators: 10, "
                      "n_jobs: 2}}\nfolds: {k: 2}\ncheck: {far_pairs: 0}\n")
    done = CliRunner().invoke(main, ["train", str(demo_file("QC")), "--out",
                                     str(tmp_path / "run"), "--config", str(config)])
    assert done.exit_code == 0, done.output
    said = done.stderr.index("note: this machine's load is 40.0 on 2 cores; LightGBM with 2 ")
    assert done.stderr.count("note: this machine's load") == 1
    folds, final = done.stderr.index("QC folds"), done.stderr.index("QC final fit")
    assert (said < folds) if busy_at == 0 else (folds < said < final)


def test_an_embed_train_names_its_encoder_in_the_busy_machine_note(tmp_path, monkeypatch,
                                                                    tiny_backbone):
    """The embed family's n_jobs is its text encoder's threads too (models/embed/model.py);
    train's note named LightGBM alone."""
    pytest.importorskip("torch")
    from shoprel.data.readers import read_pairs
    from shoprel.models.backbones.cache import CACHE_ENV

    frame = read_pairs(demo_file("QC"))
    backbone = tiny_backbone(tmp_path / "bert", [*frame.df["query"], *frame.df["target"]])
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
    monkeypatch.setattr(os, "getloadavg", lambda: (40.0, 40.0, 40.0))
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    config = tmp_path / "c.yaml"
    config.write_text(f"model: {{family: embed, params: {{backbone: {backbone}, n_estimators: "
                      "10, n_jobs: 2, learned_similarity: false}}\nfolds: {k: 2}\n"
                      "check: {far_pairs: 0}\n")
    done = CliRunner().invoke(main, ["train", str(demo_file("QC")), "--out",
                                     str(tmp_path / "run"), "--config", str(config),
                                     "--no-student"])
    assert done.exit_code == 0, done.output
    assert ("note: this machine's load is 40.0 on 2 cores; LightGBM and the text encoder, each "
            "with 2 threads, run several times slower when their cores are taken: ") \
        in done.stderr


def test_a_compressed_training_file_trains_and_stays_protected(tmp_path):
    """`shoprel train rows.jsonl.gz` said 'is compressed (.gz), which only predict, evaluate and
    check-submission read': it trains as rows.jsonl does, and the run's recorded file is read
    by later commands and stays no output of theirs, even with --overwrite."""
    import gzip

    lines = demo_file("QC").read_bytes().splitlines(keepends=True)[:60]
    packed = tmp_path / "d.jsonl.gz"
    packed.write_bytes(gzip.compress(b"".join(lines)))
    config = tmp_path / "c.yaml"
    config.write_text("model: {family: fast, params: {n_features: 4096, n_estimators: 10, "
                      "n_jobs: 1}}\nfolds: {k: 2}\n")
    run = tmp_path / "run"
    done = CliRunner().invoke(main, ["train", str(packed), "--out", str(run), "--config",
                                     str(config), "--quiet"])
    assert done.exit_code == 0, done.output
    assert done.stdout.startswith("task QC  rows 60  ")
    metrics = json.loads((run / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["data"]["train_file"] == str(packed)
    before = packed.read_bytes()
    refused = CliRunner().invoke(main, ["noise", str(run), "--out", str(packed), "--overwrite"])
    assert (refused.exit_code, refused.stderr) == (2, f"error: {packed}: is the input file "
                                                      f"{packed}; writing it would destroy the "
                                                      "input, choose another output\n")
    assert packed.read_bytes() == before
    scored = CliRunner().invoke(main, ["predict", str(run), str(packed), "--out",
                                       str(tmp_path / "p.jsonl"), "--quiet"])
    assert scored.exit_code == 0, scored.output
    ids = [json.loads(line)["id"] for line in lines]
    assert [json.loads(line)["id"] for line in
            (tmp_path / "p.jsonl").read_text(encoding="utf-8").splitlines()] == ids


def test_curve_fractions_without_the_curve_are_refused_in_one_line(tmp_path):
    """They printed click's usage block and 'Error: ...' where every other option given
    alone (predict's --cascade-share, --num-actors) says one `error:` line."""
    out = tmp_path / "run"
    done = CliRunner().invoke(main, ["train", str(demo_file("QC")), "--out", str(out),
                                     "--curve-fractions", "0.3"])
    assert done.exit_code == 2
    assert done.stderr == ("error: --curve-fractions: only with --learning-curve (the shares of "
                           "each fold's rows the curve fits)\n")
    assert not out.exists()


@pytest.mark.parametrize("command, option", [(["train", "d.jsonl"], "--config"),
                                             (["distill", "teacher"], "--student")])
def test_a_config_file_given_twice_is_refused_not_half_read(tmp_path, command, option):
    """`--config base.yaml --config mine.yaml` trained on mine.yaml alone: click keeps a
    repeated option's last value, and base.yaml, which a user of layered configs expects
    read too, was never opened. One `error:` line naming both, nothing written."""
    out = tmp_path / "run"
    first, second = tmp_path / "base.yaml", tmp_path / "mine.yaml"
    done = CliRunner().invoke(main, [*command, "--out", str(out), option, str(first), option,
                                     str(second)])
    assert done.exit_code == 2
    assert done.stderr == (f"error: shoprel {command[0]}: invalid value for '{option}': given "
                           f"2 times ({first}, {second}); it takes one config file (configs "
                           f"are not layered): merge them into one (shoprel {command[0]} "
                           "--help)\n")
    assert not out.exists()


def test_a_configs_task_is_taken_in_any_case_as_task_is(tmp_path):
    """`data: {task: qc}` was refused (pydantic's "Input should be 'QC' or 'QI'") where
    `--task qc` trained: a file holding both targets' columns is trained as QC either way."""
    rows = [{**json.loads(line), "item_title": "a title"} for line in
            demo_file("QC").read_text(encoding="utf-8").splitlines()[:40]]
    data, config = small_fast_run_inputs(tmp_path, rows, n_jobs=1)
    config.write_text(config.read_text() + "data: {task: qc}\n")
    done = CliRunner().invoke(main, ["train", str(data), "--out", str(tmp_path / "run"),
                                     "--config", str(config), "--quiet"])
    assert done.exit_code == 0, done.output
    assert done.stdout.startswith("task QC  rows 40  ")
    assert "task: QC" in (tmp_path / "run" / "config.yaml").read_text()


@pytest.mark.parametrize("quiet", [False, True])
def test_overwrite_names_the_run_it_replaces_before_the_work(tmp_path, quiet):
    """`train QC_FILE --out X --overwrite` where X was a QI run replaced it without a word:
    --overwrite is consent, but to a run of the other task, perhaps not. It still replaces
    it, saying first (a note: --quiet leaves it out) which run goes: its task, rows and day."""
    def lines(task):
        return demo_file(task).read_text(encoding="utf-8").splitlines()

    data, config = small_fast_run_inputs(tmp_path, [json.loads(line) for line in lines("QC")[:40]],
                                         n_jobs=1)
    qi = tmp_path / "qi.jsonl"
    qi.write_text("\n".join(lines("QI")[:30]) + "\n", encoding="utf-8")
    run = tmp_path / "run"
    done = CliRunner().invoke(main, ["train", str(qi), "--out", str(run), "--config",
                                     str(config), "--quiet"])
    assert done.exit_code == 0, done.output
    created = json.loads((run / "run.json").read_text(encoding="utf-8"))["created"]
    done = CliRunner().invoke(main, ["train", str(data), "--out", str(run), "--config",
                                     str(config), "--overwrite", *(["--quiet"] if quiet else [])])
    assert done.exit_code == 0, done.output
    said = (f"note: replacing run {run} (task QI, 30 rows, trained {created[:10]}) once this "
            "one is complete")
    assert (without_bars(done.stderr).splitlines()[:1] == [said]) is not quiet
    assert said not in done.stderr or not quiet
    assert json.loads((run / "run.json").read_text(encoding="utf-8"))["task"] == "QC"
    again = CliRunner().invoke(main, ["train", str(data), "--out", str(tmp_path / "new"),
                                      "--config", str(config), "--overwrite"])
    assert again.exit_code == 0 and "replacing" not in again.stderr  # nothing there to replace


def small_fast_run_inputs(tmp_path, rows, n_jobs):
    """`rows` as d.jsonl and a 2-fold config of a small fast model."""
    data = tmp_path / "d.jsonl"
    data.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                    encoding="utf-8")
    config = tmp_path / "c.yaml"
    config.write_text("model: {family: fast, params: {n_features: 4096, n_estimators: 10, "
                      f"n_jobs: {n_jobs}}}}}\nfolds: {{k: 2}}\n")
    return data, config

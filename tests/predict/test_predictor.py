import json
import shutil

import numpy as np
import pandas as pd
import pytest

from shoprel.data.readers import read_pairs
from shoprel.data.submission import check_submission
from shoprel.errors import InputError, OutputError, RunDirError
from shoprel.predict.predictor import Predictor, predict_file

# an earlier output of predict: its columns are a scored file's
EARLIER_OUTPUT = ('{"id": 1, "language": "en", "origin_query": "drill", "category_path": '
                  '"Tools", "prediction": 1, "probability": 0.9}\n')


def _unlabelled(tmp_path, source, name="test_QC.txt"):
    rows = [json.loads(line) for line in source.read_text(encoding="utf-8").splitlines()]
    for row in rows:
        row.pop("label")
    path = tmp_path / name
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                    encoding="utf-8")
    return path


def test_submission_format_and_check(tmp_path, trained_runs, qc_demo):
    source = _unlabelled(tmp_path, qc_demo)
    result = predict_file(trained_runs["QC"], source, tmp_path / "sub.jsonl", progress=False)
    assert result.rows == 360
    lines = (tmp_path / "sub.jsonl").read_text(encoding="utf-8").splitlines()
    first = json.loads(lines[0])
    assert list(first) == ["id", "language", "origin_query", "category_path", "prediction",
                           "probability"]
    assert first["prediction"] in (0, 1) and 0 <= first["probability"] <= 1
    assert sum(json.loads(line)["prediction"] for line in lines) == result.positives
    assert check_submission(tmp_path / "sub.jsonl", source).ok


def test_chunked_output_equals_one_chunk(tmp_path, trained_runs, qi_demo):
    a = predict_file(trained_runs["QI"], qi_demo, tmp_path / "a.jsonl", chunk_rows=7,
                     progress=False)
    b = predict_file(trained_runs["QI"], qi_demo, tmp_path / "b.jsonl", chunk_rows=10**6,
                     progress=False)
    assert a.rows == b.rows == 360
    assert (tmp_path / "a.jsonl").read_bytes() == (tmp_path / "b.jsonl").read_bytes()


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".parquet"])
def test_other_output_formats(tmp_path, trained_runs, qc_demo, suffix):
    predict_file(trained_runs["QC"], qc_demo, tmp_path / "ref.jsonl", progress=False)
    predict_file(trained_runs["QC"], qc_demo, tmp_path / f"out{suffix}", chunk_rows=100,
                 progress=False)
    reference = pd.read_json(tmp_path / "ref.jsonl", lines=True)
    out = (pd.read_parquet(tmp_path / f"out{suffix}") if suffix == ".parquet" else
           pd.read_csv(tmp_path / f"out{suffix}", sep="," if suffix == ".csv" else "\t"))
    assert out["id"].tolist() == reference["id"].tolist()
    assert out["prediction"].tolist() == reference["prediction"].tolist()
    np.testing.assert_allclose(out["probability"], reference["probability"])


def test_probabilities_match_the_models(trained_runs, qc_demo):
    predictor = Predictor(trained_runs["QC"])
    frame = read_pairs(qc_demo)
    expected = predictor.models[0].predict_proba(frame)[:, 1]
    np.testing.assert_allclose(predictor.probabilities(frame), expected)


def test_bad_input_leaves_no_output(tmp_path, trained_runs, qc_demo):
    text = qc_demo.read_text(encoding="utf-8").splitlines()
    text[200] = text[200][:-5]  # truncated JSON late in the file
    source = tmp_path / "broken.txt"
    source.write_text("\n".join(text) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match="broken.txt, line 201"):
        predict_file(trained_runs["QC"], source, tmp_path / "out.jsonl", chunk_rows=50,
                     progress=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.txt"]


def test_the_file_the_run_was_trained_on_is_never_the_output_even_with_overwrite(
        tmp_path, trained_runs, qc_demo):
    """predict --out <the run's training file> --overwrite replaced the user's labelled data
    with predictions: the file metrics.json records (also through a link) is refused, in one
    line, and left as it was."""
    from click.testing import CliRunner

    from shoprel.cli import main

    run, train = tmp_path / "run", tmp_path / "train_QC.txt"
    shutil.copytree(trained_runs["QC"], run)
    shutil.copyfile(qc_demo, train)
    metrics = json.loads((run / "metrics.json").read_text())
    metrics["data"]["train_file"] = str(train)  # trained on this copy of the demo rows
    (run / "metrics.json").write_text(json.dumps(metrics))
    (tmp_path / "linked.txt").hardlink_to(train)
    source = _unlabelled(tmp_path, qc_demo)
    for out in (train, tmp_path / "linked.txt"):
        with pytest.raises(OutputError) as caught:
            predict_file(run, source, out, overwrite=True, progress=False)
        assert str(caught.value) == (
            f"{out}: is {train}, the file the run {run} was trained on (its metrics.json "
            "data.train_file); writing it would destroy that data, choose another output")
    done = CliRunner().invoke(main, ["predict", str(run), str(source), "--out", str(train),
                                     "--overwrite"])
    assert done.exit_code == 2 and done.output.splitlines()[-1].startswith(
        f"error: {train}: is {train}, the file the run {run} was trained on"), done.output
    assert train.read_bytes() == qc_demo.read_bytes()


def test_the_stage0_file_the_run_recorded_is_never_the_output_even_with_overwrite(
        tmp_path, trained_runs, qc_demo, qi_demo):
    """The other task's labelled file stage 0 was fitted on (metrics.json stage0.train_file)
    is the user's data as much as the training file: predict --out it --overwrite replaced it
    with predictions; now refused in one line naming the field, the file left as it was."""
    from click.testing import CliRunner

    from shoprel.cli import main

    run, stage0 = tmp_path / "run", tmp_path / "stage0_QI.txt"
    shutil.copytree(trained_runs["QC"], run)
    shutil.copyfile(qi_demo, stage0)
    metrics = json.loads((run / "metrics.json").read_text())
    metrics["stage0"] = {"train_file": str(stage0), "task": "QI"}  # as fit_stage0 records it
    (run / "metrics.json").write_text(json.dumps(metrics))
    source = _unlabelled(tmp_path, qc_demo)
    done = CliRunner().invoke(main, ["predict", str(run), str(source), "--out", str(stage0),
                                     "--overwrite"])
    assert done.exit_code == 2 and done.output.splitlines()[-1] == (
        f"error: {stage0}: is {stage0}, the file the stage 0 of the run {run} was trained on "
        "(its metrics.json stage0.train_file); writing it would destroy that data, choose "
        "another output"), done.output
    assert stage0.read_bytes() == qi_demo.read_bytes()


def test_a_bad_input_is_refused_before_any_model_loads(tmp_path, trained_runs, qc_demo, qi_demo,
                                                       monkeypatch):
    """predict loaded the run's models (the default model's encoder: ~30 s) before it read a
    line of its input, and scored chunk by chunk: an empty file, a file of the other task, or a
    bad line was told only after the load, one past the first chunk after the chunks above it
    were scored. Every row is now checked before any model loads."""
    from shoprel.run.folder import Run

    def no_model(self):
        raise AssertionError("a model was loaded before the input was checked")

    monkeypatch.setattr(Run, "load_models", no_model)
    text = qc_demo.read_text(encoding="utf-8").splitlines()
    broken, empty = tmp_path / "broken.jsonl", tmp_path / "empty.jsonl"
    broken.write_text("\n".join(text[:300]) + '\n{"id": 1000, oops\n', encoding="utf-8")
    empty.write_text("", encoding="utf-8")
    for source, said in ((broken, f"{broken}, line 301: malformed JSON"),
                         (empty, f"{empty}: the file has no rows"),
                         (qi_demo, f"{qi_demo}, line 1, field 'category_path': column missing "
                                   f"(the file looks like a QI file), but run {trained_runs['QC']} "
                                   "scores QC pairs; predict it with a QI run")):
        with pytest.raises(InputError) as info:
            predict_file(trained_runs["QC"], source, tmp_path / "out.jsonl", chunk_rows=50,
                         progress=False)
        assert str(info.value).startswith(said)
    assert not (tmp_path / "out.jsonl").exists()


def test_wrong_task_file_is_refused(tmp_path, trained_runs, qi_demo):
    with pytest.raises(InputError, match=r"column missing \(the file looks like a QI file\), "
                                         "but run .* scores QC pairs; predict it with a QI run$"):
        predict_file(trained_runs["QC"], qi_demo, tmp_path / "out.jsonl", progress=False)


def test_not_a_run_directory(tmp_path, qc_demo):
    with pytest.raises(RunDirError, match="not a shoprel run directory"):
        Predictor(tmp_path)


def test_empty_texts_still_get_predictions(tmp_path, trained_runs, jsonl, qc_rows):
    qc_rows[0]["origin_query"] = ""
    qc_rows[1]["category_path"] = None
    source = jsonl(tmp_path / "e.txt", qc_rows)
    result = predict_file(trained_runs["QC"], source, tmp_path / "o.jsonl", progress=False)
    assert result.rows == 3
    assert check_submission(tmp_path / "o.jsonl", source).ok


def test_a_second_writer_of_the_same_output_fails_and_replaces_nothing(tmp_path, trained_runs,
                                                                       qc_demo):
    from shoprel.errors import OutputError
    from shoprel.utils.atomic import output_lock

    out = tmp_path / "sub.jsonl"
    out.write_text(EARLIER_OUTPUT)
    with output_lock(out):  # another shoprel process writing it
        with pytest.raises(OutputError, match="another shoprel process"):
            predict_file(trained_runs["QC"], qc_demo, out, progress=False, overwrite=True)
    assert out.read_text() == EARLIER_OUTPUT
    predict_file(trained_runs["QC"], qc_demo, out, progress=False, overwrite=True)  # free again
    assert len(out.read_text().splitlines()) == 360
    assert not list(tmp_path.glob(".*"))


def test_rows_in_languages_absent_from_the_training_file_are_counted(tmp_path, trained_runs,
                                                                    qc_demo):
    from click.testing import CliRunner

    from shoprel.cli.app import main

    rows = [json.loads(line) for line in qc_demo.read_text(encoding="utf-8").splitlines()]
    for i, row in enumerate(rows[:8]):
        row["language"] = "xx" if i < 5 else "yy"
    source = tmp_path / "new_languages.jsonl"
    source.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                      encoding="utf-8")
    result = predict_file(trained_runs["QC"], source, tmp_path / "a.jsonl", chunk_rows=3,
                          progress=False)
    assert result.new_languages == {"xx": 5, "yy": 3}
    assert predict_file(trained_runs["QC"], qc_demo, tmp_path / "b.jsonl",
                        progress=False).new_languages == {}

    out = CliRunner().invoke(main, ["predict", str(trained_runs["QC"]), str(source), "--out",
                                    str(tmp_path / "c.jsonl"), "--quiet"])
    assert out.exit_code == 0, out.output
    assert ("warning: 8 rows in languages absent from the training file (xx 5, yy 3)"
            in out.stderr)


def test_a_damaged_metrics_json_predict_reads_languages_from_is_refused(tmp_path, qc_runs,
                                                                        qc_demo):
    """predict maps a row's tag onto the run's training languages ('fr-FR' as 'fr'), read from
    metrics.json: a garbled or deleted one was read as listing none, and such rows scored
    other probabilities (fr-FR rows 0.683 against 0.626 on a fast run) without a word. Now
    refused in one line naming the file, a member's as runs/b/metrics.json; a member's
    config.yaml, which predict reads only for a member that reads translations, is not."""
    from shoprel.ensemble.runner import build_ensemble

    a, b = tmp_path / "a", tmp_path / "b"
    shutil.copytree(qc_runs[0], a)
    shutil.copytree(qc_runs[1], b)
    build_ensemble([a, b], tmp_path / "ens")
    source = _unlabelled(tmp_path, qc_demo)
    (b / "config.yaml").unlink()
    assert predict_file(tmp_path / "ens", source, tmp_path / "ok.jsonl",
                        progress=False).rows > 0
    ens, out = tmp_path / "ens", tmp_path / "p.jsonl"
    for run, named in ((b, b), (ens, b), (ens, ens)):  # a run's, a member's, an ensemble's
        kept = (named / "metrics.json").read_text()
        (named / "metrics.json").write_text("{garbled")
        with pytest.raises(RunDirError, match=f"^{named}/metrics\\.json: not valid JSON"):
            predict_file(run, source, out, progress=False)
        (named / "metrics.json").unlink()
        with pytest.raises(RunDirError, match=f"^{named}/metrics\\.json: missing$"):
            predict_file(run, source, out, progress=False)
        assert not out.exists()
        (named / "metrics.json").write_text(kept)


def test_a_language_seen_only_through_translations_is_not_called_absent(
        augmented_runs, qc_demo, tmp_path, monkeypatch):
    """Thai rows scored by a run that trained on Thai translations (augment.translate, no
    Thai row of its own) were warned of as "absent from the training file"; they are now
    said as seen only through translated rows, by a run and by an ensemble holding it. 'th'
    and 'th-TH' are one language in the warning: 'th 4, th-TH 1' read as two. A run that
    trained on 'th' copies scores 'th-TH' rows as 'th' (languages.moved_tags, its
    trained_tags), as one trained on 'fr' rows scores 'fr-FR'."""
    from click.testing import CliRunner

    from shoprel.cli.app import main
    from shoprel.ensemble.runner import build_ensemble
    from shoprel.run.writer import RunWriter

    plain, translated = augmented_runs
    rows = [json.loads(line) for line in qc_demo.read_text(encoding="utf-8").splitlines()][:9]
    for row, tag in zip(rows, ["th", "th", "th", "th", "th-TH", "xx", "xx"], strict=False):
        row["language"] = tag
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                      encoding="utf-8")
    result = predict_file(translated, source, tmp_path / "a.jsonl", progress=False)
    assert result.new_languages == {"th": 5, "xx": 2}
    assert result.translated_only == ["th"]
    assert predict_file(plain, source, tmp_path / "b.jsonl",
                        progress=False).translated_only == []
    monkeypatch.setattr(RunWriter, "report", lambda self, metrics, table: None)
    build_ensemble([plain, translated], tmp_path / "ens")
    ensemble = predict_file(tmp_path / "ens", source, tmp_path / "c.jsonl", progress=False)
    assert ensemble.translated_only == ["th"]
    # only "tr" saw Thai: the warning names it rather than say "the model" saw it
    assert ensemble.translated_only_members == {"th": ["tr"]}
    assert result.translated_only_members == {}

    def warning(run):
        out = CliRunner().invoke(main, ["predict", str(run), str(source), "--out",
                                        str(tmp_path / f"{run.name}.jsonl"), "--quiet"])
        assert out.exit_code == 0, out.output
        return next(line for line in out.stderr.splitlines() if line.startswith("warning:"))

    assert warning(translated).startswith(
        "warning: 2 rows in a language absent from the training file (xx 2) and 5 rows in "
        "a language the model saw only through translated rows (th 5): its "
        "cross-validation says nothing about them")
    assert warning(plain).startswith(
        "warning: 7 rows in languages absent from the training file (th 5 (th-TH 1), xx 2): ")
    assert warning(tmp_path / "ens").startswith(
        "warning: 2 rows in a language absent from the training file (xx 2) and 5 rows in "
        "a language only member tr saw, through translated rows (th 5): its "
        "cross-validation says nothing about them")


@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".parquet"])
def test_ids_are_written_back_as_the_input_wrote_them(tmp_path, trained_runs, qc_demo, suffix):
    """Fixed-width text ids keep their zeros in every output format, and the output still
    checks against its input (matched on the key 7 = "007")."""
    rows = [json.loads(line) for line in qc_demo.read_text(encoding="utf-8").splitlines()][:40]
    for i, row in enumerate(rows):
        row.pop("label")
        row["id"] = f"{995 + i:04d}"  # "0995" ... "1034": text, some with a leading zero
    source = tmp_path / "fixed_width.jsonl"
    source.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                      encoding="utf-8")
    out = tmp_path / f"sub{suffix}"
    predict_file(trained_runs["QC"], source, out, chunk_rows=7, progress=False)
    written = (pd.read_parquet(out) if suffix == ".parquet" else
               pd.read_csv(out, dtype=str) if suffix == ".csv" else
               pd.read_json(out, lines=True, dtype=False))
    assert written["id"].tolist() == [r["id"] for r in rows]
    assert check_submission(out, source).ok

    numbers = tmp_path / "numbers.jsonl"
    rows[3]["id"] = 3
    numbers.write_text("".join(json.dumps(r) + "\n" for r in [rows[3], rows[0]]),
                       encoding="utf-8")
    with pytest.raises(InputError, match=r"numbers.jsonl, line 2, field 'id'.*'0995'"):
        predict_file(trained_runs["QC"], numbers, tmp_path / f"n{suffix}", progress=False)
    assert not (tmp_path / f"n{suffix}").exists()


def test_the_bar_counts_the_first_chunks_scoring_in_its_time_and_rate(tmp_path, real_qi,
                                                                        capsys):
    """The bar started once the first chunk was scored (so a bad one fails before it): a
    one-chunk file of new QI queries that took 27 s to score read "296 rows [00:00, 12067
    rows/s]". Its clock now starts before the first chunk (a log draws no rate: its time is
    the rate's denominator)."""
    import re
    import time

    import pyarrow as pa

    from shoprel.predict.predictor import write_submission

    rows = pd.read_json(real_qi, lines=True, dtype=False, nrows=20)
    table = pa.Table.from_pandas(rows[["id"]].assign(prediction=rows["label"],
                                                     probability=rows["label"] * 0.5))

    def slowly_scored():
        time.sleep(1.0)  # the first chunk's scoring: embedding new queries
        yield table

    assert write_submission(slowly_scored(), tmp_path / "pred.jsonl") == (20, rows["label"].sum())
    last = capsys.readouterr().err.replace("\r", "\n").strip().splitlines()[-1]
    assert re.fullmatch(r"scoring: 20 rows \[00:0[1-9]\]", last), last  # not [00:00]


def test_the_bar_is_never_drawn_at_zero_rows_before_the_first_chunks(tmp_path, real_qi,
                                                                   capsys):
    """The bar, made once the first chunk was scored, drew itself at 0 rows as it was made: a
    log of predict's stderr read "scoring: 0 rows [00:00, ? rows/s]" before the real line.
    Every state drawn now counts rows written, whether the chunks are quick or slow."""
    import re
    import time

    import pyarrow as pa

    from shoprel.predict.predictor import write_submission

    rows = pd.read_json(real_qi, lines=True, dtype=False, nrows=20)
    table = pa.Table.from_pandas(rows[["id"]].assign(prediction=rows["label"],
                                                     probability=rows["label"] * 0.5))

    def chunks(pause):
        for _ in range(2):
            time.sleep(pause)
            yield table

    for pause in (0.0, 0.3):
        out = tmp_path / f"pred{pause}.jsonl"
        assert write_submission(chunks(pause), out) == (40, 2 * rows["label"].sum())
        drawn = [line for line in re.split(r"[\r\n]", capsys.readouterr().err) if line.strip()]
        assert drawn, pause
        assert all(line.startswith("scoring: ") for line in drawn), drawn
        assert not [line for line in drawn if line.startswith("scoring: 0 rows")], drawn
        assert drawn[-1].startswith("scoring: 40 rows"), drawn


def test_a_second_writer_is_refused_while_the_first_chunk_is_scored(tmp_path):
    """A one-chunk file is scored whole before it is written: the lock was taken only then, so
    a second `predict` of the same output, started meanwhile, ran to its end beside the first,
    and the later one replaced the other's file without --overwrite. The lock is now held from
    the start, and a file that appears meanwhile is kept unless overwrite is given, and with
    it unless it is a scored file (a user's file made meanwhile is no output of predict's)."""
    import pyarrow as pa

    from shoprel.errors import OutputExistsError
    from shoprel.predict.predictor import write_submission
    from shoprel.utils.atomic import output_lock

    out = tmp_path / "pred.jsonl"
    table = pa.table({"id": [1, 2], "language": ["en", "en"], "origin_query": ["a", "b"],
                      "category_path": ["c", "d"], "prediction": [1, 0],
                      "probability": [0.9, 0.1]})
    refused = []

    def scored_while_another_writes(made="a user's file\n"):
        try:
            with output_lock(out):  # a second command starting now
                pass
        except OutputError as exc:
            refused.append(str(exc))
        out.write_text(made, encoding="utf-8")  # made meanwhile, by anyone
        yield table

    with pytest.raises(OutputExistsError, match="created by another process"):
        write_submission(scored_while_another_writes(), out, progress=False)
    assert refused and "another shoprel process" in refused[0]
    assert out.read_text(encoding="utf-8") == "a user's file\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pred.jsonl"]  # no lock, no partial
    out.unlink()
    with pytest.raises(OutputError, match="pred.jsonl: exists and is not a predictions file"):
        write_submission(scored_while_another_writes(), out, progress=False, overwrite=True)
    assert out.read_text(encoding="utf-8") == "a user's file\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pred.jsonl"]
    out.unlink()
    assert write_submission(scored_while_another_writes(EARLIER_OUTPUT), out, progress=False,
                            overwrite=True) == (2, 1)
    assert out.read_text(encoding="utf-8").count("\n") == 2
    never = []  # a writer that gets the lock once another finished fails before scoring
    with pytest.raises(OutputExistsError, match="already exists"):
        write_submission((never.append(1) or table for _ in [0]), out, progress=False)
    assert never == [] and out.read_text(encoding="utf-8").count("\n") == 2


def test_overwrite_replaces_only_a_file_predict_wrote(tmp_path, trained_runs, qc_demo):
    """`predict RUN test.jsonl --out gold.jsonl --overwrite` destroyed the user's gold labels
    (anything but an input or a run's training file went): --overwrite now replaces only a
    file with a scored file's columns, and refuses anything else in one line before any work,
    left as it was; the Python API alike. Its own earlier output, of either task, is replaced."""
    from click.testing import CliRunner

    from shoprel import predict_file as api_predict_file
    from shoprel.cli import main

    gold = tmp_path / "gold.jsonl"
    shutil.copy(qc_demo, gold)
    before = gold.read_bytes()
    refused = CliRunner().invoke(main, ["predict", str(trained_runs["QC"]), str(qc_demo),
                                        "--out", str(gold), "--overwrite", "--quiet"])
    assert (refused.exit_code, refused.output) == (2, (
        f"error: {gold}: exists and is not a predictions file (its columns are id, task, "
        "language, origin_query, category_path, label, not those predict writes); --overwrite "
        "replaces only predict's own output: choose another name or move the file away "
        "first\n"))
    with pytest.raises(OutputError, match="gold.jsonl: exists and is not a predictions file "
                                          r".*; overwrite=True replaces only predict's own"):
        api_predict_file(trained_runs["QC"], qc_demo, gold, overwrite=True, progress=False)
    assert gold.read_bytes() == before
    out = tmp_path / "pred.csv"
    out.write_text("id,language,origin_query,item_title,prediction,probability\n")  # QI's
    predict_file(trained_runs["QC"], qc_demo, out, progress=False, overwrite=True)
    assert pd.read_csv(out).columns.tolist()[3] == "category_path"
    assert api_predict_file(trained_runs["QC"], qc_demo, out, overwrite=True,
                            progress=False).rows == 360

"""`shoprel predict` with a run trained on translated queries and a file without them: one
`warning:` line (not Python's two-line UserWarning), which --quiet does not leave out; the warning
on rows the training file's languages do not cover, on stderr too."""

import json
import re
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner
from tests.conftest import TRANSLATED_ROWS as ROWS
from tests.conftest import without_bars

from shoprel.cli.predict import predict
from shoprel.demo import demo_file


@pytest.mark.filterwarnings("error::UserWarning")
def test_bare_input_to_a_translated_run_is_one_warning_line(translated_run, tmp_path):
    run, bare = translated_run
    args = [str(run), str(bare), "--out", str(tmp_path / "p.jsonl")]
    result = CliRunner().invoke(predict, args)
    assert result.exit_code == 0, result.output
    warning = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert len(warning) == 1 and warning[0].startswith(
        f"warning: {ROWS} of {ROWS} rows scored on the bare query (")
    assert warning[0].endswith(f"): the run was trained with translations and {bare} has no "
                               "translated_query column (run `shoprel translate` on it first)")
    quiet = CliRunner().invoke(predict, [*args[:-1], str(tmp_path / "q.jsonl"), "--quiet"])
    # --quiet silences progress, not a warning about the scores
    assert quiet.exit_code == 0 and quiet.stderr.splitlines() == warning


def test_the_quiet_help_says_the_warning_still_prints():
    """It said --quiet left the warning out, which the command (tested above) does not do."""
    text = " ".join(CliRunner().invoke(predict, ["--help"]).output.split())
    assert "no warning about rows" not in text
    assert ("a warning about rows scored without translations, or in languages the run was "
            "not trained on, still prints") in text


def quiet_qc_predict(trained_runs, rows, tmp_path):
    """`predict --quiet` of the QC run over `rows` written as JSON lines."""
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                      encoding="utf-8")
    return CliRunner().invoke(predict, [str(trained_runs["QC"]), str(source), "--out",
                                        str(tmp_path / "p.jsonl"), "--quiet"])


def test_untagged_rows_are_said_as_such_and_one_row_is_one_row(trained_runs, qc_demo, tmp_path):
    """A row of no language was counted as one in a new language 'unk'; one row said "1 rows";
    the line printed on stdout among the results, not as a warning on stderr."""
    rows = [json.loads(line) for line in qc_demo.read_text(encoding="utf-8").splitlines()]
    rows[0]["language"] = "xx"
    rows[1]["language"] = None
    del rows[2]["language"]
    result = quiet_qc_predict(trained_runs, rows, tmp_path)
    assert result.exit_code == 0, result.output
    said = [line for line in result.stderr.splitlines() if "training file" in line]
    assert said == ["warning: 1 row in a language absent from the training file (xx 1) and 2 "
                    "rows with no language tag (the training file had none untagged): its "
                    "cross-validation says nothing about them (docs/measurements-qc.md: "
                    "Languages never seen in training)"]
    assert "unk" not in result.stdout and "training file" not in result.stdout


def test_a_label_that_is_no_label_is_refused_by_predict_and_scorer(trained_runs, qc_demo,
                                                                   tmp_path):
    """Labels go unused when scoring, but a 7 among them is a wrong column or a damaged file:
    predict wrote its predictions and exited 0, Scorer.score returned them."""
    from shoprel import Scorer
    from shoprel.errors import InputError

    rows = [json.loads(line) for line in qc_demo.read_text(encoding="utf-8").splitlines()]
    from shoprel.cli import main

    rows[2]["label"] = 7
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    result = CliRunner().invoke(main, ["predict", str(trained_runs["QC"]), str(source),
                                       "--out", str(tmp_path / "p.jsonl"), "--quiet"])
    assert result.exit_code == 2
    assert result.stderr == (f"error: {tmp_path / 'in.jsonl'}, line 3, field 'label': label "
                             "must be 0, 1 or empty (unused here), got 7: a wrong column or a "
                             "damaged file; check the file, or empty or drop its label column\n")
    assert not (tmp_path / "p.jsonl").exists()
    with pytest.raises(InputError, match=r"^pair 2, field 'label': label must be 0, 1 or empty "
                                         r".*got 7: a wrong field or a mixed-up pair; check the "
                                         r"pairs, or set their label to None or drop it$"):
        Scorer(trained_runs["QC"]).score(rows)
    rows[2]["label"] = None  # a test file's empty label: scored
    assert len(Scorer(trained_runs["QC"]).score(rows)) == len(rows)


def test_new_languages_are_said_as_every_command_reads_them_with_a_hint(trained_runs, qc_demo,
                                                                       tmp_path):
    """'vn' rows were warned of as 'vn' (translate and langid read them as 'vi'), and 'kr'
    rows (Kanuri's code, written for Korean) with no word of 'ko'."""
    rows = [json.loads(line) for line in qc_demo.read_text(encoding="utf-8").splitlines()][:5]
    for row, tag in zip(rows, ["vn", "VN", "kr", "kr", "Kr"], strict=True):
        row["language"] = tag
    result = quiet_qc_predict(trained_runs, rows, tmp_path)
    assert result.exit_code == 0, result.output
    lines = result.stderr.splitlines()
    assert lines[0].startswith("warning: 5 rows in languages absent from the training file "
                               "(kr 3, vi 2): ")
    assert lines[1:] == ["hint: 'kr' is Kanuri; Korean is 'ko'"]


@pytest.mark.parametrize("quiet", [False, True])
def test_rows_tagged_with_no_language_code_are_noted_as_train_notes_them(trained_runs, qc_demo,
                                                                        tmp_path, quiet):
    """train notes rows tagged 'xx' (no language code: a language of its own); predict said
    nothing of a file's such rows but the new-language warning, which names the tag as a
    language. It says train's note, counted by tag, before its summary; --quiet leaves it
    out and keeps the warning."""
    rows = [json.loads(line) for line in qc_demo.read_text(encoding="utf-8").splitlines()]
    for i, row in enumerate(rows[:9]):
        row["language"] = "xx" if i < 5 else "Mixed" if i < 8 else "xx_YY"
    rows[9]["language"] = "iw"  # Hebrew's old code: a language, noted as absent only
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                      encoding="utf-8")
    result = CliRunner().invoke(predict, [str(trained_runs["QC"]), str(source), "--out",
                                          str(tmp_path / "p.jsonl"), *(["--quiet"] * quiet)])
    assert result.exit_code == 0, result.output
    lines = without_bars(result.stderr).splitlines()
    noted = [line for line in lines if line.startswith("note:")]
    assert noted == ([] if quiet else [
        f"note: {source} tags 9 rows with no language code (xx 5, mixed 3, xx-YY 1): each "
        "tag is scored as a language of its own; write ISO 639 codes ('en', 'pt-BR') where "
        "they are languages"])
    assert any(line.startswith("warning: 10 rows in languages absent from the training file "
                               "(xx 6 (xx-YY 1), mixed 3, he 1): ") for line in lines)
    assert "no language code" not in result.stdout


@pytest.mark.parametrize("task", ["QC", "QI"])
def test_the_new_languages_line_points_at_a_section_that_exists(trained_runs, tmp_path, task):
    """It sent readers to a README section 'languages never seen in training', which the
    README does not have; then a QI run's line sent them to the QC figures: each task's line
    names a section of that task's measurements."""
    rows = [json.loads(line) for line in demo_file(task).read_text(encoding="utf-8")
            .splitlines()]
    rows[0]["language"] = "xx"
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                      encoding="utf-8")
    result = CliRunner().invoke(predict, [str(trained_runs[task]), str(source), "--out",
                                          str(tmp_path / "p.jsonl"), "--quiet"])
    line = next(line for line in result.stderr.splitlines() if "training file" in line)
    doc, section = re.search(r"\(([^():]+): ([^()]+)\)$", line).groups()
    assert doc == f"docs/measurements-{task.lower()}.md"
    path = Path(__file__).parents[2] / doc
    headings = [h.lstrip("#").strip().lower() for h in path.read_text(encoding="utf-8")
                .splitlines() if h.startswith("#")]
    assert section.lower() in headings, (doc, section)


def test_rows_a_translated_file_left_untranslated_are_counted(translated_run, tmp_path):
    """A file that translates some rows and not others (no route for their language: the
    translator leaves them empty) was scored with no word of the rows read on their bare
    query, and predict_file said bare_rows=0; only a file without the column was counted."""
    from shoprel.predict.predictor import predict_file

    run, _ = translated_run
    rows = [json.loads(line) for line in
            (run.parent / "translated.jsonl").read_text(encoding="utf-8").splitlines()]
    left = [i for i, row in enumerate(rows) if row["language"] != "en"][:7]
    for i, empty in zip(left, [None, "", " ", None, "", None, ""], strict=True):
        rows[i]["translated_query"] = empty
    rows[left[-1]].pop("translated_query")  # a row without the field, as a JSON file may have
    source = tmp_path / "partly.jsonl"
    source.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    result = predict_file(run, source, tmp_path / "p.jsonl", progress=False)
    assert result.bare_rows == len(left) == 7 and result.rows == len(rows)
    done = CliRunner().invoke(predict, [str(run), str(source), "--out",
                                        str(tmp_path / "q.jsonl"), "--quiet"])
    assert done.exit_code == 0, done.output
    assert result.bare_languages == dict(Counter(rows[i]["language"] for i in left)
                                         .most_common())
    assert result.translation_column
    # the file went through a translator already: told to run `shoprel translate` on it, its
    # user would get the same empty rows again; the languages say which had no route
    by_language = ", ".join(f"{lang} {n}" for lang, n in sorted(
        result.bare_languages.items(), key=lambda item: (-item[1], item[0])))  # ties by code
    assert done.stderr.splitlines()[0] == (
        f"warning: 7 of {len(rows)} rows scored on the bare query ({by_language}): the run was "
        f"trained with translations and {source} leaves their translated_query empty "
        "(`shoprel translate` does so where it has no route from a row's language)")
    whole = predict_file(run, run.parent / "translated.jsonl", tmp_path / "t.jsonl",
                         progress=False)
    assert whole.bare_rows == 0  # English rows carry their own query as translation


@pytest.mark.parametrize("quiet", [False, True])
def test_rows_with_a_null_or_empty_text_are_noted_in_trains_words(trained_runs, qc_demo,
                                                                     tmp_path, quiet):
    """predict scored a null category_path (or query) as an empty text and said nothing, where
    train notes such rows; now one note, in train's words, left out under --quiet as train's."""
    import pandas as pd

    rows = [json.loads(line) for line in qc_demo.read_text(encoding="utf-8").splitlines()]
    rows[3]["category_path"] = None
    rows[5]["origin_query"] = ""
    rows[8]["category_path"] = None
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                      encoding="utf-8")
    table = tmp_path / "in.parquet"  # a Parquet file's records are rows, as its errors say
    pd.DataFrame(rows).to_parquet(table)
    for given, position in ((source, "line"), (table, "row")):
        done = CliRunner().invoke(predict, [str(trained_runs["QC"]), str(given), "--out",
                                            str(tmp_path / f"p{given.suffix}"),
                                            *(["--quiet"] if quiet else [])])
        assert done.exit_code == 0, done.output
        notes = [line for line in without_bars(done.stderr).splitlines() if "note:" in line]
        assert notes == ([] if quiet else [
            f"note: {given} holds 1 row with an empty query and 2 with an empty target, the "
            f"first at {position} 4 (scored as empty texts)"])
        assert done.stdout.startswith(f"{len(rows)} rows scored")


def test_an_input_from_a_pipe_is_scored_as_its_file_and_train_says_what_to_do(trained_runs,
                                                                           qc_demo, tmp_path):
    """`predict RUN <(zcat rows.jsonl.gz)` was refused ('is not a regular file'): a pipe is now
    copied once and scored; train, whose run records its file for later commands to read again,
    says to write it to a file first, and nothing is written."""
    import os

    from tests.data.test_spool import feed

    from shoprel.cli import main

    run = str(trained_runs["QC"])
    from_file = CliRunner().invoke(predict, [run, str(qc_demo), "--out",
                                             str(tmp_path / "f.jsonl"), "--quiet"])
    assert from_file.exit_code == 0, from_file.output
    pipe = tmp_path / "63"
    os.mkfifo(pipe)
    writer = feed(pipe, qc_demo.read_bytes())
    from_pipe = CliRunner().invoke(predict, [run, str(pipe), "--out", str(tmp_path / "p.jsonl"),
                                             "--quiet"])
    writer.join(5)
    assert from_pipe.exit_code == 0, from_pipe.output
    assert (tmp_path / "p.jsonl").read_bytes() == (tmp_path / "f.jsonl").read_bytes()
    assert from_pipe.stdout.replace("p.jsonl", "f.jsonl") == from_file.stdout
    refused = CliRunner().invoke(main, ["train", str(pipe), "--out", str(tmp_path / "run")])
    assert refused.exit_code == 2
    assert refused.stderr == (f"error: {pipe}: is a pipe or standard input, which only predict, "
                              "evaluate and check-submission read: write it to a file "
                              "first and give that file (a .gz, .bz2 or .xz file is read as "
                              "it is)\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["63", "f.jsonl", "p.jsonl"]


def test_the_bare_query_warning_gives_the_country_code_hint_once(translated_run, tmp_path):
    """Rows tagged 'kr' scored on their bare query were warned of with no word of 'ko', which
    predict's new-language warning gives; each warning naming them now appends the hint, said
    once where both name 'kr'."""
    run, bare = translated_run
    rows = [json.loads(line) for line in bare.read_text(encoding="utf-8").splitlines()]
    for row in rows[:20]:
        row["language"] = "kr"
    source = tmp_path / "kr.jsonl"
    source.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                      encoding="utf-8")
    done = CliRunner().invoke(predict, [str(run), str(source), "--out",
                                        str(tmp_path / "p.jsonl"), "--quiet"])
    assert done.exit_code == 0, done.output
    lines = done.stderr.splitlines()
    hint = "hint: 'kr' is Kanuri; Korean is 'ko'"
    assert lines[0].startswith(f"warning: {ROWS} of {ROWS} rows scored on the bare query (")
    assert "query (kr 20, " in lines[0] and lines[1] == hint
    assert lines[2].startswith("warning: 20 rows in a language absent from the training file "
                               "(kr 20): ")
    assert lines.count(hint) == 1 and len(lines) == 3


def test_one_row_is_counted_as_one_row(trained_runs, qc_demo, tmp_path):
    """predict said "1 rows scored" of a one-row file, and check-submission "ok: 1 rows match"
    of its scores."""
    from shoprel.cli.predict import check_submission_cmd

    source = tmp_path / "one.jsonl"
    source.write_text(qc_demo.read_text(encoding="utf-8").splitlines(keepends=True)[0],
                      encoding="utf-8")
    out = tmp_path / "p.jsonl"
    done = CliRunner().invoke(predict, [str(trained_runs["QC"]), str(source), "--out", str(out),
                                        "--quiet"])
    assert done.exit_code == 0, done.output
    assert done.stdout.startswith("1 row scored, ")
    done = CliRunner().invoke(check_submission_cmd, [str(out), "--input", str(source)])
    assert (done.exit_code, done.stdout) == (0, f"ok: 1 row matches {source}\n")

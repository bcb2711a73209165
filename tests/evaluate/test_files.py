"""`shoprel evaluate` on files: predictions matched to the gold file's rows, and predictions of
another file (the other task, other ids, other queries under the same ids) refused."""

from __future__ import annotations

import gzip
import json
import os
import threading

import pytest

from shoprel.errors import ConfigError, InputError
from shoprel.evaluate.files import evaluate_files

QUERIES = ["funda iphone", "water bottle", "car tyre", "lampara led", "zapatos", "mesa"]


def _write(path, rows):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    return path


@pytest.fixture
def gold(tmp_path):
    return _write(tmp_path / "gold.jsonl", [
        {"id": i, "task": "QC", "language": "es", "origin_query": q,
         "category_path": "home,kitchen", "label": i % 2} for i, q in enumerate(QUERIES)])


def _predictions(tmp_path, name="pred.jsonl", **change):
    rows = [{"id": i, "language": "es", "origin_query": q, "category_path": "home,kitchen",
             "prediction": i % 2, "probability": 0.2 + 0.1 * (i % 2)}
            for i, q in enumerate(QUERIES)]
    for row in rows:
        for key, value in change.items():
            row[key] = value(row) if callable(value) else value
    return _write(tmp_path / name, rows)


def test_predictions_of_the_gold_rows_are_scored(tmp_path, gold):
    metrics = evaluate_files(_predictions(tmp_path), gold)
    assert metrics["overall"]["n"] == 6 and metrics["overall"]["f1"] == 1.0
    bare = tmp_path / "bare.csv"  # another tool's file: ids and predictions alone
    bare.write_text("id,prediction\n" + "".join(f"{i},{i % 2}\n" for i in range(6)))
    assert evaluate_files(bare, gold)["overall"]["f1"] == 1.0
    spaced = _predictions(tmp_path, "spaced.jsonl",
                          origin_query=lambda r: f"  {r['origin_query'].upper()} ")
    assert evaluate_files(spaced, gold)["overall"]["n"] == 6  # case and spaces aside


def test_predictions_of_another_file_are_refused(tmp_path, gold):
    qc = [json.loads(line) for line in _predictions(tmp_path).read_text().splitlines()]
    qi = _write(tmp_path / "qi.jsonl", [{**{k: v for k, v in r.items() if k != "category_path"},
                                         "item_title": "cordless drill"} for r in qc])
    with pytest.raises(InputError, match="hold item_title texts, but the gold file is a QC"):
        evaluate_files(qi, gold)
    shifted = _predictions(tmp_path, "shifted.jsonl",
                           origin_query=lambda r: QUERIES[(r["id"] + 1) % 6])
    with pytest.raises(InputError, match="6 row.s. have other queries than the gold file"):
        evaluate_files(shifted, gold)
    # a category path edited on the way (check-submission refuses it) is no gold row either
    edited = _predictions(tmp_path, "edited.jsonl", category_path=lambda r: (
        "home & garden,kitchen" if r["id"] == 4 else r["category_path"]))
    with pytest.raises(InputError, match="1 row.s. have other category_paths than the gold "
                                         "file under the same id, e.g. id 4: 'home & "
                                         "garden,kitchen', but .*gold.jsonl, line 5"):
        evaluate_files(edited, gold)
    cased = _predictions(tmp_path, "cased.jsonl",
                         category_path=lambda r: f" {r['category_path'].upper()}  ")
    assert evaluate_files(cased, gold)["overall"]["n"] == 6  # case and spaces aside
    texts = _predictions(tmp_path, "text_ids.jsonl", id=lambda r: f"g{r['id']}")
    with pytest.raises(InputError, match="6 gold id.s. have no prediction, e.g. 0, 1"):
        evaluate_files(texts, gold)  # text ids against number ids: one line, not pandas'


def test_a_task_column_naming_the_other_task_is_refused(tmp_path, gold):
    """A `task` column of "QI" rows against a QC gold file was ignored, and the rows scored;
    now one line naming the file, the first such line and the field (the same check as
    check-submission's)."""
    agreeing = _predictions(tmp_path, "qc.jsonl", task=lambda r: ["QC", "qc", ""][r["id"] % 3])
    assert evaluate_files(agreeing, gold)["overall"]["n"] == 6
    mixed = _predictions(tmp_path, "mixed.jsonl", task=lambda r: "QI" if r["id"] >= 4 else "QC")
    with pytest.raises(InputError) as raised:
        evaluate_files(mixed, gold)
    assert str(raised.value) == (f"{mixed}, line 5, field 'task': task is 'QI' but the gold "
                                 "file is QC; evaluate predictions of QI pairs against their "
                                 "own gold file")


def test_other_texts_under_a_gold_id_are_named_at_their_line_in_both_files(tmp_path, gold):
    """'1 row(s) have other queries ..., e.g. id 4' named neither line: the user looked the id
    up in both files. The prediction's line leads the error and the gold row's line follows,
    in another order than the gold file's, and as a row in a Parquet gold file."""
    import pandas as pd

    rows = [json.loads(line) for line in _predictions(tmp_path).read_text().splitlines()]
    rows[4]["origin_query"] = "zapatillas"
    reordered = _write(tmp_path / "reordered.jsonl", rows[::-1])  # id 4 on line 2
    said = ("1 row(s) have other queries than the gold file under the same id, e.g. id 4: "
            "'zapatillas', but {gold}, {place} 5, field 'origin_query' holds 'zapatos': "
            "predictions of another file?")
    with pytest.raises(InputError) as raised:
        evaluate_files(reordered, gold)
    assert str(raised.value) == f"{reordered}, line 2, field 'origin_query': " + said.format(
        gold=gold, place="line")
    parquet_gold = tmp_path / "gold.parquet"
    pd.DataFrame([json.loads(line) for line in gold.read_text().splitlines()]
                 ).to_parquet(parquet_gold)
    with pytest.raises(InputError) as raised:
        evaluate_files(reordered, parquet_gold)
    assert str(raised.value) == f"{reordered}, line 2, field 'origin_query': " + said.format(
        gold=parquet_gold, place="row")


def test_parquet_predictions_and_gold_count_rows_not_lines(tmp_path, gold):
    """A Parquet predictions file's errors said 'line N'; now 'row N' (1-based), as a Parquet
    gold file's errors already did."""
    import pandas as pd

    rows = [json.loads(line) for line in _predictions(tmp_path).read_text().splitlines()]
    predictions = tmp_path / "pred.parquet"
    pd.DataFrame([*rows[:5], {**rows[5], "id": 0}]).to_parquet(predictions)
    with pytest.raises(InputError) as raised:
        evaluate_files(predictions, gold)
    assert str(raised.value) == f"{predictions}, row 6, field 'id': duplicate id 0 (first " \
                                "seen on row 1)"
    gold_rows = [json.loads(line) for line in gold.read_text().splitlines()]
    parquet_gold = tmp_path / "gold.parquet"
    pd.DataFrame([*gold_rows[:2], {**gold_rows[2], "label": 7}, *gold_rows[3:]]
                 ).to_parquet(parquet_gold)
    with pytest.raises(InputError, match=r"gold.parquet, row 3, field 'label': "):
        evaluate_files(_predictions(tmp_path), parquet_gold)


def test_the_two_files_given_in_the_other_order_are_told_so(tmp_path, gold):
    """`evaluate gold.jsonl pred.jsonl` said only that pred.jsonl has no label column; it now
    says that file holds predictions and which file goes first."""
    predictions = _predictions(tmp_path)
    with pytest.raises(InputError) as caught:
        evaluate_files(gold, predictions)
    assert str(caught.value) == (
        f"{predictions}, line 1, field 'label': missing required column (labels: needed to "
        f"train, or to score predictions against); {predictions} holds predictions: give the "
        "predictions first and the labelled gold file second")
    unlabelled = _write(tmp_path / "test.jsonl", [
        {k: v for k, v in json.loads(line).items() if k != "label"}
        for line in gold.read_text().splitlines()])  # a test file given as gold: no hint
    with pytest.raises(InputError) as caught:
        evaluate_files(predictions, unlabelled)
    assert str(caught.value).endswith(  # what the file holds instead, and what to do
        "score predictions against); the file has 'id', 'task', 'language', 'origin_query', "
        "'category_path': add a column 'label', or rename the one that holds it")


def test_a_gold_file_of_one_label_is_scored_without_an_auc(tmp_path):
    """Training needs both labels; scoring predictions does not (F1, precision and recall are
    defined, ROC-AUC is not)."""
    gold = _write(tmp_path / "gold.jsonl", [
        {"id": i, "task": "QC", "language": "es", "origin_query": q,
         "category_path": "home,kitchen", "label": 1} for i, q in enumerate(QUERIES)])
    metrics = evaluate_files(_predictions(tmp_path), gold)["overall"]
    assert metrics["n"] == 6 and metrics["recall"] == 0.5 and metrics["roc_auc"] is None


def test_a_probability_missing_from_the_first_row_is_an_error_not_a_dropped_column(tmp_path,
                                                                                   gold):
    path = _predictions(tmp_path)
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    del rows[0]["probability"]
    with pytest.raises(InputError, match=r"line 1, field 'probability': missing$"):
        evaluate_files(_write(tmp_path / "first.jsonl", rows), gold)


@pytest.mark.parametrize(("written", "said"), [
    ("1.5", "1.5 is out of range; it must be at most 1"),
    ("-0.25", "-0.25 is out of range; it must be at least 0"),
    ("2.50", "2.50 is out of range; it must be at most 1"),
    ("NaN", "NaN is not a number"),
    ("Infinity", "Infinity is not a finite number"),
    # said "missing or not a number" of a value that is there, and read true as 1.0
    ("null", "null is not a number"),
    ("true", "true is not a number"),
    ('"high"', "'high' is not a number"),
])
def test_a_probability_past_its_bounds_is_said_as_any_bound_is(tmp_path, gold, written, said):
    """It said "must be a probability in [0, 1], got 1.5" where run.json's threshold said
    "between 0 and 1" and an option "it must be at most 1": now the one sentence of
    utils/bounds.py, with the value as the file wrote it."""
    lines = _predictions(tmp_path).read_text().splitlines()
    first = json.loads(lines[0])
    lines[0] = (f'{{"id": {first["id"]}, "prediction": {first["prediction"]}, '
                f'"probability": {written}}}')
    path = tmp_path / "past.jsonl"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError) as caught:
        evaluate_files(path, gold)
    assert str(caught.value) == f"{path}, line 1, field 'probability': {said}"


def _refused_as_check_submission_refuses(tmp_path, suffix, rows, gold):
    """(path, evaluate's refusal) of rows written as JSON lines or Parquet, after checking the
    refusal is check-submission's first problem with the same file."""
    import pandas as pd

    from shoprel.data.submission import check_submission

    path = tmp_path / f"texts{suffix}"
    if suffix == ".parquet":
        pd.DataFrame(rows).to_parquet(path)
    else:
        _write(path, rows)
    with pytest.raises(InputError) as caught:
        evaluate_files(path, gold)
    assert check_submission(path, gold).problems[0] == str(caught.value)
    return path, str(caught.value)


@pytest.mark.parametrize("suffix", [".jsonl", ".parquet"])
@pytest.mark.parametrize(("value", "said"), [("0.5", "'0.5' is not a number"),
                                             (True, "true is not a number")])
def test_a_typed_probability_is_the_number_itself_as_check_submission_reads_it(
        tmp_path, gold, suffix, value, said):
    """A probability written as text ("0.5") in JSON lines or Parquet was scored, where
    check-submission refuses that file: both now refuse it in one sentence."""
    rows = [json.loads(line) for line in
            _predictions(tmp_path, probability=value).read_text().splitlines()]
    path, refusal = _refused_as_check_submission_refuses(tmp_path, suffix, rows, gold)
    assert refusal == f"{path}, {'row' if suffix == '.parquet' else 'line'} 1, field " \
                      f"'probability': {said}"


def test_a_csv_probability_is_text_read_as_its_number(tmp_path, gold):
    path = tmp_path / "pred.csv"
    path.write_text("id,prediction,probability\n" + "".join(
        f"{i},{i % 2},{0.2 + 0.1 * (i % 2):.1f}\n" for i in range(len(QUERIES))))
    assert evaluate_files(path, gold)["overall"]["roc_auc"] == 1.0


def test_a_csv_probability_in_other_digits_is_refused_as_check_submission_refuses_it(
        tmp_path, gold):
    """'０.３' (fullwidth) was scored as 0.3, where a grader's reader takes the cell for text."""
    path = tmp_path / "pred.csv"
    path.write_text("id,prediction,probability\n" + "".join(
        f"{i},{i % 2},{'０.３' if i == 0 else '0.5'}\n" for i in range(len(QUERIES))))
    with pytest.raises(InputError) as caught:
        evaluate_files(path, gold)
    assert str(caught.value) == (f"{path}, line 2, field 'probability': '０.３' is not a number "
                                 "(digits 0-9 only, no '_': write 0.3)")


@pytest.mark.parametrize(("written", "said"), [
    ("null", "null"), ("[1]", "a list"), ("2.50", "2.50"), ("true", "true"), ('"yes"', "'yes'"),
])
def test_a_prediction_not_0_or_1_is_said_in_the_files_words(tmp_path, gold, written, said):
    """It said Python's words ('got None', 'got [1]', 'got 2.5'), where check-submission says
    the same value as the file wrote it ('got null', 'got a list')."""
    lines = _predictions(tmp_path).read_text().splitlines()
    lines[2] = f'{{"id": 2, "prediction": {written}, "probability": 0.2}}'
    path = tmp_path / "odd.jsonl"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError) as caught:
        evaluate_files(path, gold)
    assert str(caught.value) == \
        f"{path}, line 3, field 'prediction': must be the number 0 or 1, got {said}"


@pytest.mark.parametrize("suffix", [".jsonl", ".parquet"])
@pytest.mark.parametrize(("value", "said"), [("1", "'1'"), (1.0, "1.0")])
def test_a_typed_prediction_is_the_whole_number_as_check_submission_reads_it(
        tmp_path, gold, suffix, value, said):
    """A prediction written as text ("1") in JSON lines or Parquet was scored, where
    check-submission refuses that file: both now refuse it in one sentence."""
    rows = [json.loads(line) for line in _predictions(tmp_path).read_text().splitlines()]
    if suffix == ".parquet":  # a column of one kind: every row's prediction so written
        rows = [{**row, "prediction": value} for row in rows]
    else:
        rows[1]["prediction"] = value
    path, refusal = _refused_as_check_submission_refuses(tmp_path, suffix, rows, gold)
    where = "row 1" if suffix == ".parquet" else "line 2"
    assert refusal == f"{path}, {where}, field 'prediction': must be the number 0 or 1, got {said}"


def test_a_csv_prediction_is_text_read_as_its_number(tmp_path, gold):
    """A CSV holds text only: "1" is read as 1."""
    path = tmp_path / "pred.csv"
    path.write_text("id,prediction\n" + "".join(f"{i},{i % 2}\n" for i in range(len(QUERIES))))
    assert evaluate_files(path, gold)["overall"]["f1"] == 1.0


def test_a_csv_float_prediction_is_refused_as_check_submission_refuses_it(tmp_path, gold):
    """A float column's "1.0" was scored by evaluate and refused by check-submission: a grader
    need not read it, so both refuse it in one sentence naming file, line and field."""
    from shoprel.data.submission import check_submission

    path = tmp_path / "pred.csv"
    path.write_text("id,prediction\n" + "".join(
        f"{i},{i % 2}{'.0' if i == 3 else ''}\n" for i in range(len(QUERIES))))
    with pytest.raises(InputError) as caught:
        evaluate_files(path, gold)
    said = f"{path}, line 5, field 'prediction': must be the number 0 or 1, got '1.0'"
    assert str(caught.value) == said
    assert check_submission(path, gold).problems == [said]


def test_a_predicted_id_not_in_the_gold_file_is_named_with_its_line(tmp_path, gold):
    rows = [json.loads(line) for line in _predictions(tmp_path).read_text().splitlines()]
    rows.append({**rows[0], "id": 99})
    with pytest.raises(InputError, match=r"extra.jsonl, line 7, field 'id': 1 predicted id.s. "
                                         r"are not in the gold file .*, e.g. id 99"):
        evaluate_files(_write(tmp_path / "extra.jsonl", rows), gold)


def test_a_predicted_id_that_replaced_a_gold_id_is_named_with_its_line(tmp_path, gold):
    """An id mangled on the way is both an extra and a missing id: it named only the gold id
    without a prediction, and no line; the line of the id the gold file lacks comes first."""
    rows = [json.loads(line) for line in _predictions(tmp_path).read_text().splitlines()]
    rows[3]["id"] = 99
    path = _write(tmp_path / "mangled.jsonl", rows)
    with pytest.raises(InputError) as caught:
        evaluate_files(path, gold)
    assert str(caught.value) == (f"{path}, line 4, field 'id': 1 predicted id(s) are not in the "
                                 f"gold file {gold}, e.g. id 99; 1 gold id(s) have no "
                                 "prediction, e.g. 3")


def test_the_console_says_what_base_f1_is_and_why_an_auc_is_missing(tmp_path, gold):
    from shoprel.evaluate.console import evaluation_notes

    notes = evaluation_notes(evaluate_files(_predictions(tmp_path), gold))
    assert notes == ["base F1: the F1 of answering 1 (relevant) for every row; per category: "
                     "--json"]
    bare = tmp_path / "bare.csv"
    bare.write_text("id,prediction\n" + "".join(f"{i},1\n" for i in range(6)))
    notes = evaluation_notes(evaluate_files(bare, gold))
    assert "every row is predicted relevant" in notes[1]
    assert notes[2] == "note: no ROC-AUC: the predictions have no probability column"


def test_evaluate_json_lists_languages_in_the_console_tables_order(tmp_path):
    """`evaluate --json` kept value_counts' order (untagged rows first when most numerous,
    ties as met) while the table printed beside it listed them by rows, untagged last."""
    from shoprel.evaluate.console import metrics_table

    languages = ["unk", "unk", "unk", "pt", "es", "pt", "es", "fr"]
    rows = [{"id": i, "task": "QC", "language": lang, "origin_query": f"{QUERIES[i % 6]} {i}",
             "category_path": "home,kitchen", "label": i % 2} for i, lang in enumerate(languages)]
    gold = _write(tmp_path / "gold8.jsonl", rows)
    pred = _write(tmp_path / "pred8.jsonl", [{"id": r["id"], "prediction": 1} for r in rows])
    metrics = evaluate_files(pred, gold)
    table = [line.split()[0] for line in metrics_table(metrics).splitlines()[3:]]
    assert list(metrics["per_language"]) == table == ["es", "pt", "fr", "unk"]


def test_a_run_whose_fold_models_learnt_nothing_says_so():
    """Constant out-of-fold scores (too few rows) make AUC 0.5 and F1 a constant answer's:
    the metrics carry the value, the console and report say it."""
    import pandas as pd

    from shoprel.data.tasks import Task
    from shoprel.evaluate.console import constant_scores_line
    from shoprel.evaluate.report.verdict import verdict_section
    from shoprel.evaluate.run_metrics import run_metrics

    oof = pd.DataFrame({"id": range(8), "fold": [0, 1] * 4, "label": [0, 1, 1, 0, 1, 1, 0, 1],
                        "language": "es", "probability": 0.5167})
    metrics = run_metrics(oof, 0.5, Task.QI)
    assert metrics["constant_probability"] == 0.5167
    assert constant_scores_line(metrics).startswith("warning: every out-of-fold probability "
                                                    "is 0.5167")
    assert "Every out-of-fold probability is" in verdict_section(metrics, "run")
    varied = run_metrics(oof.assign(probability=[0.1 * i for i in range(8)]), 0.5, Task.QI)
    assert "constant_probability" not in varied and constant_scores_line(varied) is None


def test_a_predictions_id_column_spelled_otherwise_is_named(tmp_path, jsonl, qc_rows):
    gold = jsonl(tmp_path / "gold.txt", qc_rows)
    predictions = tmp_path / "p.csv"
    predictions.write_text("Id,prediction\n1,1\n2,1\n3,0\n")
    with pytest.raises(InputError, match=r"p\.csv, line 1, field 'id': missing required "
                                         r"column; the file has 'Id': name the column 'id'"):
        evaluate_files(predictions, gold)


@pytest.mark.parametrize("column", ["label", "pred"])
def test_predictions_in_a_column_other_tools_name_are_told_its_name(tmp_path, jsonl, qc_rows,
                                                                     column):
    """A submission made by hand as many competitions head it, `id,label`, was told only that
    'prediction' is missing; the column to rename is named, by evaluate as by
    check-submission."""

    gold = jsonl(tmp_path / "gold.txt", qc_rows)
    predictions = tmp_path / "p.csv"
    predictions.write_text(f"id,{column}\n1,1\n2,1\n3,0\n")
    said = (f"p.csv, line 1, field 'prediction': missing required column; the file has "
            f"{column!r}: name the column 'prediction'")
    both_refuse(predictions, gold, said)


@pytest.mark.parametrize(("name", "separator", "said"), [
    ("p.csv", ";", "';'"),  # a spreadsheet saved where ';' parts columns
    ("p.tsv", ",", "','"),  # a CSV given a .tsv name
])
def test_predictions_whose_columns_another_separator_parts_say_so(tmp_path, jsonl, qc_rows,
                                                                  name, separator, said):
    """A submission saved with ';' between its columns, none of whose rows holds a ','
    (QI titles, or no texts at all), reads whole as one column: evaluate and
    check-submission said only "field 'id': missing required column" of a header that plainly
    names it; they now say what parts its columns, as the readers of the other files do."""

    gold = jsonl(tmp_path / "gold.txt", qc_rows)
    predictions = tmp_path / name
    header = separator.join(["id", "prediction", "probability"])
    predictions.write_text(header + "\n" + "".join(
        f"{i}{separator}1{separator}0.7\n" for i in (1, 2, 3)))
    expected = (f"{name}, line 1, field 'id': missing required column (the header is one column, "
                f"{header!r}: its columns are parted by {said}, which this file type does not "
                "read (.csv is read with ',', .tsv with tabs); "
                + {"';'": "save it again with ',' between columns (a spreadsheet's \"CSV "
                          "(comma delimited)\"))",
                   "','": "name the file .csv, or save it with tabs between columns)"}[said])
    both_refuse(predictions, gold, expected)


def test_predictions_whose_ids_a_spreadsheet_wrote_in_scientific_notation_say_so(
        tmp_path, jsonl, qc_rows):
    """A submission of long ids (a marketplace's item ids) opened in a spreadsheet and saved
    holds '1.01E+15' for each: evaluate said "duplicate id '1.01E+15'" and check-submission
    listed every row as not in the input and repeated, where predict and train say what
    the spreadsheet did to such an id; both now say it, in one line at the first such row."""

    rows = [dict(row, id=1005004567891231 + i) for i, row in enumerate(qc_rows)]
    gold = jsonl(tmp_path / "gold.txt", rows)
    predictions = tmp_path / "p.csv"
    predictions.write_text("id,prediction,probability\n" + "1.01E+15,1,0.7\n" * len(rows))
    expected = ("p.csv, line 2, field 'id': id '1.01E+15' is a number in scientific notation, "
                "as a spreadsheet shows a long id, whose last digits it drops on saving: take "
                "the ids from the original file, or format the id column as text before saving")
    both_refuse(predictions, gold, expected)


@pytest.mark.parametrize(("value", "said"), [
    (True, "true is not an id; an id must be text or a whole number"),
    ("", "an empty text is not an id; an id must be text or a whole number"),
    (None, "null is not an id; an id must be text or a whole number"),
    ([1], "a list is not an id; an id must be text or a whole number"),
    (2.5, "2.5 is not a whole number; an id must be text or a whole number"),
    (2**70, "an id number must fit in 64 bits: 1180591620717411303424 does not fit"),
    ("\ud800", r"an id text contains a lone surrogate \(U\+D800\) at position 0"),
])
def test_a_predicted_id_no_id_can_be_is_refused_as_the_gold_file_refuses_it(tmp_path, gold,
                                                                            value, said):
    """Predictions' ids were read without the id rule: an empty text or a lone surrogate was
    taken (then missing from the gold file), 2**70 too, and true, null or 2.5 were refused in
    Python's words ('must be a number or a text, got True')."""
    def with_id(source, name):  # JSON's \ud800 escape: no UTF-8 text holds the character
        rows = [json.loads(line) for line in source.read_text().splitlines()]
        rows[2]["id"] = value
        (tmp_path / name).write_text("".join(json.dumps(row) + "\n" for row in rows))
        return tmp_path / name

    predictions = _predictions(tmp_path)
    with pytest.raises(InputError, match=rf"bad\.jsonl, line 3, field 'id': {said}"):
        evaluate_files(with_id(predictions, "bad.jsonl"), gold)
    with pytest.raises(InputError, match=rf"gold2\.jsonl, line 3, field 'id': {said}"):
        evaluate_files(predictions, with_id(gold, "gold2.jsonl"))


def test_a_qi_file_is_not_told_of_figures_per_category(tmp_path, gold, real_qi):
    """`evaluate` told every file "per category: --json", though a QI file has no categories
    and its --json holds no per-category block: only a QC file's note points there."""
    from click.testing import CliRunner

    from shoprel.cli import main

    rows = [json.loads(line) for line in real_qi.read_text().splitlines()[:40]]
    gold_qi = _write(tmp_path / "gold_QI.jsonl", rows)
    predicted = _write(tmp_path / "pred_QI.jsonl", [
        {"id": r["id"], "prediction": 1, "probability": 0.3 + 0.4 * r["label"]} for r in rows])
    result = CliRunner().invoke(main, ["evaluate", str(predicted), str(gold_qi)])
    assert result.exit_code == 0, result.output
    assert "base F1: the F1 of answering 1 (relevant) for every row\n" in result.output
    assert "per category" not in result.output
    assert "per_category" not in evaluate_files(predicted, gold_qi)
    qc = CliRunner().invoke(main, ["evaluate", str(_predictions(tmp_path)), str(gold)])
    assert qc.exit_code == 0 and "; per category: --json\n" in qc.output


def _piped(tmp_path, data: bytes) -> tuple:
    """A named pipe with no suffix (what `<(zcat pred.jsonl.gz)` gives) and its writer."""
    pipe = tmp_path / "63"
    os.mkfifo(pipe)

    def write():
        with open(pipe, "wb") as fh:
            fh.write(data)
    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    return pipe, writer


def test_a_pipe_or_a_compressed_file_is_read_as_predict_reads_its_input(tmp_path, gold):
    """`evaluate <(zcat pred.jsonl.gz) gold.jsonl.gz` was refused ('is a pipe or standard
    input, which only predict and check-submission's --input read'): each file is now read
    as predict reads its input, and named as given."""
    predictions = _predictions(tmp_path)
    from_files = evaluate_files(predictions, gold)
    packed = tmp_path / "gold.jsonl.gz"
    packed.write_bytes(gzip.compress(gold.read_bytes()))
    pipe, writer = _piped(tmp_path, predictions.read_bytes())
    piped = evaluate_files(pipe, packed)
    writer.join(5)
    assert (piped["predictions"], piped["gold"]) == (str(pipe), str(packed))
    assert {k: v for k, v in piped.items() if k not in ("predictions", "gold")} == {
        k: v for k, v in from_files.items() if k not in ("predictions", "gold")}


def test_an_error_in_a_piped_file_names_the_pipe_or_stdin(tmp_path, gold):
    rows = [json.loads(line) for line in _predictions(tmp_path).read_text().splitlines()]
    rows[2]["prediction"] = 2
    pipe, writer = _piped(tmp_path, "".join(json.dumps(r) + "\n" for r in rows).encode())
    with pytest.raises(InputError) as caught:
        evaluate_files(pipe, gold)
    writer.join(5)
    assert str(caught.value).startswith(f"{pipe}, line 3, field 'prediction': ")
    saved = os.dup(0)
    try:
        with open(_predictions(tmp_path), "rb") as fh:
            os.dup2(fh.fileno(), 0)  # `evaluate gold.jsonl - < pred.jsonl`: the other order
        with pytest.raises(InputError, match="; stdin holds predictions: give the predictions "
                                             "first"):
            evaluate_files(gold, "-")
        with pytest.raises(ConfigError, match="^predictions and gold are both standard input"):
            evaluate_files("-", "/dev/stdin")
    finally:
        os.dup2(saved, 0)
        os.close(saved)


@pytest.mark.parametrize("stdin", ["/dev/fd/0", "/proc/self/fd/0"])
def test_both_files_from_stdin_by_its_fd_name_is_one_line(tmp_path, gold, stdin):
    """`-` and /dev/stdin were told apart from /dev/fd/0 and /proc/self/fd/0, the same standard
    input: `evaluate - /dev/fd/0` read it twice, the second time from its start (a file) or
    its end (a pipe), and said something else."""
    from click.testing import CliRunner

    from shoprel.cli.app import main

    saved = os.dup(0)
    try:
        with open(_predictions(tmp_path), "rb") as fh:
            os.dup2(fh.fileno(), 0)
        done = CliRunner().invoke(main, ["evaluate", "-", stdin])
    finally:
        os.dup2(saved, 0)
        os.close(saved)
    assert (done.exit_code, done.stderr) == (2, "error: predictions and gold are both standard "
                                             "input, which is read once: give one of them as a "
                                             "file\n")


def test_a_gzip_file_named_as_plain_is_told_the_name_evaluate_reads(tmp_path, gold):
    """gold.jsonl holding gzip bytes said 'is gzip-compressed, not text; decompress it first',
    though evaluate reads gold.jsonl.gz: still refused, the way out named (every reader reads
    a .gz file: data/compression.py)."""
    from click.testing import CliRunner

    from shoprel.cli.app import main

    gold.write_bytes(gzip.compress(gold.read_bytes()))
    done = CliRunner().invoke(main, ["evaluate", str(_predictions(tmp_path)), str(gold)])
    assert (done.exit_code, done.stderr) == (2, f"error: {gold}: is gzip-compressed, not text; "
                                             f"name it {gold.name}.gz, or decompress it first "
                                             f"(gzip -dc < {gold.name} > plain{gold.suffix}) "
                                             "and give the file inside\n")
    gold.rename(tmp_path / f"{gold.name}.gz")
    done = CliRunner().invoke(main, ["evaluate", str(_predictions(tmp_path)),
                                     str(tmp_path / f"{gold.name}.gz")])
    assert done.exit_code == 0, done.output


def test_spellings_of_one_language_tag_are_one_slice(tmp_path):
    """evaluate sliced 'pt', 'pt-br' and 'pt_br' as three languages (and 'vn' apart from 'vi')
    while predict's warnings grouped them; a region stays its own slice, as the run scores it."""
    tags = ["pt", "PT", "pt-br", "pt_BR", "vn", "vi"]
    gold = _write(tmp_path / "gold.jsonl", [
        {"id": i, "task": "QC", "language": tag, "origin_query": q,
         "category_path": "home,kitchen", "label": i % 2}
        for i, (tag, q) in enumerate(zip(tags, QUERIES, strict=True))])
    metrics = evaluate_files(_predictions(tmp_path), gold)
    assert {lang: m["n"] for lang, m in metrics["per_language"].items()} == {
        "pt": 2, "pt-BR": 2, "vi": 2}


def both_refuse(predictions, gold, said: str) -> None:
    """evaluate and check-submission refuse `predictions` alike, their line ending in `said`."""
    from shoprel.data.submission import check_submission

    for check in (evaluate_files, check_submission):
        with pytest.raises(InputError) as caught:
            check(predictions, gold)
        assert str(caught.value).endswith(said), check.__name__


@pytest.mark.parametrize(("name", "ids", "said"), [
    ("p.jsonl", ['"003"', '"003"'], "duplicate id '003' (first seen on line 4)"),
    ("p.jsonl", ['"003"', "3"], "duplicate id: 3 is the id '003' of line 4 (7, 7.0, \"7\" and "
                                "\"007\" are one id)"),
    ("p.csv", ["003", "003"], "duplicate id 003 (first seen on line 5)"),
    ("p.csv", ["3", "003"], "duplicate id: 003 is the id 3 of line 5 (7, 7.0, \"7\" and "
                            "\"007\" are one id)"),
])
def test_a_repeated_prediction_id_is_said_as_the_file_writes_it(tmp_path, gold, name, ids, said):
    """"003" twice was 'duplicate id 3', an id no line of the predictions holds: said as
    written now ('003', a CSV's bare 003, both spellings of 3 then 003), as the readers of
    the gold file say it."""
    path = tmp_path / name
    if name.endswith(".csv"):
        path.write_text("id,prediction\n0,0\n1,1\n2,0\n" + "".join(f"{i},1\n" for i in ids))
    else:
        path.write_text("".join(f'{{"id": {i}, "prediction": {i % 2}}}\n' for i in range(3))
                        + "".join(f'{{"id": {i}, "prediction": 1}}\n' for i in ids))
    line = 6 if name.endswith(".csv") else 5
    with pytest.raises(InputError) as raised:
        evaluate_files(path, gold)
    assert str(raised.value) == f"{path}, line {line}, field 'id': {said}"


def test_predictions_given_as_both_files_are_not_told_to_swap(tmp_path):
    """`evaluate sub.txt sub.txt` (or two submissions) was told 'give the predictions first and
    the labelled gold file second', though the predictions came first: swapping changes
    nothing. The advice names the gold file as what to change."""
    predictions = _predictions(tmp_path)
    with pytest.raises(InputError) as caught:
        evaluate_files(predictions, predictions)
    assert str(caught.value).endswith(
        f"; {predictions} holds predictions: it is the predictions file given again; give the "
        "labelled gold file second")
    other = _predictions(tmp_path, name="other.jsonl")
    with pytest.raises(InputError) as caught:
        evaluate_files(predictions, other)
    assert str(caught.value).endswith(
        f"; {other} holds predictions: as {predictions} does; give the labelled gold file second")


def test_ids_evaluate_names_are_said_as_their_files_write_them(tmp_path, jsonl, qc_rows):
    """A predicted id not in the gold file, gold ids without a prediction and the id of a row
    whose query differs were said by their keys ("e.g. id 9", "e.g. 2, 3"), which no line of
    files writing "009" and "002" holds; each is now said as its own file writes it."""
    gold = jsonl(tmp_path / "gold.txt", [{**row, "id": f"00{row['id']}"} for row in qc_rows])
    predictions = tmp_path / "p.csv"
    predictions.write_text("id,prediction\n001,1\n009,1\n")
    with pytest.raises(InputError) as caught:
        evaluate_files(predictions, gold)
    assert str(caught.value) == (
        f"{predictions}, line 3, field 'id': 1 predicted id(s) are not in the gold file "
        f"{gold}, e.g. id 009; 2 gold id(s) have no prediction, e.g. '002', '003'")
    predictions.write_text("id,prediction,origin_query\n001,1,x\n002,1,y\n003,1,z\n")
    with pytest.raises(InputError, match=r"under the same id, e\.g\. id 001: 'x', but "):
        evaluate_files(predictions, gold)

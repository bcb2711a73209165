import json
import re

import pandas as pd
import pytest

from shoprel.data.submission import check_submission


@pytest.fixture
def files(tmp_path, jsonl, qc_rows):
    source = jsonl(tmp_path / "test_QC.txt", [{k: v for k, v in r.items() if k != "label"}
                                              for r in qc_rows])
    good = [{"id": r["id"], "prediction": 1, "probability": 0.7} for r in qc_rows]
    return tmp_path, source, good


def _write(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_valid_submission_passes(files):
    tmp_path, source, good = files
    check = check_submission(_write(tmp_path / "s.txt", good), source)
    assert check.ok and check.rows == 3


def test_wrong_count_is_caught(files):
    tmp_path, source, good = files
    check = check_submission(_write(tmp_path / "s.txt", good[:2]), source)
    assert not check.ok
    assert any("2 rows, but" in p for p in check.problems)
    assert any("no prediction" in p for p in check.problems)


def test_wrong_count_is_said_past_the_limit_of_row_problems(tmp_path, jsonl):
    """A submission of another, longer file: its 30 rows of unknown ids fill the 20 problems
    shown, and the count and the missing ids, which say what happened, were dropped."""
    source = jsonl(tmp_path / "test_QC.txt", [
        {"id": i, "language": "en", "origin_query": f"q{i}", "category_path": "a,b"}
        for i in range(3)])
    sub = _write(tmp_path / "s.txt", [{"id": 100 + i, "prediction": 1} for i in range(30)])
    check = check_submission(sub, source)
    assert check.more_problems == 10 and len(check.problems) == 22
    assert check.problems[-2:] == [f"{sub}: 30 rows, but {source} has 3",
                                   f"{sub}: 3 input id(s) have no prediction, e.g. 0, 1, 2"]

def test_wrong_id_is_caught(files):
    tmp_path, source, good = files
    good[1]["id"] = 99
    check = check_submission(_write(tmp_path / "s.txt", good), source)
    assert any("line 2, field 'id': id 99 is not in " in p and "(expected id 2 there" in p
               for p in check.problems)


def test_swapped_order_is_caught(files):
    tmp_path, source, good = files
    good[0], good[1] = good[1], good[0]
    check = check_submission(_write(tmp_path / "s.txt", good), source)
    assert any("line 1, field 'id'" in p for p in check.problems)


@pytest.mark.parametrize("value", [2, 0.5, "yes", None, True])
def test_non_binary_prediction_is_caught(files, value):
    tmp_path, source, good = files
    good[2]["prediction"] = value
    check = check_submission(_write(tmp_path / "s.txt", good), source)
    assert any("line 3, field 'prediction'" in p for p in check.problems)


@pytest.mark.parametrize(("value", "message"), [
    ("1", "must be the number 0 or 1, got '1'"),
    (1.0, "must be the number 0 or 1, got 1.0"),
    ("drop", "missing"),
])
def test_a_typed_submission_holds_the_numbers_themselves(files, value, message):
    """JSON lines keep 1 and "1" apart, as a grader reading them does; a missing prediction
    is said to be missing."""
    tmp_path, source, good = files
    if value == "drop":
        del good[2]["prediction"]
    else:
        good[2]["prediction"] = value
    check = check_submission(_write(tmp_path / "s.txt", good), source)
    assert check.problems == [f"{tmp_path / 's.txt'}, line 3, field 'prediction': {message}"]


@pytest.mark.parametrize(("value", "message"), [
    # in the one sentence of every bound (utils/bounds.py), where it said 'must be the number
    # itself, within [0, 1], got ...' of its own
    ("0.5", "'0.5' is not a number"),
    (True, "true is not a number"),
])
def test_a_typed_submission_holds_the_probability_itself(files, value, message):
    """A JSON probability written as text ("0.5") was taken while a prediction written so
    ("1") was refused; both are refused the same way, naming the line and field."""
    tmp_path, source, good = files
    good[2]["probability"] = value
    check = check_submission(_write(tmp_path / "s.txt", good), source)
    assert check.problems == [f"{tmp_path / 's.txt'}, line 3, field 'probability': {message}"]


def test_a_csv_probability_is_text_and_passes(files):
    tmp_path, source, good = files
    path = tmp_path / "s.csv"
    path.write_text("id,prediction,probability\n" + "".join(f"{r['id']},1,0.5\n" for r in good))
    assert check_submission(path, source).ok


@pytest.mark.parametrize(("cell", "said"), [
    ("1.5", "1.5 is out of range; it must be at most 1"),
    ("1e400", "1e400 is not a finite number"),
    ("high", "'high' is not a number"),
])
def test_a_csv_probability_past_its_bounds_is_said_as_the_cell_holds_it(files, cell, said):
    """A CSV holds text only: a cell read as a number is shown as written, not quoted as a
    text, in the sentence of every bound; one that is no number at all is quoted."""
    tmp_path, source, good = files
    path = tmp_path / "s.csv"
    cells = ["0.5", cell] + ["0.5"] * (len(good) - 2)
    path.write_text("id,prediction,probability\n" + "".join(
        f"{r['id']},1,{c}\n" for r, c in zip(good, cells, strict=True)))
    assert check_submission(path, source).problems == [
        f"{path}, line 3, field 'probability': {said}"]


def test_a_csv_probability_in_other_digits_is_refused_as_a_grader_reads_it(files):
    """Python's float() reads Arabic-Indic and fullwidth digits and '_' ("٠.٥", "０.５",
    "0.2_5"): such a column passed as "ok", where pandas reads it as text and a grader scores
    nothing."""
    tmp_path, source, good = files
    path = tmp_path / "s.csv"
    cells = ["٠.٥", "０.５", "0.2_5"]
    path.write_text("id,prediction,probability\n" + "".join(
        f"{r['id']},1,{c}\n" for r, c in zip(good, cells, strict=True)))
    assert check_submission(path, source).problems == [
        f"{path}, line {n}, field 'probability': '{c}' is not a number (digits 0-9 only, no "
        f"'_': write {plain})" for n, c, plain in zip((2, 3, 4), cells, ("0.5", "0.5", "0.25"),
                                                      strict=True)]


@pytest.mark.parametrize(("field", "written", "said"), [
    ("prediction", "true", "must be the number 0 or 1, got true"),
    ("prediction", "null", "must be the number 0 or 1, got null"),
    ("prediction", "1e0", "must be the number 0 or 1, got 1e0"),
    # a probability past its bounds in the one sentence of every bound (utils/bounds.py), where
    # it said 'must be within [0, 1], got 2.50' of its own
    ("probability", "NaN", "NaN is not a number"),
    ("probability", "-Infinity", "-Infinity is not a finite number"),
    ("probability", "2.50", "2.50 is out of range; it must be at most 1"),
    ("probability", "-0.0001", "-0.0001 is out of range; it must be at least 0"),
    ("probability", "null", "null is not a number"),
])
def test_a_wrong_value_is_said_in_the_files_words(files, field, written, said):
    """JSON's true, null, NaN and Infinity were said in Python's words (got True, got None,
    got nan, got inf) and 1e0 as 1.0: not what the file holds, nor what its author wrote."""
    tmp_path, source, good = files
    lines = [json.dumps(row) for row in good]
    value = json.dumps(good[2][field])
    lines[2] = lines[2].replace(f'"{field}": {value}', f'"{field}": {written}')
    (tmp_path / "s.txt").write_text("\n".join(lines) + "\n")
    assert check_submission(tmp_path / "s.txt", source).problems == [
        f"{tmp_path / 's.txt'}, line 3, field '{field}': {said}"]


def test_csv_holds_text_only_so_text_passes(files):
    tmp_path, source, good = files
    path = tmp_path / "s.csv"
    path.write_text("id,prediction\n" + "".join(f"{r['id']},1\n" for r in good))
    assert check_submission(path, source).ok


def test_probability_out_of_range_is_caught(files):
    tmp_path, source, good = files
    good[0]["probability"] = 1.5
    check = check_submission(_write(tmp_path / "s.txt", good), source)
    assert any("field 'probability'" in p for p in check.problems)


def test_what_makes_every_line_wrong_is_said_once(files):
    """No prediction column (the input itself given as the submission), or the other task's
    texts: one error at line 1 instead of one problem per line."""
    from shoprel.errors import InputError

    tmp_path, source, good = files
    with pytest.raises(InputError, match="line 1, field 'prediction': missing required column"):
        check_submission(source, source)
    qi = [{**row, "item_title": "cordless drill"} for row in good]
    with pytest.raises(InputError, match="holds item_title texts, but the input is a QC file"):
        check_submission(_write(tmp_path / "qi.txt", qi), source)
    texts = [json.loads(line)["category_path"] for line in source.read_text().splitlines()]
    with_texts = [{**row, "category_path": text} for row, text in zip(good, texts, strict=True)]
    assert check_submission(_write(tmp_path / "qc.txt", with_texts), source).ok


def test_a_later_row_of_the_other_task_is_refused_as_evaluate_refuses_it(files, jsonl, qc_rows):
    """Only the first row was checked for the other task's texts: a 3rd row holding item_title
    against a QC input passed as "ok", while `evaluate` refused the same file at that line."""
    from shoprel.errors import InputError
    from shoprel.evaluate.files import evaluate_files

    tmp_path, source, good = files
    rows = list(good)
    rows[2] = {**good[2], "item_title": "cordless drill"}
    submission = _write(tmp_path / "s.txt", rows)
    with pytest.raises(InputError) as info:
        check_submission(submission, source)
    assert str(info.value) == (f"{submission}, line 3, field 'item_title': the submission holds "
                               "item_title texts, but the input is a QC file (category_path): "
                               "the wrong input?")
    gold = jsonl(tmp_path / "gold.jsonl", qc_rows)
    with pytest.raises(InputError, match=r"line 3, field 'item_title': the predictions hold "
                                         r"item_title texts, but the gold file is a QC file"):
        evaluate_files(submission, gold)


def test_a_task_column_naming_the_other_task_is_caught(files):
    """A `task` column of "QI" rows against a QC input was ignored (the submission passed);
    now each such row is one problem naming the file, line and field, as `evaluate` says it."""
    tmp_path, source, good = files
    agreeing = [{**row, "task": task} for row, task in zip(good, ["QC", "qc", ""], strict=True)]
    assert check_submission(_write(tmp_path / "qc.txt", agreeing), source).ok
    mixed = [{**row, "task": "QI" if i == 2 else "QC"} for i, row in enumerate(good)]
    check = check_submission(_write(tmp_path / "mixed.txt", mixed), source)
    assert check.problems == [f"{tmp_path / 'mixed.txt'}, line 3, field 'task': task is 'QI' "
                              "but the input is QC; check a submission of QI pairs against its "
                              "own input"]


def test_an_extra_row_is_named_by_its_line_and_id(files):
    tmp_path, source, good = files
    check = check_submission(_write(tmp_path / "s.txt", [*good, {**good[0], "id": 77}]), source)
    assert f"{tmp_path / 's.txt'}, line 4, field 'id': id 77 is not in {source}" in \
        check.problems


def test_typed_ids_are_checked_as_the_input_wrote_them(files, tmp_path):
    """A grader reading JSON keeps "2" and 2 apart: predict writes each id back as written, and
    a submission that does not is caught (CSV inputs say nothing of kinds, so are not)."""
    _, source, good = files
    good[1]["id"] = str(good[1]["id"])
    good[2]["id"] = float(good[2]["id"])
    check = check_submission(_write(tmp_path / "s.txt", good), source)
    assert [p.split(": ", 1)[1] for p in check.problems] == [
        "'2', but the input writes this id as 2; a grader comparing ids as written misses it",
        "3.0, but the input writes this id as 3; a grader comparing ids as written misses it"]


def test_an_input_id_predict_would_not_give_back_as_written_is_refused_alike(files, tmp_path):
    """The reverse of the check above: an input writing 3.0 passed a submission's 3 (both the
    key 3), as predict wrote it. Now predict refuses such an input and check-submission says
    the same line, so neither direction passes silently."""
    from shoprel.data.readers import iter_pair_chunks
    from shoprel.errors import InputError

    _, source, good = files
    lines = source.read_text().splitlines()
    lines[2] = lines[2].replace('"id": 3,', '"id": 3.0,')
    source.write_text("\n".join(lines) + "\n")
    said = (f"{source}, line 3, field 'id': id 3.0 is written as a decimal number, so it would "
            "be given back as 3")
    with pytest.raises(InputError, match=re.escape(said)):
        list(iter_pair_chunks(source, written_ids=True))  # as predict reads it
    with pytest.raises(InputError, match=re.escape(said)):
        check_submission(_write(tmp_path / "s.txt", good), source)


def test_an_input_from_a_pipe_is_checked_as_its_file(files, tmp_path):
    """predict takes `<(zcat test.jsonl.gz)`; check-submission's --input refused the same pipe.
    An error in it names the pipe, as a file's names the file."""
    import os

    from tests.data.test_spool import feed

    from shoprel.errors import InputError

    _, source, good = files
    submission = _write(tmp_path / "s.jsonl", good)
    pipe = tmp_path / "63"
    os.mkfifo(pipe)
    feed(pipe, source.read_bytes())
    assert check_submission(submission, pipe).ok
    feed(pipe, source.read_bytes().replace(b'"id": 2,', b'"id": 2.0,'))
    with pytest.raises(InputError) as info:
        check_submission(submission, pipe)
    assert str(info.value).startswith(f"{pipe}, line 2, field 'id': id 2.0 is written as a "
                                      "decimal number")


def test_a_row_whose_query_was_edited_is_caught(files, tmp_path):
    _, source, good = files
    rows = [json.loads(line) for line in source.read_text().splitlines()]
    edited = [{**g, "origin_query": r["origin_query"]} for g, r in zip(good, rows, strict=True)]
    edited[1]["origin_query"] = "zzz"
    problems = check_submission(_write(tmp_path / "s.txt", edited), source).problems
    assert problems == [f"{tmp_path / 's.txt'}, line 2, field 'origin_query': 'zzz', but the "
                        f"input's row holds {rows[1]['origin_query']!r}"]


def test_a_row_whose_target_was_edited_is_caught(files, tmp_path):
    """The query a row carries was compared with its input row's, its target never: a
    submission whose category_path was changed (or came from another file) passed as "ok".
    Told as a differing query is, case and runs of spaces aside."""
    _, source, good = files
    rows = [json.loads(line) for line in source.read_text().splitlines()]
    carried = [{**g, "origin_query": r["origin_query"], "category_path": r["category_path"]}
               for g, r in zip(good, rows, strict=True)]
    carried[0]["category_path"] = "  " + rows[0]["category_path"].upper()
    assert check_submission(_write(tmp_path / "same.txt", carried), source).ok
    carried[2]["category_path"] = "tools,drills"
    problems = check_submission(_write(tmp_path / "s.txt", carried), source).problems
    assert problems == [f"{tmp_path / 's.txt'}, line 3, field 'category_path': 'tools,drills', "
                        f"but the input's row holds {rows[2]['category_path']!r}"]


def test_a_row_whose_language_differs_is_caught_and_a_tag_spelled_otherwise_is_not(
        tmp_path, jsonl, qc_rows):
    """The language a row carried was never compared: a submission whose tags were edited (or
    came from another file) passed as "ok". Tags are read as predict writes them, so predict's
    own 'pt-BR', 'vi' and 'unk' for an input's 'pt_br', 'VN' and no tag pass."""
    inputs = [{k: v for k, v in r.items() if k not in ("label", "language")} for r in qc_rows]
    inputs[0]["language"], inputs[1]["language"] = "pt_br", "VN"
    source = jsonl(tmp_path / "test_QC.txt", inputs)
    carried = [{"id": r["id"], "language": lang, "prediction": 1, "probability": 0.7}
               for r, lang in zip(qc_rows, ["pt-BR", "vi", "unk"], strict=True)]
    assert check_submission(_write(tmp_path / "same.txt", carried), source).ok
    carried[1]["language"] = "vn"  # another spelling of the input's tag
    assert check_submission(_write(tmp_path / "same2.txt", carried), source).ok
    carried[0]["language"], carried[2]["language"] = "pt", "en"
    problems = check_submission(_write(tmp_path / "s.txt", carried), source).problems
    assert problems == [
        f"{tmp_path / 's.txt'}, line 1, field 'language': 'pt', but the input's row holds "
        "'pt-BR'",
        f"{tmp_path / 's.txt'}, line 3, field 'language': 'en', but the input's row holds 'unk'"]


def test_a_row_without_the_probability_other_rows_carry_is_caught(files):
    """`evaluate` refuses a file whose probability column skips a row; check-submission must
    not call that file ok. A file with no probability at all stays ok."""
    tmp_path, source, good = files
    del good[1]["probability"]
    check = check_submission(_write(tmp_path / "s.txt", good), source)
    assert check.problems == [f"{tmp_path / 's.txt'}, line 2, field 'probability': missing, "
                              "but other rows have one"]
    bare = [{"id": row["id"], "prediction": 1} for row in good]
    assert check_submission(_write(tmp_path / "bare.txt", bare), source).ok


@pytest.mark.parametrize("name, text", [
    ("s.csv", "ID,prediction\n1,1\n2,0\n3,1\n"),
    ("s.csv", " Id ,prediction\n1,1\n2,0\n3,1\n"),
    ("s.txt", "".join(json.dumps({"ID": i, "prediction": 1}) + "\n" for i in (1, 2, 3))),
])
def test_an_id_column_spelled_otherwise_is_one_line_naming_it(files, name, text):
    """A CSV headed 'ID' gave 'field id: missing' on every line plus 'duplicate id None', and
    JSON lines with "ID" a KeyError traceback; both are one error naming the column."""
    from shoprel.errors import InputError

    tmp_path, source, _ = files
    (tmp_path / name).write_text(text)
    spelled = "ID" if "ID" in text else "Id"
    with pytest.raises(InputError) as info:
        check_submission(tmp_path / name, source)
    assert str(info.value) == (f"{tmp_path / name}, line 1, "
                               f"field 'id': missing required column; the file has "
                               f"{spelled!r}: name the column 'id' (lower case, no spaces)")


@pytest.mark.parametrize("name, text", [
    ("s.csv", "1,1\n2,0\n3,1\n"),  # its first row once read as a column named twice
    ("s.csv", "1,0\n2,0\n3,1\n"),  # ... or as columns '1' and '0': 'id' missing
    ("s.tsv", "1\t1\t0.7\n2\t0\t0.2\n3\t1\t0.9\n"),
])
def test_a_submission_without_its_header_line_is_told_so(files, name, text):
    """A CSV submission written without its header line was refused as 'the header names
    this column twice ... rename or drop one' or as a missing 'id' column; it now says the
    header line is missing."""
    from shoprel.errors import InputError

    tmp_path, source, _ = files
    (tmp_path / name).write_text(text)
    with pytest.raises(InputError) as info:
        check_submission(tmp_path / name, source)
    first = text.splitlines()[0].replace("\t", ",").split(",")
    assert str(info.value) == (
        f"{tmp_path / name}, line 1: the first line holds only numbers "
        f"({', '.join(repr(v) for v in first)}), not column names: the header line naming the "
        "columns (id, ...) is missing")


@pytest.mark.parametrize("name, header, field", [
    ("s.csv", "id,pred", "prediction"),  # a wrong column name
    ("s.csv", "prediction", "id"),
    ("s.tsv", "row_id\tprediction", "id"),
    ("s.csv", "id,prediction,item_title", "item_title"),  # the other task's texts
])
def test_a_csv_header_problem_names_the_header_line(files, name, header, field):
    """A header without the id or prediction column was told at line 2, the first data row;
    it is the header's, line 1. A data row's problem still names the row's line."""
    from shoprel.errors import InputError

    tmp_path, source, _ = files
    sep = "\t" if name.endswith("tsv") else ","
    rows = "".join(sep.join(["1", "1", "drill"][:header.count(sep) + 1]) + "\n"
                   for _ in range(3))
    (tmp_path / name).write_text(header + "\n" + rows)
    with pytest.raises(InputError, match=rf"{name}, line 1, field '{field}': "):
        check_submission(tmp_path / name, source)
    (tmp_path / name).write_text("".join(f"{a}{sep}{b}\n" for a, b in [
        ("id", "prediction"), (1, 1), (2, 7), (3, 1)]))
    assert check_submission(tmp_path / name, source).problems == [
        f"{tmp_path / name}, line 3, field 'prediction': must be the number 0 or 1, got '7'"]


def test_csv_ids_are_compared_as_text_with_the_input(files, jsonl, qc_rows):
    """A CSV submission with 7 for the input's "007" passed (both read as the key 7), though
    a grader comparing ids as text finds no "007"; now caught, as JSON lines are."""
    tmp_path, _, _ = files
    source = jsonl(tmp_path / "in.txt", [{**row, "id": f"00{row['id']}"} for row in qc_rows])
    path = tmp_path / "s.csv"
    path.write_text("id,prediction\n001,1\n2,1\n003,1\n")
    assert check_submission(path, source).problems == [
        f"{path}, line 3, field 'id': 2, but the input writes this id as '002'; a grader "
        "comparing ids as text misses it"]  # the cell bare, as the CSV holds it
    path.write_text("id,prediction\n001,1\n002,1\n003,1\n")
    assert check_submission(path, source).ok


@pytest.mark.parametrize(("input_name", "sub_name", "said"), [
    ("in.txt", "s.jsonl", [
        "line 1, field 'id': expected id '001' (input order), got '003'",
        "line 2, field 'id': id '009' is not in {input} (expected id '002' there, input order)",
        "line 3, field 'id': expected id '003' (input order), got '001'",
        ": 1 input id(s) have no prediction, e.g. '002'"]),
    ("in.csv", "s.csv", [
        "line 2, field 'id': expected id 001 (input order), got 003",
        "line 3, field 'id': id 009 is not in {input} (expected id 002 there, input order)",
        "line 4, field 'id': expected id 003 (input order), got 001",
        ": 1 input id(s) have no prediction, e.g. 002"]),
])
def test_every_id_a_submission_is_told_of_is_said_as_its_file_writes_it(
        tmp_path, qc_rows, input_name, sub_name, said):
    """Only a repeated id was said as written: an id out of order, not in the input, or
    without a prediction was said by its key ("expected id 2", "got 3", "e.g. 2"), which
    no line of a file writing "002" holds, and a CSV cell was quoted as JSON text ('009')."""
    from shoprel.data.writers import write_table

    rows = [{**row, "id": f"00{row['id']}"} for row in qc_rows]
    source = tmp_path / input_name
    write_table(pd.DataFrame(rows), source)
    path = tmp_path / sub_name
    write_table(pd.DataFrame({"id": ["003", "009", "001"], "prediction": [1, 0, 1]}), path)
    problems = check_submission(path, source).problems
    assert [p for p in problems if "rows, but" not in p] == [
        f"{path}{s.format(input=source)}" if s.startswith(":") else
        f"{path}, {s.format(input=source)}" for s in said], problems


@pytest.mark.parametrize(("value", "message"), [
    ("", "an empty text is not an id; an id must be text or a whole number"),
    (2.5, "2.5 is not a whole number; an id must be text or a whole number"),
    (None, "null is not an id; an id must be text or a whole number"),
    (True, "true is not an id; an id must be text or a whole number"),
    ({"n": 1}, "an object is not an id; an id must be text or a whole number"),
    ("drop", "missing"),
    (99, "id 99 is not in {source} (expected id 2 there, input order)"),
    (1, "duplicate id 1 (first seen on line 1)"),
])
def test_each_bad_id_is_one_line_naming_file_and_line(files, value, message):
    """Ids are judged by the rule files and `serve` share (checked_id): an empty or fractional
    id is unusable, said as such, not as an id the input lacks."""
    tmp_path, source, good = files
    if value == "drop":
        del good[1]["id"]
    else:
        good[1]["id"] = value
    path = _write(tmp_path / "s.txt", good)
    problems = check_submission(path, source).problems
    assert problems[0] == f"{path}, line 2, field 'id': {message.format(source=source)}"
    assert all("\n" not in p for p in problems)


def test_an_empty_csv_id_is_unusable_not_unknown(files):
    tmp_path, source, _ = files
    path = tmp_path / "s.csv"
    path.write_text("id,prediction\n1,1\n,1\n3,1\n")
    assert check_submission(path, source).problems[0] == (
        f"{path}, line 3, field 'id': an empty text is not an id; an id must be text or a "
        "whole number")


def test_a_parquet_submission_and_input_count_rows_not_lines(files, qc_rows):
    """Parquet has rows, not lines: a Parquet submission's problems (and a Parquet input's
    error) said 'line N'; now 'row N', 1-based as the user counts them, as the readers of
    pairs files say it."""
    import pandas as pd

    from shoprel.errors import InputError

    tmp_path, source, good = files
    rows = [good[0], {**good[1], "prediction": 2}, {**good[2], "id": good[0]["id"]}]
    submission = tmp_path / "s.parquet"
    pd.DataFrame(rows).to_parquet(submission)
    check = check_submission(submission, source)
    assert f"{submission}, row 2, field 'prediction': must be the number 0 or 1, got 2" in \
        check.problems
    assert f"{submission}, row 3, field 'id': duplicate id 1 (first seen on row 1)" in \
        check.problems
    # a column the file lacks is told at its first row (a CSV's at its header, line 1)
    pd.DataFrame([{"id": r["id"]} for r in good]).to_parquet(submission)
    with pytest.raises(InputError) as raised:
        check_submission(submission, source)
    assert str(raised.value) == f"{submission}, row 1, field 'prediction': missing required " \
                                "column; the file has 'id': add a column 'prediction', or " \
                                "rename the one that holds it"
    bad_input = tmp_path / "in.parquet"
    pd.DataFrame([{k: v for k, v in r.items() if k != "label"} | {"id": 1} for r in qc_rows]
                 ).to_parquet(bad_input)
    with pytest.raises(InputError) as raised:
        check_submission(submission, bad_input)
    assert str(raised.value) == f"{bad_input}, row 2, field 'id': duplicate id 1 (first seen " \
                                "on row 1)"


def test_a_submission_checked_against_itself_is_refused(files):
    """predict writes every input column back, so a submission reads as an input: given as
    its own input (the same name, a link) it was "ok" whatever it held."""
    from shoprel.errors import InputError

    tmp_path, source, good = files
    rows = [dict(json.loads(line), prediction=1, probability=0.5)
            for line in source.read_text().splitlines()]
    submission = _write(tmp_path / "sub.jsonl", rows)
    (tmp_path / "link.jsonl").symlink_to(submission)
    for given in (submission, tmp_path / "link.jsonl"):
        with pytest.raises(InputError) as caught:
            check_submission(submission, given)
        assert str(caught.value) == (f"{submission}: is also the input file it is checked "
                                     f"against ({given}), which it always matches; give the "
                                     "file the submission answers")
    assert check_submission(submission, source).ok  # against the file it answers


def test_the_two_files_swapped_are_told_so(files):
    """`check-submission test.txt --input sub.jsonl` (the order of `evaluate GOLD` mixed up) was
    told only that test.txt has no prediction column, as though the submission lacked it; it
    is told the input holds the predictions, as evaluate tells a swapped gold file."""
    from shoprel.errors import InputError

    tmp_path, source, good = files
    rows = [dict(json.loads(line), prediction=1, probability=0.5)
            for line in source.read_text().splitlines()]
    submission = _write(tmp_path / "sub.jsonl", rows)
    with pytest.raises(InputError) as caught:
        check_submission(source, submission)
    assert str(caught.value) == (
        f"{source}, line 1, field 'prediction': missing required column; {submission} holds "
        "predictions: give the submission first and the file it answers as its input")
    unscored = tmp_path / "copy.txt"
    unscored.write_text(source.read_text())
    with pytest.raises(InputError) as caught:  # an input without predictions: no such advice
        check_submission(source, unscored)
    assert str(caught.value).endswith("field 'prediction': missing required column; the file "
                                      "has 'id', 'task', 'language', 'origin_query', "
                                      "'category_path': add a column 'prediction', or "
                                      "rename the one that holds it")


def _stdin_from(path):
    """Standard input (fd 0, which `-` and /dev/stdin are read from) pointed at `path`, as
    `shoprel ... - < path` gives it; returns the saved fd to put back."""
    import os

    saved = os.dup(0)
    with open(path, "rb") as fh:
        os.dup2(fh.fileno(), 0)
    return saved


def _stdin_back(saved):
    import os

    os.dup2(saved, 0)
    os.close(saved)


def test_a_piped_or_compressed_submission_is_checked_as_its_file(files, tmp_path):
    """`zcat sub.jsonl.gz | shoprel check-submission - --input test.jsonl` and a sub.jsonl.gz
    were refused ('is compressed (.gz), which only predict, evaluate and check-submission's
    --input read') while --input read both: the submission is now read the same way, and a
    problem in it names it as given (`-` as stdin)."""
    import gzip

    from click.testing import CliRunner

    from shoprel.cli.app import main

    _, source, good = files
    packed = tmp_path / "s.jsonl.gz"
    packed.write_bytes(gzip.compress(_write(tmp_path / "s.jsonl", good).read_bytes()))
    done = CliRunner().invoke(main, ["check-submission", str(packed), "--input", str(source)])
    assert (done.exit_code, done.stdout) == (0, f"ok: 3 rows match {source}\n")
    good[1]["prediction"] = 2
    packed.write_bytes(gzip.compress(_write(tmp_path / "s.jsonl", good).read_bytes()))
    saved = _stdin_from(packed)
    try:
        found = CliRunner().invoke(main, ["check-submission", "-", "--input", str(source)])
    finally:
        _stdin_back(saved)
    assert found.exit_code == 1
    assert found.stderr.startswith("stdin, line 2, field 'prediction': ")


@pytest.mark.parametrize("stdin", ["/dev/stdin", "/dev/fd/0", "/proc/self/fd/0"])
def test_submission_and_input_both_from_stdin_is_one_line(files, tmp_path, stdin):
    """Standard input is read once: given as both files, the second read found it spent."""
    from click.testing import CliRunner

    from shoprel.cli.app import main

    _, source, good = files
    saved = _stdin_from(_write(tmp_path / "s.jsonl", good))
    try:
        done = CliRunner().invoke(main, ["check-submission", "-", "--input", stdin])
    finally:
        _stdin_back(saved)
    assert (done.exit_code, done.stderr) == (2, "error: the submission and --input are both "
                                             "standard input, which is read once: give one of "
                                             "them as a file\n")


def test_input_from_stdin_is_said_as_stdin_and_help_says_what_is_read(files, tmp_path):
    """`... | shoprel check-submission sub.jsonl --input -` said "ok: 3 rows match -" and
    "id 99 is not in -", where the submission from `-` was already "stdin"; its --help did not
    say that either file may be a pipe, `-` or compressed (evaluate's and predict's do)."""
    from click.testing import CliRunner

    from shoprel.cli.app import main

    _, source, good = files
    submission = _write(tmp_path / "s.jsonl", good)
    saved = _stdin_from(source)
    try:
        done = CliRunner().invoke(main, ["check-submission", str(submission), "--input", "-"])
        good[1]["id"] = 99
        found = CliRunner().invoke(main, ["check-submission", str(_write(submission, good)),
                                          "--input", "-"])
    finally:
        _stdin_back(saved)
    assert (done.exit_code, done.stdout) == (0, "ok: 3 rows match stdin\n")
    assert found.stderr.splitlines()[0] == (f"{submission}, line 2, field 'id': id 99 is not in "
                                            "stdin (expected id 2 there, input order)")
    shown = " ".join(CliRunner().invoke(main, ["check-submission", "--help"]).stdout.split())
    assert ("SUBMISSION and --input may each be compressed (.gz, .bz2, .xz), a pipe or standard "
            "input (`-`, for one of the two)") in shown


def test_an_input_whose_label_column_is_empty_is_read_as_predict_reads_it(files):
    """A test file may carry its label column empty ("label": null, an empty CSV cell):
    `predict` leaves labels unread and scores it, but check-submission read the input's labels
    and refused it (`label must be 0 or 1, got null`), so the README's predict-then-check
    flow failed on such a file, and so did `demo --data` after its training."""
    import pandas as pd

    tmp_path, source, good = files
    rows = [dict(json.loads(line), label=None) for line in source.read_text().splitlines()]
    submission = _write(tmp_path / "s.txt", good)
    assert check_submission(submission, _write(tmp_path / "null_labels.txt", rows)).ok
    table = tmp_path / "empty_labels.csv"
    pd.DataFrame(rows).assign(label="").to_csv(table, index=False)
    assert check_submission(submission, table).ok


@pytest.mark.parametrize(("name", "ids", "said"), [
    ("s.jsonl", ['"007"', '"007"'], "duplicate id '007' (first seen on line 2)"),
    ("s.jsonl", ['"007"', "7"], "duplicate id: 7 is the id '007' of line 2 (7, 7.0, \"7\" and "
                                "\"007\" are one id)"),
    ("s.csv", ["007", "007"], "duplicate id 007 (first seen on line 3)"),
    ("s.csv", ["007", "7"], "duplicate id: 7 is the id 007 of line 3 (7, 7.0, \"7\" and "
                            "\"007\" are one id)"),
])
def test_a_repeated_id_is_said_as_the_submission_writes_it(tmp_path, jsonl, name, ids, said):
    """"007" twice was 'duplicate id 7', an id no line of the submission holds; an id the
    input's readers say as written ('007', a CSV's bare 007, both spellings of "007" then 7)
    is now said so by check-submission too."""
    source = jsonl(tmp_path / "test_QC.jsonl", [
        {"id": i, "language": "en", "origin_query": f"q{i}", "category_path": "a,b"}
        for i in ("001", "007", "009")])
    path = tmp_path / name
    if name.endswith(".csv"):
        path.write_text("id,prediction\n001,1\n" + "".join(f"{i},1\n" for i in ids))
    else:
        path.write_text('{"id": "001", "prediction": 1}\n'
                        + "".join(f'{{"id": {i}, "prediction": 1}}\n' for i in ids))
    line = 4 if name.endswith(".csv") else 3
    assert f"{path}, line {line}, field 'id': {said}" in check_submission(path, source).problems

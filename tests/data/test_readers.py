import gzip

import pandas as pd
import pytest

from shoprel.data.readers import iter_pair_chunks, read_pairs
from shoprel.data.tasks import Task
from shoprel.data.writers import write_table
from shoprel.errors import InputError


def test_reads_competition_jsonl(tmp_path, jsonl, qc_rows):
    frame = read_pairs(jsonl(tmp_path / "train_QC.txt", qc_rows), require_label=True)
    assert frame.task is Task.QC
    assert list(frame.df.columns) == ["id", "language", "query", "target", "label"]
    assert frame.df["id"].tolist() == [1, 2, 3]
    assert frame.df["label"].tolist() == [1, 1, 0]
    assert frame.df["query"][2] == "ドラクエ バッグ"


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".parquet", ".jsonl"])
def test_every_format_round_trips(tmp_path, jsonl, qc_rows, suffix):
    original = read_pairs(jsonl(tmp_path / "a.txt", qc_rows))
    path = write_table(original.to_competition(), tmp_path / f"copy{suffix}")
    again = read_pairs(path)
    pd.testing.assert_frame_equal(again.df, original.df)


def test_task_detected_from_columns_and_checked(tmp_path, jsonl):
    rows = [{"id": 1, "language": "en", "origin_query": "usb cable",
             "item_title": "USB C Cable 2m Fast Charging", "label": 1}]
    path = jsonl(tmp_path / "qi.txt", rows)
    assert read_pairs(path).task is Task.QI
    with pytest.raises(InputError, match="category_path.*looks like a QI file"):
        read_pairs(path, task="QC")


def _error(tmp_path, name: str, content: bytes, **kwargs) -> str:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputError) as info:
        read_pairs(path, **kwargs)
    return str(info.value)


def test_malformed_json_names_file_and_line(tmp_path):
    message = _error(tmp_path, "bad.txt",
                     b'{"id": 1, "origin_query": "a", "category_path": "x", "label": 1}\n'
                     b'{"id": 2, "origin_query": "b", "category_path": "x" "label": 0}\n')
    assert "bad.txt" in message and "line 2" in message and "malformed JSON" in message
    assert message.endswith("line 2: malformed JSON: Expecting ',' delimiter at column 53")


def test_a_last_line_cut_short_reads_as_such(tmp_path):
    message = _error(tmp_path, "cut.txt",
                     b'{"id": 1, "origin_query": "a", "category_path": "x", "label": 1}\n'
                     b'{"id": 2, "origin_query": "dril')
    assert message.endswith("cut.txt, line 2: malformed JSON: Unterminated string starting at "
                            "column 27; the line ends before its object closes (was the file "
                            "cut short?)")


def test_a_line_cut_short_mid_file_names_its_own_column(tmp_path):
    # the line's newline is no part of the JSON: json read past it and named "column 1" of a
    # next line, or "Invalid control character" for a string the cut left open
    first = b'{"id": 1, "origin_query": "a", "category_path": "x", "label": 1}\n'
    last = b'{"id": 3, "origin_query": "c", "category_path": "x", "label": 1}\n'
    message = _error(tmp_path, "cut.txt", first + b'{"id": 2, "origin_query": "b"\n' + last)
    assert message.endswith("cut.txt, line 2: malformed JSON: Expecting ',' delimiter at column "
                            "30; the line ends before its object closes (was the file cut short?)")
    message = _error(tmp_path, "cut2.txt", first + b'{"id": 2, "origin_query": "dril\r\n' + last)
    assert message.endswith("cut2.txt, line 2: malformed JSON: Unterminated string starting at "
                            "column 27; the line ends before its object closes (was the file "
                            "cut short?)")


def test_a_comma_after_each_object_is_named_not_taken_for_a_cut(tmp_path):
    """An array's items pasted one a line keep their commas: 'the line ends before its object
    closes (was the file cut short?)' sent the user looking for a damaged file."""
    line = b'{"id": 1, "origin_query": "a", "category_path": "x", "label": 1}'
    message = _error(tmp_path, "commas.txt", line + b",\r\n" + line + b",\r\n")
    assert message.endswith("commas.txt, line 1: malformed JSON: Extra data at column 65: a "
                            "comma after the object closes; end each line at its object's '}' "
                            "(JSON lines part objects by line ends, not commas)")


def test_a_pretty_printed_json_document_is_named_as_such(tmp_path):
    # run.json given as input: "was the file cut short?" sent the user the wrong way
    message = _error(tmp_path, "run.json", b'{\n  "id": 1,\n  "origin_query": "a"\n}\n')
    assert message.endswith("run.json, line 1: holds a JSON object spread over several lines, "
                            "not JSON lines; write one JSON object a line")


def test_missing_column_names_field(tmp_path):
    message = _error(tmp_path, "m.txt",
                     b'{"id": 1, "origin_query": "a", "category_path": "x", "label": 1}\n'
                     b'{"id": 2, "category_path": "x", "label": 0}\n')
    assert "line 2" in message and "field 'origin_query'" in message


@pytest.mark.parametrize("name, text", [
    ("c.csv", b"ID,origin_query,category_path\n1,a,x\n"),
    ("c.txt", b'{"Id": 1, "origin_query": "a", "category_path": "x"}\n'),
])
def test_a_column_spelled_otherwise_is_named(tmp_path, name, text):
    """'ID' read as no id column at all; the error now names the column to rename, in either
    format."""
    spelled = "ID" if b"ID" in text else "Id"
    assert _error(tmp_path, name, text).endswith(
        f"field 'id': missing required column; the file has {spelled!r}: name the column "
        "'id' (lower case, no spaces)")


@pytest.mark.parametrize(("renamed", "field", "said"), [
    ({"language": "Language"}, "language", "'Language', which is not read as 'language': name "
                                           "the column 'language' (lower case, no spaces)"),
    ({"language": "lang"}, "language", "'lang', which is not read as 'language': name the "
                                       "column 'language'"),
    ({"label": "Label"}, "label", "'Label', which is not read as 'label'"),
    ({"task": "TASK"}, "task", "'TASK', which is not read as 'task'"),
    ({"category_path": "Category_Path"}, "category_path", "'Category_Path', which is not read"),
])
def test_a_column_read_when_present_spelled_otherwise_is_refused(tmp_path, qc_rows, renamed,
                                                                 field, said):
    """A spreadsheet's `Language` header was read as no language column: every row trained as
    `unk`, without a word; `Label` was 'missing' with no hint, `Category_Path` 'no target
    column'. Each is now refused at the header, naming the column to rename."""
    path = tmp_path / "rows.csv"
    pd.DataFrame(qc_rows).rename(columns=renamed).to_csv(path, index=False)
    with pytest.raises(InputError) as info:
        read_pairs(path, require_label=True)
    assert str(info.value).startswith(
        f"{path}, line 1, field {field!r}: no {field!r} column, but the file has {said}")


def test_a_label_spelled_otherwise_is_left_unread_where_labels_are(tmp_path, qc_rows):
    """Scoring reads no labels (read_labels=False): a test file's `Label` column stays
    harmless there, as an unlabelled file's `label` does."""
    path = tmp_path / "rows.csv"
    pd.DataFrame(qc_rows).rename(columns={"label": "Label"}).to_csv(path, index=False)
    assert list(read_pairs(path, read_labels=False).df["language"]) == ["es", "en", "ja"]


@pytest.mark.parametrize(("name", "separator", "where", "said"), [
    ("rows.csv", ",", "line 2: expected 5 fields, found 7", "','"),
    ("rows.tsv", "\t", "line 3: expected 5 fields, found 6", "a tab"),
])
def test_a_text_holding_the_separator_unquoted_is_told_to_quote_it(tmp_path, qc_rows, name,
                                                                     separator, where, said):
    """A CSV written by hand leaves a category path's commas unquoted (a TSV, a title's tab):
    'expected 5 fields, found 7' did not say that the cell needs quotes."""
    fields = ["id", "language", "origin_query", "category_path", "label"]
    rows = [dict(row, origin_query=row["origin_query"].replace(" ", "\t", 1))
            if row["id"] == 2 else row for row in qc_rows]
    lines = [separator.join(fields)] + [separator.join(str(row[f]) for f in fields)
                                         for row in rows]
    text = "\n".join(lines) + "\n"
    assert _error(tmp_path, name, text.encode()).endswith(
        f"{where}: a text holding {said} (a category path, a title) must be in double quotes")


def test_columns_named_as_home_depots_release_names_them_are_told_shoprels_names(tmp_path):
    """A file in Home Depot's own column names (search_term, product_title) or a plain
    `query,title` one was told only that a column was missing, one round trip a column; each
    error now names the column to rename, for the task the run gives as for a task told from
    the columns, and two such columns in one error (tests/data/test_missing_columns.py)."""
    rows = b"id,search_term,product_title,label\n1,l bracket,Simpson Angle,1\n"
    assert _error(tmp_path, "hd.csv", rows).endswith(  # both at once: see below
        "line 1: missing required columns 'origin_query' and 'item_title': the file has "
        "'search_term': name the column 'origin_query'; the file has 'product_title': name the "
        "column 'item_title'")
    assert _error(tmp_path, "t.csv", b"id,query,title\n1,a,b\n", task="QI").endswith(
        "line 1: missing required columns 'origin_query' and 'item_title': found 'query', the "
        "server API's name: files and the Python API call it 'origin_query'; the file has "
        "'title': name the column 'item_title'")
    assert _error(tmp_path, "t1.csv", b"id,origin_query,title\n1,a,b\n", task="QI").endswith(
        "field 'item_title': column missing for task QI; the file has 'title': name the "
        "column 'item_title'")
    assert _error(tmp_path, "st.csv", b"id,search_term,item_title\n1,a,b\n").endswith(
        "field 'origin_query': missing required column; the file has 'search_term': name the "
        "column 'origin_query'")


@pytest.mark.parametrize("column", ["q", "search", "keyword", "term", "search_term"])
def test_a_query_column_under_a_common_name_is_told_to_take_origin_query(tmp_path, column):
    """A query column named 'q' or 'search' (a URL's ?q=, a search log's field) was told only
    the file's columns: "the file has 'id', 'q', 'category_path', 'label': add a column"."""
    rows = f"id,{column},category_path,label\n1,drill,Tools,1\n".encode()
    assert _error(tmp_path, "q.csv", rows).endswith(
        f"line 1, field 'origin_query': missing required column; the file has {column!r}: name "
        "the column 'origin_query'")


@pytest.mark.parametrize(("name", "data", "task", "said"), [
    ("a.jsonl", b'{"id": 1, "category_path": "x", "label": 1}\n', None,
     "line 1, field 'origin_query': missing required column; the file has 'id', "
     "'category_path', 'label': add a column 'origin_query', or rename the one that holds it"),
    ("b.jsonl", b'{"id": 1, "origin-query": "a", "category_path": "x"}\n', None,
     "line 1, field 'origin_query': missing required column; the file has 'origin-query': "
     "name the column 'origin_query'"),
    ("c.csv", b"id,orgin_query,category_path\n1,a,x\n", None,
     "line 1, field 'origin_query': missing required column; the file has 'orgin_query': "
     "name the column 'origin_query'"),
    ("d.csv", b"row_id,origin_query,category_path\n1,a,x\n", None,
     "line 1, field 'id': missing required column; the file has 'row_id', 'origin_query', "
     "'category_path': add a column 'id', or rename the one that holds it"),
    ("e.jsonl", b'{"id": 1, "origin_query": "a", "category_path": "x"}\n'
                b'{"id": 2, "category_path": "y"}\n', None,
     "line 2, field 'origin_query': missing required column; the line has 'id', "
     "'category_path': give the line its 'origin_query', as the ones before it have"),
    ("f.csv", b"id,origin_query,label\n1,a,1\n", "QC",
     "line 1, field 'category_path': column missing for task QC; the file has 'id', "
     "'origin_query', 'label': add a column 'category_path', or rename the one that holds it"),
    ("g.csv", b"id,origin_query,category-path\n1,a,x\n", "QC",
     "line 1, field 'category_path': column missing for task QC; the file has "
     "'category-path': name the column 'category_path'"),
    ("h.csv", b"id,origin_query,label\n1,a,1\n", None,
     "line 1: no target column: expected 'category_path' (QC) or 'item_title' (QI); the file "
     "has 'id', 'origin_query', 'label': add the column of the task's target (QC: category "
     "paths, QI: item titles), or rename the one that holds it"),
    ("i.csv", b"id,origin_query,Item Title\n1,a,x\n", None,
     "line 1: no target column: expected 'category_path' (QC) or 'item_title' (QI); the file "
     "has 'Item Title': name the column 'item_title'"),
])
def test_a_missing_column_is_told_with_what_the_file_holds_and_what_to_do(
        tmp_path, name, data, task, said):
    """A file without origin_query (or a QC file without category_path) was told only
    "missing required column": the user had to open it to learn what it held. Now a column
    that is the one missing misspelled ('origin-query', 'orgin_query') is named with the name
    to give it, else the columns the file (or, for a later JSON line, the line) has, with the
    fix."""
    assert _error(tmp_path, name, data, task=task).endswith(f"{name}, {said}")


@pytest.mark.parametrize(("label_column", "said"), [
    (None, "the file has 'id', 'origin_query', 'category_path': add a column 'label', or "
           "rename the one that holds it"),
    ("lable", "the file has 'lable': name the column 'label'"),
    ("labels", "the file has 'labels': name the column 'label'"),
])
def test_a_training_file_without_labels_is_told_what_it_holds(tmp_path, label_column, said):
    """'missing required column (labels: ...)' of a file whose label column is 'lable' sent
    the user looking for a column the file seemed to hold."""
    extra = f', "{label_column}": 1' if label_column else ""
    data = f'{{"id": 1, "origin_query": "a", "category_path": "x"{extra}}}\n'.encode()
    assert _error(tmp_path, "t.jsonl", data, require_label=True).endswith(
        "t.jsonl, line 1, field 'label': missing required column (labels: needed to train, or "
        f"to score predictions against); {said}")


def test_a_query_column_named_as_the_server_names_it_is_told_the_files_name(tmp_path):
    """A file (or pairs given to the Python API) with `query`, the server's field, was told only
    that 'origin_query' is missing; it is told that `query` is the server's name for it."""
    from shoprel.data.memory import pair_frames

    assert _error(tmp_path, "q.csv", b"id,query,category_path\n1,a,x\n").endswith(
        "q.csv, line 1, field 'origin_query': missing required column; found 'query', the "
        "server API's name: files and the Python API call it 'origin_query'")
    with pytest.raises(InputError, match="^pair 0, field 'origin_query': missing required "
                                         "column; found 'query', the server API's name"):
        next(iter(pair_frames([{"query": "a", "category_path": "x"}], "QC")))


def test_label_must_be_binary(tmp_path):
    message = _error(tmp_path, "l.txt",
                     b'{"id": 1, "origin_query": "a", "category_path": "x", "label": 2}\n')
    assert "line 1" in message and "field 'label'" in message and "0 or 1" in message


def test_training_requires_labels(tmp_path):
    message = _error(tmp_path, "nolabel.txt",
                     b'{"id": 1, "origin_query": "a", "category_path": "x"}\n',
                     require_label=True)
    assert "field 'label'" in message


def test_duplicate_ids_name_both_lines(tmp_path):
    message = _error(tmp_path, "d.txt",
                     b'{"id": 7, "origin_query": "a", "category_path": "x"}\n'
                     b'{"id": 8, "origin_query": "b", "category_path": "x"}\n'
                     b'{"id": 7, "origin_query": "c", "category_path": "x"}\n')
    assert "line 3" in message and "duplicate id 7" in message and "line 1" in message


def test_invalid_utf8_names_line(tmp_path):
    message = _error(tmp_path, "u.txt",
                     b'{"id": 1, "origin_query": "a", "category_path": "x"}\n'
                     b'{"id": 2, "origin_query": "caf\xe9", "category_path": "x"}\n')
    assert "line 2" in message and "UTF-8" in message


def test_both_target_columns_need_a_task(tmp_path):
    message = _error(tmp_path, "both.txt",
                     b'{"id": 1, "origin_query": "a", "category_path": "x", "item_title": "t"}\n')
    assert "--task" in message


def test_task_field_conflicting_with_columns(tmp_path):
    message = _error(tmp_path, "t.txt",
                     b'{"id": 1, "task": "QI", "origin_query": "a", "category_path": "x"}\n')
    assert "field 'task'" in message


def test_csv_errors_name_line(tmp_path):
    message = _error(tmp_path, "bad.csv",
                     b"id,origin_query,category_path,label\n1,a,x,1\n2,b,x,yes\n")
    assert "bad.csv" in message and "line 3" in message and "field 'label'" in message


def test_unknown_extension(tmp_path):
    assert "unknown file type '.abc'" in _error(tmp_path, "x.abc", b"")


READ = ("JSON lines (.json, .jsonl, .ndjson, .txt), CSV (.csv), TSV (.tsv), Parquet (.parquet, "
        ".pq)")


@pytest.mark.parametrize(("name", "suffix"), [
    ("rows.xlsx", ".xlsx"), ("rows.xls", ".xls"), ("rows.ods", ".ods"),
    ("rows.numbers", ".numbers"), ("rows.xlsx.gz", ".xlsx"),
])
def test_a_spreadsheet_is_told_to_be_saved_as_csv(tmp_path, name, suffix):
    """train.xlsx was told "unknown file type '.xlsx': use one of .csv, .json, ...", which left
    the user to find how to make one; it is named a spreadsheet, with what to save it as, by
    the one place every reader (pairs, index's targets) takes a file's format from."""
    from shoprel.predict.index import iter_targets

    content = gzip.compress(b"PK\x03\x04") if name.endswith(".gz") else b"PK\x03\x04\x14\x00"
    said = (f"{name}: is a spreadsheet ({suffix}), which shoprel does not read; save (or export) "
            "the sheet as CSV in UTF-8, the column names in its first row, and give that file: "
            f"shoprel reads {READ}")
    assert _error(tmp_path, name, content).endswith(said)
    with pytest.raises(InputError) as info:
        list(iter_targets(tmp_path / name, Task.QC))
    assert str(info.value).endswith(said)


def test_a_file_of_no_suffix_is_told_how_to_name_it(tmp_path):
    """It was "unknown file type '': use one of ...", an empty name for the problem."""
    said = _error(tmp_path, "rows", b'{"id": 1}\n')
    assert said.endswith("rows: has no suffix to tell its format by: name it rows.jsonl (or one "
                         "of .csv, .json, .jsonl, .ndjson, .parquet, .pq, .tsv, .txt)"), said


def test_empty_file(tmp_path):
    assert "no rows" in _error(tmp_path, "empty.txt", b"\n")


def test_empty_texts_kept_by_default_and_counted(tmp_path, jsonl, qc_rows):
    qc_rows[0]["origin_query"] = ""
    qc_rows[1]["category_path"] = None
    path = jsonl(tmp_path / "e.txt", qc_rows)
    kept = read_pairs(path)
    assert len(kept) == 3
    assert kept.stats["empty_query"] == 1 and kept.stats["empty_target"] == 1
    dropped = read_pairs(path, empty_text="drop")
    assert dropped.df["id"].tolist() == [3] and dropped.stats["dropped"] == 2


def test_chunks_cover_the_file_in_order(qc_demo):
    whole = read_pairs(qc_demo)
    chunks = list(iter_pair_chunks(qc_demo, chunk_rows=50))
    assert len(chunks) == -(-len(whole) // 50)
    pd.testing.assert_frame_equal(pd.concat([c.df for c in chunks], ignore_index=True), whole.df)


def test_duplicates_found_across_chunks(tmp_path, jsonl, qc_rows):
    rows = qc_rows + [dict(qc_rows[0])]
    with pytest.raises(InputError, match="line 4.*duplicate id 1"):
        list(iter_pair_chunks(jsonl(tmp_path / "x.txt", rows), chunk_rows=2))


def test_reads_real_sample(real_qc):
    frame = read_pairs(real_qc, require_label=True)
    assert frame.task is Task.QC and len(frame) == 9547
    assert set(frame.df["language"]) == {"en", "es", "fr", "ja", "ko", "pt"}


def test_translated_query_becomes_the_query_side(tmp_path, jsonl, qc_rows):
    qc_rows[0]["translated_query"] = "iphone case"
    qc_rows[1]["translated_query"] = "car wash sponge"  # same as the query: kept bare
    qc_rows[2]["translated_query"] = ""  # no route: kept bare
    frame = read_pairs(jsonl(tmp_path / "t.txt", qc_rows))
    assert frame.df["query_en"].tolist() == ["iphone case", "car wash sponge", ""]
    from shoprel.models.base import query_side

    assert query_side(frame).tolist() == ["funda iphone - iphone case", "car wash sponge",
                                          "ドラクエ バッグ"]
    assert query_side(frame, "{translation} | {query}")[0] == "iphone case | funda iphone"
    assert "translated_query" in frame.to_competition().columns


def test_a_folder_given_as_a_file_says_so(tmp_path):
    for name in ("data", "dir.txt"):
        (tmp_path / name).mkdir()
        with pytest.raises(InputError, match=f"{name}: is a folder; give a file"):
            read_pairs(tmp_path / name)


@pytest.mark.parametrize("suffix", ["csv", "tsv"])
def test_a_column_named_twice_in_the_header_is_refused(tmp_path, suffix):
    """The second 'category_path' would silently replace the first: the file is refused, at
    its header, naming the column; unnamed columns (a written index) may repeat."""
    sep = "," if suffix == "csv" else "\t"
    header = sep.join(["id", "origin_query", "category_path", "category_path", "label"])
    message = _error(tmp_path, f"bad.{suffix}",
                     f"{header}\n1{sep}drill{sep}tools{sep}garden{sep}1\n".encode())
    assert message.endswith(f"bad.{suffix}, line 1, field 'category_path': the header names "
                            "this column twice (columns 3 and 4); rename or drop one")
    unnamed = tmp_path / f"ok.{suffix}"
    unnamed.write_text(sep.join(["", "", "id", "origin_query", "category_path", "label"])
                       + f"\n0{sep}0{sep}1{sep}drill{sep}tools{sep}1\n")
    assert read_pairs(unnamed).df["target"].tolist() == ["tools"]


def test_a_file_whose_first_line_is_a_row_of_numbers_lacks_its_header(tmp_path):
    """Numbers only are never column names: the file was written without its header line,
    which is said, not 'missing required column' for a column it never named."""
    message = _error(tmp_path, "ids.csv", b"104,1\n161,0\n")
    assert message.endswith("ids.csv, line 1: the first line holds only numbers ('104', '1'), "
                            "not column names: the header line naming the columns (id, ...) "
                            "is missing")
    named = tmp_path / "named.csv"  # a header with a number among names is a header
    named.write_text("id,origin_query,category_path,label,2024\n1,drill,tools,1,x\n")
    assert read_pairs(named).df["target"].tolist() == ["tools"]


def test_a_parquet_column_named_twice_is_refused(tmp_path):
    """Arrow writes two columns of one name; the row dicts kept the second silently."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "dup.parquet"
    pq.write_table(pa.table([[1], ["drill"], ["tools"], ["garden"], [1]], names=[
        "id", "origin_query", "category_path", "category_path", "label"]), path)
    assert _error(tmp_path, "dup.parquet", path.read_bytes()).endswith(
        "dup.parquet, field 'category_path': the header names this column twice (columns 3 "
        "and 4); rename or drop one")


@pytest.mark.parametrize("suffix", ["csv", "tsv"])
def test_text_after_a_closing_quote_is_refused_not_scored_without_its_quotes(tmp_path, suffix):
    """`"dewalt" drill` in a CSV/TSV cell was read as the query 'dewalt drill'; a quote left
    open to the end swallowed the lines below into one cell. Both are refused by line; a
    quote inside a cell (5" nails) and a quoted cell with doubled quotes read as written."""
    sep = "," if suffix == "csv" else "\t"
    head = sep.join(["id", "origin_query", "item_title", "label"]) + "\n"
    message = _error(tmp_path, f"q.{suffix}",
                     f'{head}1{sep}5" nails{sep}nails{sep}1\n2{sep}"dewalt" drill{sep}drill{sep}1\n'
                     .encode())
    assert f"q.{suffix}, line 3: malformed row: a field goes on after its closing quote" in message
    message = _error(tmp_path, f"open.{suffix}", f'{head}1{sep}"drill{sep}drill{sep}1\n'.encode())
    assert "line 2: malformed row: the file ends inside a quoted field" in message
    good = tmp_path / f"good.{suffix}"
    good.write_text(f'{head}1{sep}5" nails{sep}nails{sep}1\n2{sep}"""dewalt"" drill"{sep}d{sep}1\n')
    assert read_pairs(good).df["query"].tolist() == ['5" nails', '"dewalt" drill']


def test_a_field_given_twice_in_one_json_object_is_refused(tmp_path):
    """json keeps the last of two equal keys silently: {"id": 3, "id": 1} was read as id 1."""
    rows = (b'{"id": 1, "origin_query": "a", "category_path": "x", "label": 1}\n'
            b'{"id": 3, "origin_query": "b", "category_path": "y", "label": 0, "id": 1}\n')
    assert _error(tmp_path, "dup.jsonl", rows).endswith(
        "dup.jsonl, line 2, field 'id': the object gives this field twice; keep one")


@pytest.mark.parametrize("line, kind", [(b"[1, 2]", "a list"), (b'"drill"', "a text"),
                                        (b"2.50", "the number 2.50"), (b"null", "null")])
def test_a_line_that_is_no_object_says_what_it_holds(tmp_path, line, kind):
    """It was said in Python's words: 'expected a JSON object, got list' (str, float)."""
    rows = b'{"id": 1, "origin_query": "a", "category_path": "x", "label": 1}\n' + line + b"\n"
    assert _error(tmp_path, "odd.jsonl", rows).endswith(
        f"odd.jsonl, line 2: {kind} is not a JSON object; write one JSON object a line")


ROW = '{"id": 1, "origin_query": "a", "category_path": "x", "label": 1}\n'


@pytest.mark.parametrize(("name", "content", "said"), [
    ("rows.jsonl", gzip.compress(ROW.encode()),
     "rows.jsonl: is gzip-compressed, not text; name it rows.jsonl.gz, or decompress it first "
     "(gzip -dc < rows.jsonl > plain.jsonl)"),
    ("rows.csv", ("id,origin_query\r\n1,a\r\n").encode("utf-16"),
     "rows.csv: is UTF-16 text (a spreadsheet's 'Unicode text'); save it as UTF-8"),
    ("rows.csv", b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00\xb5U8\xa3",
     "rows.csv: is a ZIP archive (a spreadsheet workbook?), not text"),
    ("rows.csv", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00\x00\x00\x00\x3e\x00\x03\x00",
     "rows.csv: is an Office 97-2003 file (an Excel .xls workbook?), not text; save the sheet "
     "as CSV in UTF-8"),
    ("rows.csv", "id,origin_query,category_path\n1,café,x\n".encode("latin-1"),
     "rows.csv, line 2: invalid UTF-8 at byte 5 of the line (b'\\xe9,x\\n'); save the file as "
     "UTF-8"),
], ids=["gzip", "utf-16", "zip", "xls", "latin-1"])
def test_a_file_that_is_no_utf8_text_is_said_as_what_it_is(tmp_path, name, content, said):
    """A gzip file, a spreadsheet's UTF-16 'Unicode text' and a workbook (an .xls one too,
    renamed .csv) were all told 'line 1: invalid UTF-8 at byte 0 (or 1) of the line', which
    named no way out."""
    assert said in _error(tmp_path, name, content)


@pytest.mark.parametrize("name", ["test.txt", "rows.jsonl", "rows.csv"])
def test_a_parquet_file_under_a_text_name_is_told_to_take_parquets_suffix(tmp_path, name):
    """df.to_parquet("test.txt") was told 'line 1: invalid UTF-8 at byte 7 of the line
    (...); save the file as UTF-8', though the rows read once the file is named .parquet."""
    pd.DataFrame({"id": [1], "origin_query": ["a"], "category_path": ["x"]}).to_parquet(
        tmp_path / name)
    assert _error(tmp_path, name, (tmp_path / name).read_bytes()).endswith(
        f"{name}: is Parquet data under a name read as text; name it .parquet (or .pq), the "
        "suffix shoprel reads Parquet by")
    (tmp_path / name).rename(tmp_path / "rows.parquet")
    assert read_pairs(tmp_path / "rows.parquet", read_labels=False).df["query"].tolist() == ["a"]


@pytest.mark.parametrize("name", ["rows.jsonl.zst", "rows.csv.zip"])
def test_a_compressed_file_is_named_so_not_an_unknown_type(tmp_path, name):
    """'unknown file type '.zst': use one of .csv, ...' for rows.jsonl.zst, whose format is
    plain; the reader and index say what to do (a .gz, .bz2 or .xz file is read:
    tests/data/test_compression.py)."""
    from shoprel.predict.index import iter_targets

    path = tmp_path / name
    path.write_bytes(gzip.compress(ROW.encode()))
    suffix = path.suffix
    said = f"{path}: is compressed ({suffix}), which shoprel does not read; decompress it first"
    for read in (read_pairs, lambda p: list(iter_targets(p, Task.QC))):
        with pytest.raises(InputError) as info:
            read(path)
        assert str(info.value).startswith(said), str(info.value)


def test_a_csv_cell_past_the_csv_limit_is_said_in_the_files_words(tmp_path):
    """A 1 MB cell said csv's own 'field larger than field limit (131072)'."""
    content = f"id,origin_query,category_path\n1,a,x\n2,b,{'y' * 200_000}\n".encode()
    assert _error(tmp_path, "long.csv", content).endswith(
        "long.csv, line 3: malformed row: a field runs past 131,072 characters: a quote opened "
        "here or above never closes, or a cell holds far more than a query, title or path")


@pytest.mark.parametrize(("name", "sep"), [("mac.csv", ","), ("mac.tsv", "\t")])
def test_a_table_of_lines_ended_by_a_carriage_return_alone_is_said_so(tmp_path, name, sep):
    """An old Mac CSV/TSV said csv's own 'malformed header: new-line character seen in unquoted
    field - do you need to open the file in universal-newline mode?', a mode no one running
    the command can set; a JSON lines file of such lines is told how to save it instead."""
    content = sep.join(["id", "origin_query", "category_path"]) + "\r1" + sep + "a" + sep + "x\r"
    assert _error(tmp_path, name, content.encode()).endswith(
        f"{name}, line 1: holds a carriage return (\\r) inside the line: the file ends its "
        "lines with \\r alone; save it with \\n (or \\r\\n) line ends")
    # one row's stray \r is named at that row; a quoted one is text, read as written
    stray = "id,origin_query,category_path\n1,a,x\n2,b\rc,y\n"
    assert "stray.csv, line 3: holds a carriage return" in _error(tmp_path, "stray.csv",
                                                                  stray.encode())
    quoted = tmp_path / "quoted.csv"
    quoted.write_bytes(b'id,origin_query,category_path\r\n1,"b\rc",y\r\n')
    assert read_pairs(quoted).df["query"].tolist() == ["b\rc"]


def test_zero_bytes_a_crash_left_are_named_not_malformed_json(tmp_path):
    """A file a crash left padded with zero bytes said 'malformed JSON: Expecting value at
    column 1', as if the line were mistyped."""
    assert _error(tmp_path, "padded.jsonl", ROW.encode() + b"\0" * 4096).endswith(
        "padded.jsonl, line 2: holds a NUL byte (\\0) at column 1: the file is damaged (a crash "
        "can leave zero bytes) or is not JSON lines")


@pytest.mark.parametrize(("name", "first", "said"), [
    ("rows.csv", "sep=,", "'sep=,'"), ("rows.tsv", "sep=\t", "'sep=\\t'")])
def test_a_spreadsheets_separator_line_is_named_not_read_as_the_header(tmp_path, name, first,
                                                                       said):
    """Excel's 'sep=,' first line was read as a header of columns 'sep=' and '': 'line 2:
    expected 2 fields, found 3'."""
    sep = first[-1]
    content = f"{first}\nid{sep}origin_query{sep}category_path\n1{sep}a{sep}x\n".encode()
    assert _error(tmp_path, name, content).endswith(
        f"{name}, line 1: {said} is a spreadsheet's separator line, not the header: delete it, "
        "so that the line naming the columns (id, ...) comes first")


def test_a_blank_line_above_a_csv_header_is_named(tmp_path):
    """A blank first line was read as a header of no columns: 'line 2: expected 0 fields,
    found 3'."""
    content = b"\r\nid,origin_query,category_path\r\n1,a,x\r\n"
    assert _error(tmp_path, "rows.csv", content).endswith(
        "rows.csv, line 1: names no columns: the first line must be the header naming them (id, "
        "...); delete any blank lines above it")
    # a file of blank lines (an empty sheet saved with its byte-order mark) holds no rows
    for blank in (b"\xef\xbb\xbf", b"\xef\xbb\xbf\r\n", b"\n \n"):
        assert _error(tmp_path, "blank.csv", blank).endswith("blank.csv: the file has no rows")


def test_a_header_repeated_mid_file_is_named(tmp_path):
    """Two exports joined with cat (the second with its byte-order mark): the second header was
    read as a row and refused as "field 'task': task is 'task' but the file is QC"."""
    part = "id,task,origin_query,category_path\r\n{},QC,a,x\r\n"
    content = part.format(1).encode() + "\ufeff".encode() + part.format(2).encode()
    assert _error(tmp_path, "joined.csv", content).endswith(
        "joined.csv, line 3: repeats the header line (files joined one after another?); "
        "delete it")


def test_a_byte_order_mark_mid_file_is_named(tmp_path):
    """Two UTF-8-with-BOM exports joined: json's 'Unexpected UTF-8 BOM (decode using
    utf-8-sig)' named a Python call, not the file's fault."""
    content = ("\ufeff" + ROW + "\ufeff" + ROW.replace('"id": 1', '"id": 2')).encode()
    assert _error(tmp_path, "joined.jsonl", content).endswith(
        "joined.jsonl, line 2: starts with a byte-order mark (U+FEFF) that only a file's first "
        "line may hold: were files joined one after another? delete it")


@pytest.mark.parametrize(("name", "content", "said"), [
    ("rows.txt", b"id,origin_query,category_path\n1,a,x\n",
     "rows.txt, line 1: holds a header of columns parted by ',', not JSON lines: name the file "
     ".csv (columns parted by ',') or .tsv (tabs)"),
    ("rows.jsonl", b"id\torigin_query\tcategory_path\n1\ta\tx\n",
     "rows.jsonl, line 1: holds a header of columns parted by tabs, not JSON lines"),
    ("rows.csv", ROW.encode(),
     "rows.csv, line 1: holds a JSON object, not a header: the file is JSON lines; name it "
     ".jsonl"),
], ids=["csv-as-txt", "tsv-as-jsonl", "jsonl-as-csv"])
def test_a_file_of_the_other_format_than_its_name_is_told_so(tmp_path, name, content, said):
    """A CSV saved under the competition's .txt name said 'malformed JSON: Expecting value at
    column 1'; JSON lines named .csv said 'no target column', though the line holds one."""
    assert said in _error(tmp_path, name, content)


@pytest.mark.parametrize(("name", "content"), [
    ("train_QC.txt", b""), ("train_QC.csv", b"id,language,origin_query,category_path,label\n")])
def test_a_training_file_without_rows_is_told_so_with_its_task_given(tmp_path, name, content):
    """With the task given (`train --task QC`, `demo --data`, whose reads name it) an empty
    or header-only training file was read as no rows and refused by the folds, as though its
    labels were missing: "field 'label': folds need labelled rows". It is told what it is, as
    without the task, and so is a file to score (predict refuses it too)."""
    for labels in (True, False):
        assert _error(tmp_path, name, content, task="QC", require_label=labels).endswith(
            f"{name}: the file has no rows")


def test_train_reads_every_spelling_of_a_number_id_by_the_key_and_predict_refuses_them(tmp_path):
    """`train` read ids 2.0, 3e0 and " 4" among number ids as 2, 3 and 4, which `predict` refuses
    in the same file (it writes ids back, to be matched as written; train gives none back, as
    README's input format says); a second spelling of one id is still a duplicate."""
    from shoprel.data.readers import iter_pair_chunks, read_pairs

    yoga = "sports & entertainment,fitness & body building,yoga,yoga mats"

    def line(written_id: str, label: int) -> str:
        return (f'{{"id": {written_id}, "language": "en", "origin_query": "mat", '
                f'"category_path": "{yoga}", "label": {label}}}\n')

    lines = [line(i, n % 2) for n, i in enumerate(["1", "2.0", "3e0", '" 4"'])]
    data = tmp_path / "ids.jsonl"
    data.write_text("".join(lines), encoding="utf-8")
    assert read_pairs(data, require_label=True).df["id"].tolist() == [1, 2, 3, 4]
    with pytest.raises(InputError, match=r"line 2, field 'id': id 2\.0 is written as a decimal"):
        list(iter_pair_chunks(data, written_ids=True, read_labels=False))
    data.write_text("".join([*lines, line("2", 1)]), encoding="utf-8")
    with pytest.raises(InputError, match=r"line 5, field 'id': duplicate id: 2 is the id 2\.0"):
        read_pairs(data, require_label=True)

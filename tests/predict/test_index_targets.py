"""Which targets `shoprel index` reads from a file: JSON lines or plain text, told apart by the
first line."""

import json

import pytest

from shoprel.data.tasks import Task
from shoprel.errors import InputError
from shoprel.predict.index import iter_targets


def test_plain_titles_may_begin_with_a_brace(tmp_path):
    titles = tmp_path / "titles.txt"
    titles.write_text("{New} phone case, 2 pack\n\n{} empty box\nsteel bolts\n", encoding="utf-8")
    assert list(iter_targets(titles, Task.QI)) == ["{New} phone case, 2 pack", "{} empty box",
                                                   "steel bolts"]


def test_json_lines_are_read_by_field_and_broken_ones_named(tmp_path):
    rows = tmp_path / "rows.jsonl"
    rows.write_text("\ufeff" + json.dumps({"id": 1, "item_title": "steel bolts"}) + "\n"
                    + json.dumps({"id": 2, "item_title": "{New} case"}) + "\n", encoding="utf-8")
    assert list(iter_targets(rows, Task.QI)) == ["steel bolts", "{New} case"]
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"id": 1, "item_title": "steel\n', encoding="utf-8")
    with pytest.raises(InputError, match="line 1"):
        list(iter_targets(broken, Task.QI))


def test_index_folders_given_are_named_for_what_they_are(tmp_path):
    """--index: a path that is not there, a run folder (its index/ is meant), an empty folder,
    a folder of something else: each its own line."""
    from shoprel.predict.index import INDEX_FOLDER, MARKER, index_folders

    run = tmp_path / "run"
    (run / INDEX_FOLDER).mkdir(parents=True)
    (run / INDEX_FOLDER / MARKER).write_text(json.dumps({"written_by": "shoprel index"}))
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("x")
    (tmp_path / "empty").mkdir()
    site = tmp_path / "site"  # a website's index.json makes no index
    site.mkdir()
    (site / MARKER).write_text('{"pages": ["home"]}')
    for given, message in ((tmp_path / "nowhere", "index folder not found"),
                           (run, f"holds one: give --index {run / INDEX_FOLDER}"),
                           (tmp_path / "empty", "an empty folder, not an index"),
                           (other, "not an index folder .no index.json.; --index takes"),
                           (site, "its index.json was not written by `shoprel index`")):
        with pytest.raises(InputError, match=message):
            index_folders(tmp_path / "scoring_run", [given])
    assert index_folders(tmp_path / "r", [run / INDEX_FOLDER])[1] == run / INDEX_FOLDER


@pytest.mark.parametrize("name, content", [
    ("rows.json", json.dumps([{"id": 1, "item_title": "steel bolts"}])),
    ("pretty.json", '[\n  {"id": 1, "item_title": "steel bolts"}\n]\n'),
    ("titles.txt", '["steel bolts", "copper pipe"]\n'),
])
def test_a_json_array_is_refused_not_read_as_one_title(tmp_path, name, content):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=rf"{name}, line 1: holds a JSON array, not JSON lines"):
        list(iter_targets(path, Task.QI))


def test_titles_in_brackets_are_titles(tmp_path):
    titles = tmp_path / "titles.txt"
    titles.write_text("[2 pack] steel bolts\n[New]\n", encoding="utf-8")
    assert list(iter_targets(titles, Task.QI)) == ["[2 pack] steel bolts", "[New]"]


@pytest.mark.parametrize("content", ["a,b\rc,d\re,f\r",
                                     '{"category_path": "a,b"}\r{"category_path": "c,d"}\r'])
def test_lines_ended_by_a_carriage_return_alone_are_refused(tmp_path, content):
    """Old Mac line ends: the whole file would be one target (or one broken JSON line)."""
    path = tmp_path / "cr.txt"
    path.write_bytes(content.encode())
    with pytest.raises(InputError, match=r"cr.txt, line 1: holds a carriage return"):
        list(iter_targets(path, Task.QC))
    crlf = tmp_path / "crlf.txt"
    crlf.write_bytes(content.replace("\r", "\r\n").encode())
    assert len(list(iter_targets(crlf, Task.QC))) == (3 if "{" not in content else 2)


def test_targets_are_read_by_predicts_rules(tmp_path):
    """A number is its text, null is an empty target (skipped), a list is said as JSON says
    it; a file of the other task and a contradicting task field are refused as predict refuses
    them."""
    rows = tmp_path / "rows.jsonl"
    rows.write_text("".join(json.dumps(r) + "\n" for r in (
        {"item_title": 12345}, {"item_title": None}, {"item_title": "bolts", "task": "QI"}))
        + '{"item_title": 1.50}\n', encoding="utf-8")
    assert list(iter_targets(rows, Task.QI)) == ["12345", "bolts", "1.50"]
    for record, message in (
            ({"item_title": ["a"]}, "line 2, field 'item_title': a list is not a text"),
            ({"item_title": "x", "task": "QC"}, "line 2, field 'task': task is 'QC' but the "
                                                "file is QI"),
            ({"category_path": "a,b"}, "line 2, field 'item_title': missing required column")):
        bad = tmp_path / "bad.jsonl"
        bad.write_text(json.dumps({"item_title": "ok"}) + "\n" + json.dumps(record) + "\n")
        with pytest.raises(InputError, match=message):
            list(iter_targets(bad, Task.QI))
    qc = tmp_path / "qc.jsonl"
    qc.write_text(json.dumps({"id": 1, "category_path": "a,b"}) + "\n")
    with pytest.raises(InputError, match="line 1, field 'item_title': column missing for task "
                                         "QI .the file looks like a QC file."):
        list(iter_targets(qc, Task.QI))


def test_json_lines_behind_a_line_that_is_not_json_are_refused(tmp_path):
    """A JSON-lines file whose first line was broken (a header, a cut row) was read as one
    title a line: each object's raw JSON was indexed as a title, '2 targets read'."""
    rows = tmp_path / "rows.jsonl"
    rows.write_text('category_path\n\n{"id": 1, "category_path": "home,kitchen"}\n',
                    encoding="utf-8")
    with pytest.raises(InputError) as err:
        list(iter_targets(rows, Task.QC))
    assert str(err.value) == (f"{rows}, line 3: holds a JSON object, yet line 1 is not JSON, so "
                              "the file was read as one target a line: make every line JSON "
                              "(or every line a target)")
    titles = tmp_path / "titles.txt"
    titles.write_text('steel bolts\n{"New"} case\n{"x": 1} is no object\n', encoding="utf-8")
    assert list(iter_targets(titles, Task.QI)) == ["steel bolts", '{"New"} case',
                                                   '{"x": 1} is no object']


@pytest.mark.parametrize("name, separator", [("rows.jsonl", ","), ("train.txt", ","),
                                             ("rows.jsonl", "\t")])
def test_a_table_under_a_json_lines_name_is_refused_not_indexed_as_titles(tmp_path, name,
                                                                         separator):
    """A CSV saved as rows.jsonl (or the competition's .txt) was read as one target a line:
    its header and each row's raw text were indexed as titles, '3 targets read', exit 0, where
    predict refuses the same file at line 1."""
    path = tmp_path / name
    path.write_text(separator.join(["id", "origin_query", "category_path"]) + "\n"
                    + separator.join(["1", "pan", '"home,kitchen"']) + "\n"
                    + separator.join(["2", "mug", '"home,cups"']) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=rf"{name}, line 1: holds a header of columns parted "
                                         "by .*, not JSON lines: name the file .csv"):
        list(iter_targets(path, Task.QC))


def test_a_path_with_a_level_named_like_a_column_is_a_target(tmp_path):
    titles = tmp_path / "catalogue.txt"
    titles.write_text("books,language,dictionaries\nhome,kitchen\n", encoding="utf-8")
    assert list(iter_targets(titles, Task.QC)) == ["books,language,dictionaries",
                                                   "home,kitchen"]


@pytest.mark.parametrize("name", ["titles.txt", "titles.jsonl"])
def test_a_list_headed_by_its_column_skips_the_header_as_the_same_list_compressed_does(tmp_path,
                                                                                      name):
    """A one-column list exported from a spreadsheet, `item_title` on its first line, indexed
    the header as one more title ('3 targets read') where titles.gz or titles.csv read it as
    the column's header: now the run's column is skipped, the other task's is refused."""
    titles = tmp_path / name
    for header in ("item_title", '"item_title"'):
        titles.write_text(f"\ufeff{header}\nsteel bolts\ncordless drill\n", encoding="utf-8")
        assert list(iter_targets(titles, Task.QI)) == ["steel bolts", "cordless drill"]
    titles.write_text("category_path\ntools,drills\n", encoding="utf-8")
    with pytest.raises(InputError, match=rf"{name}, line 1, field 'item_title': column missing "
                                         r"for task QI \(the file looks like a QC file\)"):
        list(iter_targets(titles, Task.QI))
    titles.write_text("item title\nitem_title holder\n", encoding="utf-8")  # titles, no header
    assert list(iter_targets(titles, Task.QI)) == ["item title", "item_title holder"]


@pytest.mark.parametrize(("task", "header"), [(Task.QI, "origin_query"), (Task.QI, '"id"'),
                                              (Task.QC, "Label"), (Task.QC, "language")])
def test_a_list_headed_by_another_column_is_refused_not_indexed(tmp_path, task, header):
    """A spreadsheet's wrong column (the queries, headed origin_query) exported as a list was
    indexed with its header as one more target, exit 0; a list headed by its own column skips
    the header, so one headed by another names it at line 1, and how to index it if meant."""
    column = task.target_column
    name = header.strip('"')
    path = tmp_path / "targets.txt"
    path.write_text(f"{header}\nsteel bolts\ncordless drill\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        list(iter_targets(path, task))
    assert str(info.value) == (f"{path}, line 1: names the column {name!r}, not a target: give "
                               f"the {column} column, one a line (to index {name!r} as a "
                               f"target, put the header line {column} above it)")
    path.write_text(f"{column}\n{header}\nsteel bolts\n", encoding="utf-8")  # as it says
    assert list(iter_targets(path, task)) == [header, "steel bolts"]
    path.write_text(f"steel bolts\n{header}\n", encoding="utf-8")  # a later line is a target
    assert list(iter_targets(path, task)) == ["steel bolts", header]

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
    (run / INDEX_FOLDER / MARKER).write_text("{}")
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("x")
    (tmp_path / "empty").mkdir()
    for given, message in ((tmp_path / "nowhere", "index folder not found"),
                           (run, f"holds one: give --index {run / INDEX_FOLDER}"),
                           (tmp_path / "empty", "an empty folder, not an index"),
                           (other, "not an index folder .no index.json.; --index takes")):
        with pytest.raises(InputError, match=message):
            index_folders(tmp_path / "scoring_run", [given])
    assert index_folders(tmp_path / "r", [run / INDEX_FOLDER])[1] == run / INDEX_FOLDER


def test_a_file_rewritten_to_the_same_size_is_another_build(tmp_path):
    """A killed build's parts are resumed only for the file as it was: rewritten in another
    order (same path, same size) it is another build, whose parts are merged, not resumed."""
    import os

    from shoprel.predict.index import _build_id

    titles = tmp_path / "titles.txt"
    titles.write_text("a\nb\n")
    before = _build_id(titles)
    assert _build_id(titles) == before
    titles.write_text("b\na\n")
    os.utime(titles, ns=(0, titles.stat().st_mtime_ns + 1_000_000))
    assert _build_id(titles) != before

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

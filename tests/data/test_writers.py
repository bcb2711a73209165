import pandas as pd
import pyarrow.parquet as pq
import pytest

from shoprel.data.column_plan import ColumnPlan
from shoprel.data.records import FloatText
from shoprel.data.writers import write_record_chunks, write_table
from shoprel.errors import OutputError
from shoprel.utils.atomic import atomic_dir, atomic_file


def test_jsonl_keeps_text_readable(tmp_path):
    path = write_table(pd.DataFrame({"id": [1], "origin_query": ["ドラクエ"]}), tmp_path / "o.txt")
    assert path.read_text(encoding="utf-8") == '{"id": 1, "origin_query": "ドラクエ"}\n'


def test_failed_write_leaves_nothing(tmp_path):
    target = tmp_path / "out.txt"
    with pytest.raises(RuntimeError):
        with atomic_file(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("interrupted")
    assert list(tmp_path.iterdir()) == []


def test_failed_dir_keeps_previous_run(tmp_path):
    target = tmp_path / "run"
    target.mkdir()
    (target / "old").write_text("previous")
    with pytest.raises(RuntimeError):
        with atomic_dir(target, overwrite=True) as tmp:
            (tmp / "new").write_text("partial")
            raise RuntimeError("interrupted")
    assert [p.name for p in tmp_path.iterdir()] == ["run"]
    assert (target / "old").read_text() == "previous"


def test_dir_refuses_to_overwrite_unless_asked(tmp_path):
    target = tmp_path / "run"
    target.mkdir()
    with pytest.raises(FileExistsError, match="--overwrite"):
        with atomic_dir(target):
            pass
    with atomic_dir(target, overwrite=True) as tmp:
        (tmp / "new").write_text("x")
    assert [p.name for p in target.iterdir()] == ["new"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def _write_chunks(chunks, path, source="q.jsonl"):
    """write_record_chunks as a command calls it: the plan gathered over every chunk first."""
    plan = ColumnPlan(source)
    for records, lines in chunks:
        for record, line in zip(records, lines, strict=True):
            plan.add(record, line)
    return write_record_chunks(chunks, path, plan)


@pytest.mark.parametrize(("above", "value", "said"), [
    ({"a": 1}, [1, 2], "a list here, an object on line 3: a Parquet column holds one type of "
                       "value"),
    (None, 2**63, "the number 9223372036854775808 here, beyond 64 bits: Parquet holds whole "
                  "numbers of 64 bits at most"),
    (None, {}, "an empty object here, and no line gives one there a key: a Parquet object "
               "needs at least one field"),
])
def test_records_parquet_refuses_a_value_it_cannot_hold_naming_line_and_field(
        tmp_path, above, value, said):
    """The records writer (write_records, which wrote all records at once) said a whole number
    beyond 64 bits as an OverflowError traceback and an empty object in pyarrow's words ('Cannot
    write struct type ... with no child field'); records are now written only chunk by chunk,
    and each is the one line the column plan says, before anything is written."""
    chunks = [([{"id": 1, "note": above}], [3]), ([{"id": 2, "note": value}], [7])]
    with pytest.raises(OutputError) as caught:
        _write_chunks(chunks, tmp_path / "o.parquet")
    assert str(caught.value) == (f"q.jsonl, line 7, field 'note': {said}; write the output as "
                                 ".jsonl or .csv")
    assert list(tmp_path.iterdir()) == []


def test_records_csv_keeps_numbers_as_written_and_nulls_empty(tmp_path):
    _write_chunks([([{"id": 1, "q": FloatText("1.50")}], [1]), ([{"id": 2, "x": None}], [2])],
                  tmp_path / "o.csv")
    assert (tmp_path / "o.csv").read_text() == "id,q,x\n1,1.50,\n2,,\n"


@pytest.mark.parametrize("suffix", [".csv", ".tsv"])
def test_records_csv_holds_a_list_or_object_as_its_json(tmp_path, suffix):
    """A list or object went into a CSV cell as Python wrote it ({'a': None, 'b': True},
    1.50 as 1.5, a Parquet map's pairs as [('k', 1)]), which no reader reads back."""
    records = [{"id": 1, "x": {"a": None, "b": True, "c": FloatText("1.50")},
                "tags": ["é", FloatText("2.50")]},
               {"id": 2, "x": {}, "tags": [], "pairs": [("k", 1)]}]
    _write_chunks([(records, [1, 2])], tmp_path / f"o{suffix}")
    read = pd.read_csv(tmp_path / f"o{suffix}", sep="," if suffix == ".csv" else "\t",
                       dtype=str, keep_default_na=False)
    assert read.to_dict("records") == [
        {"id": "1", "x": '{"a": null, "b": true, "c": 1.50}', "tags": '["é", 2.50]', "pairs": ""},
        {"id": "2", "x": "{}", "tags": "[]", "pairs": '[["k", 1]]'}]


def test_records_parquet_of_no_records_is_an_empty_file(tmp_path):
    _write_chunks([], tmp_path / "o.parquet")
    assert pq.read_table(tmp_path / "o.parquet").num_rows == 0

import pandas as pd
import pytest

from shoprel.data.writers import write_table
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


def test_records_parquet_refuses_a_mixed_column_naming_line_and_field(tmp_path):
    from shoprel.data.writers import write_records
    from shoprel.errors import OutputError

    records = [{"id": 1, "note": {"a": 1}}, {"id": 2, "note": [1, 2]}]
    with pytest.raises(OutputError, match=r"o.parquet, line 7, field 'note': cannot be written "
                                          r"as Parquet"):
        write_records(records, tmp_path / "o.parquet", lines=[3, 7])
    assert list(tmp_path.iterdir()) == []


def test_records_csv_keeps_numbers_as_written_and_nulls_empty(tmp_path):
    from shoprel.data.records import FloatText
    from shoprel.data.writers import write_records

    write_records([{"id": 1, "q": FloatText("1.50")}, {"id": 2, "x": None}], tmp_path / "o.csv")
    assert (tmp_path / "o.csv").read_text() == "id,q,x\n1,1.50,\n2,,\n"

"""A count a file holds (a saved model's field) is refused in the file's words for what is no
number and an integer option's for a number (data/records.not_a_written_count)."""

import json

import pytest

from shoprel.data.records import not_a_written_count
from shoprel.errors import InputError


@pytest.mark.parametrize(("written", "said"), [
    ("3", None),
    ("0", "0 is out of range; it must be at least 1"),
    ("2.5", "2.5 is not a whole number"),
    ("4.0", "4.0 is not written as a whole number; write 4"),
    ("NaN", "NaN is not a number"),
    ("-Infinity", "-Infinity is not a finite number"),
    ("true", "true is not a whole number"),
    ("null", "null is not a whole number"),
    ('"3"', "a text is not a whole number"),
    ("[3]", "a list is not a whole number"),
])
def test_a_saved_count_is_said_as_the_file_wrote_it(written, said):
    assert not_a_written_count(json.loads(written), ge=1) == said


def test_file_columns_reads_a_header_a_schema_or_a_first_record(tmp_path):
    """What --overwrite judges an existing output by (predict's, translate's, langid's): a CSV
    or TSV header (one without rows too: predict's output of an empty input), a Parquet
    schema, a JSON-lines file's first record; nothing for blank lines."""
    import pandas as pd

    from shoprel.data.records import file_columns

    (tmp_path / "a.csv").write_text("\ufeffid, prediction\n")
    (tmp_path / "a.tsv").write_text("id\tlabel\n1\t0\n")
    (tmp_path / "a.jsonl").write_text('\n{"id": 1, "label": 0}\n{"id": 2, "other": 1}\n')
    (tmp_path / "b.jsonl").write_text("\n \n")
    pd.DataFrame({"id": [], "probability": []}).to_parquet(tmp_path / "a.parquet")
    assert [file_columns(tmp_path / name) for name in
            ("a.csv", "a.tsv", "a.jsonl", "b.jsonl", "a.parquet")] == [
        ["id", "prediction"], ["id", "label"], ["id", "label"], [], ["id", "probability"]]
    (tmp_path / "c.parquet").write_text("not parquet")
    with pytest.raises(InputError, match="not a readable Parquet file"):
        file_columns(tmp_path / "c.parquet")


@pytest.mark.parametrize(("name", "content"), [
    ("blank_above.tsv", "\n\nid\tlabel\n1\t0\n"),
    ("quote.csv", '"id"x,label\n1,0\n'),
    ("twice.csv", "id,label,id\n1,0,2\n"),
    ("sep.csv", "sep=,\nid,label\n"),
    ("json.csv", '{"id": 1}\n'),
    ("numbers.csv", "1,0\n2,1\n"),
    ("bad.parquet", "not parquet"),
    ("twice.parquet", None),
])
def test_file_columns_refuses_what_the_readers_refuse_in_their_words(tmp_path, name, content):
    """file_columns read a CSV header with a reader of its own, not strict (a field going on
    after its closing quote passed), and passed headers the readers refuse (blank lines above
    it, a column named twice, a spreadsheet's sep= line); its Parquet message was a copy of
    theirs. It now reads by the readers' code: what iter_records refuses at the header it
    refuses with the same message."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from shoprel.data.records import file_columns, iter_records

    path = tmp_path / name
    if content is None:
        pq.write_table(pa.Table.from_arrays([pa.array([1]), pa.array([2])], ["id", "id"]), path)
    else:
        path.write_text(content)
    with pytest.raises(InputError) as read:
        list(iter_records(path))
    with pytest.raises(InputError) as columns:
        file_columns(path)
    assert str(columns.value) == str(read.value)

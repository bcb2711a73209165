"""A Parquet map column is read as objects: `{}` beside keyed objects stays `{}` (it read as
`[]`, and `{"a": 1}` as `[["a", 1]]`); a struct column's `{}` is stored with its fields null,
and read so."""

import pyarrow as pa
import pyarrow.parquet as pq

from shoprel.data.records import iter_records


def _written(tmp_path, **columns):
    path = tmp_path / "rows.parquet"
    pq.write_table(pa.table({"id": [1, 2, 3], "origin_query": ["a", "b", "c"],
                             "category_path": ["x", "y", "z"], **columns}), path)
    return [record for _, record in iter_records(path)]


def test_a_map_column_reads_as_objects_at_any_depth(tmp_path):
    counts = pa.map_(pa.string(), pa.int64())
    records = _written(
        tmp_path,
        counts=pa.array([[("a", 1)], [], None], type=counts),
        nested=pa.array([[[("k", 1)], []], [], None], type=pa.list_(counts)),
        inside=pa.array([{"m": [("k", 2)]}, {"m": []}, None],
                        type=pa.struct([("m", counts)])),
        attrs=pa.array([{"a": 1}, {}, None], type=pa.struct([("a", pa.int64())])))
    assert [r["counts"] for r in records] == [{"a": 1}, {}, None]
    assert [r["nested"] for r in records] == [[{"k": 1}, {}], [], None]
    assert [r["inside"] for r in records] == [{"m": {"k": 2}}, {"m": {}}, None]
    # a struct has its fields on every row: the file holds {"a": null}, not {}
    assert [r["attrs"] for r in records] == [{"a": 1}, {"a": None}, None]


def test_a_map_whose_keys_repeat_keeps_its_pairs(tmp_path):
    """A dict would keep one of them; the pairs lose nothing."""
    repeated = pa.array([[("a", 1), ("a", 2)], [("b", 3)], []],
                        type=pa.map_(pa.string(), pa.int64()))
    assert [r["m"] for r in _written(tmp_path, m=repeated)] == [[("a", 1), ("a", 2)],
                                                                {"b": 3}, {}]

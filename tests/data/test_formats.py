"""The formats table names every format in help texts, a new one included."""

import shoprel.data.formats as formats


def test_a_format_added_to_the_table_is_described(monkeypatch):
    assert formats.formats_described() == ("JSON lines (.json, .jsonl, .ndjson, .txt), "
                                           "CSV (.csv), TSV (.tsv), Parquet (.parquet, .pq)")
    monkeypatch.setitem(formats.FORMATS, ".feather", "feather")
    assert formats.formats_described().endswith(", Parquet (.parquet, .pq), feather (.feather)")

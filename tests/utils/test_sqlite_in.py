import sqlite3

from shoprel.utils.sqlite_in import rows_where_in


def test_many_values_are_asked_in_parts_with_the_extra_condition():
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE t (source TEXT, text TEXT, value INTEGER)")
    db.executemany("INSERT INTO t VALUES (?, ?, ?)",
                   [(src, f"w{i}", i) for src in ("es", "fr") for i in range(2500)])
    wanted = [f"w{i}" for i in range(0, 2500, 2)] + ["absent"]
    rows = list(rows_where_in(db, "SELECT text, value FROM t", "text", wanted,
                              where="source=?", params=("fr",), part=300))
    assert sorted(v for _, v in rows) == list(range(0, 2500, 2))
    assert list(rows_where_in(db, "SELECT text FROM t", "text", [])) == []
    plain = sorted(rows_where_in(db, "SELECT source, text FROM t", "text", ["w1"]))
    assert plain == [("es", "w1"), ("fr", "w1")]

"""The load test's search-page shape: one query a request, its own targets first, N candidates,
each query once; the default shape still sends the file's rows in order."""

import json

import pytest

from shoprel.data.tasks import Task


def test_query_shape_sends_each_query_once_with_its_own_targets_first(qi_demo, load_bench):
    bench = load_bench("load_test")
    rows = bench.read_pairs(qi_demo, task=Task.QI).df
    requests = bench.request_bodies(qi_demo, Task.QI, 10, "query")
    assert len(requests) == rows["query"].nunique()
    for request in requests:
        pairs = request["pairs"]
        assert len({p["query"] for p in pairs}) == 1
        assert len(pairs) == min(10, rows["target"].nunique())
        titles = [p["item_title"] for p in pairs]
        assert len(set(titles)) == len(titles)
        own = list(dict.fromkeys(rows.loc[rows["query"] == pairs[0]["query"], "target"]))[:10]
        assert titles[:len(own)] == own
    again = bench.request_bodies(qi_demo, Task.QI, 10, "query")
    assert again == requests


def test_rows_shape_keeps_file_order(qi_demo, load_bench):
    bench = load_bench("load_test")
    rows = bench.read_pairs(qi_demo, task=Task.QI).df
    requests = bench.request_bodies(qi_demo, Task.QI, 10)
    assert len(requests) == len(rows) // 10
    assert [p["query"] for p in requests[1]["pairs"]] == list(rows["query"].iloc[10:20])


def _with_empty_texts(qi_demo, folder):
    """The demo's first 12 rows, line 3's query blank and line 7's title empty."""
    rows = [json.loads(line) for line in qi_demo.read_text(encoding="utf-8").splitlines()[:12]]
    rows[2]["origin_query"] = "   "
    rows[6]["item_title"] = ""
    path = folder / "with_empty.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path, rows


@pytest.mark.parametrize("shape", ["rows", "query"])
def test_rows_with_an_empty_text_are_left_out_with_one_note(qi_demo, load_bench, tmp_path,
                                                             capsys, shape):
    """serve answers 422 for a pair with an empty or blank text: the load test must not send
    one, or every request holding it counts as an error."""
    bench = load_bench("load_test")
    path, rows = _with_empty_texts(qi_demo, tmp_path)
    requests = bench.request_bodies(path, Task.QI, 5, shape)
    pairs = [p for r in requests for p in r["pairs"]]
    assert pairs and all(p["query"].strip() and p["item_title"].strip() for p in pairs)
    kept = [r for i, r in enumerate(rows) if i not in (2, 6)]
    if shape == "rows":
        assert [p["query"] for p in pairs] == [r["origin_query"] for r in kept]
    else:
        assert len(requests) == len({r["origin_query"] for r in kept})
    err = capsys.readouterr().err
    assert err.splitlines() == [
        f"note: {path} holds 1 row with an empty query and 1 with an empty target, the first at "
        "line 3 (left out: serve refuses a pair with an empty text)"]


def test_a_file_with_every_text_present_gets_no_note(qi_demo, load_bench, capsys):
    load_bench("load_test").request_bodies(qi_demo, Task.QI, 10)
    assert capsys.readouterr().err == ""

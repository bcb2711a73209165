"""The load test's search-page shape: one query a request, its own targets first, N candidates,
each query once; the default shape still sends the file's rows in order."""

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

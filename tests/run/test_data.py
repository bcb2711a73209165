"""Reading metrics.json's data block in every shape a run or an ensemble wrote it."""

from shoprel.run.data import PER_MEMBER, ensemble_data, member_blocks, recorded_field


def test_a_per_member_list_without_entries_reads_as_the_shared_block():
    """A per_member list holding no object (a damaged file) left no block at all, and an
    ensemble built over it failed with an IndexError instead of reading the shared fields."""
    damaged = {"run_name": "ens", "data": {"rows": 10, PER_MEMBER: ["x", 3]}}
    assert member_blocks(damaged) == [("ens", {"rows": 10})]
    run = {"run_name": "a", "data": {"rows": 10, "augmented_rows": 4}}
    assert ensemble_data([("ens", damaged), ("a", run)]) == {
        "rows": 10, PER_MEMBER: [{"name": "ens"}, {"name": "a", "augmented_rows": 4}]}


def test_a_run_an_older_ensemble_and_a_new_one_read_alike():
    run = {"run_name": "a", "data": {"train_file": "/d/t.jsonl", "augmented_rows": 0}}
    assert recorded_field(run, "augmented_rows") == [("a", 0)]
    assert recorded_field({"data": None}, "augmented_rows") == []
    new = {"data": {"train_file": "/d/t.jsonl",
                    PER_MEMBER: [{"name": "a", "augmented_rows": 0},
                                 {"name": "b", "augmented_rows": 45}]}}
    assert recorded_field(new, "augmented_rows") == [("a", 0), ("b", 45)]
    assert recorded_field(new, "train_file") == [("a", "/d/t.jsonl"), ("b", "/d/t.jsonl")]

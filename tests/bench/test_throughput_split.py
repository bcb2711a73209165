"""The throughput bench scores pairs whose queries neither the runs nor the distilled student
ever saw, and its training part does not depend on how the held-out queries are divided."""

import json
from pathlib import Path

import pytest


def queries(path: Path) -> list[str]:
    return [json.loads(line)["origin_query"].lower().strip()
            for line in path.read_text(encoding="utf-8").splitlines()]


def test_three_parts_share_no_query_and_training_part_is_stable(qc_demo, tmp_path, load_bench):
    bench = load_bench("throughput")
    parts = {}
    for share in (0.5, 0.3):
        work = tmp_path / str(share)
        work.mkdir()
        parts[share] = bench.split_by_query(qc_demo, work, holdout=0.4, seed=3,
                                            unlabeled_share=share)
    train, held, given = parts[0.5]
    sets = [set(queries(p)) for p in (train, held, given)]
    assert all(sets) and not (sets[0] & sets[1]) and not (sets[0] & sets[2])
    assert not (sets[1] & sets[2])
    total = sum(len(p.read_text().splitlines()) for p in (train, held, given))
    assert total == len(qc_demo.read_text().splitlines())
    assert train.read_bytes() == parts[0.3][0].read_bytes()  # runs trained before stay valid
    assert len(queries(parts[0.3][2])) < len(queries(given))


def test_skip_takes_variants_and_variant_cache_pairs_and_refuses_other_names(load_bench):
    """A typo in --skip skipped nothing and the bench ran every variant: it is refused now."""
    bench = load_bench("throughput")
    assert bench.skipped("fast, default-warm,,student") == {"fast", "default-warm", "student"}
    assert bench.skipped("") == set()
    with pytest.raises(ValueError, match=r"^--skip: unknown 'defualt', 'fast-hot'; the variants"):
        bench.skipped("defualt,fast-hot,carried")

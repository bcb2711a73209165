import numpy as np
import pytest

from shoprel.data.category import prefix
from shoprel.data.readers import read_pairs
from shoprel.errors import InputError
from shoprel.folds.grouped import assign_folds, cross_fitted, fold_groups


def _groups_never_cross(frame, folds, groups):
    for group in set(groups):
        assert len(set(folds[groups == group])) == 1, group


@pytest.mark.parametrize("fixture", ["qc_demo", "qi_demo"])
def test_no_group_crosses_folds(fixture, request):
    frame = read_pairs(request.getfixturevalue(fixture), require_label=True)
    folds = assign_folds(frame, k=5, seed=1)
    assert set(folds) == set(range(5))
    _groups_never_cross(frame, folds, fold_groups(frame))


def test_qc_groups_are_category_prefixes(qc_demo):
    frame = read_pairs(qc_demo)
    groups = fold_groups(frame, qc_group_levels=2)
    assert groups[0] == prefix(frame.df["target"][0], 2).lower()


def test_qi_groups_by_normalised_query(tmp_path, jsonl):
    rows = [{"id": i, "language": "en", "origin_query": q, "item_title": "t", "label": i % 2}
            for i, q in enumerate(["Phone Case", "phone  case", "usb", "usb", "lamp", "lamp"])]
    frame = read_pairs(jsonl(tmp_path / "qi.txt", rows))
    folds = assign_folds(frame, k=3, seed=0)
    assert folds[0] == folds[1] and folds[2] == folds[3] and folds[4] == folds[5]


def test_same_seed_same_folds_other_seed_differs(qc_demo):
    frame = read_pairs(qc_demo)
    a, b, c = (assign_folds(frame, 5, seed) for seed in (3, 3, 4))
    assert np.array_equal(a, b) and not np.array_equal(a, c)


@pytest.mark.parametrize("fixture", ["qc_demo", "real_qc"])
def test_row_order_does_not_move_a_row_between_folds(fixture, request, tmp_path):
    """The same rows in another order get the same folds: a user who sorts or shuffles a file
    compares runs on the same splits."""
    source = request.getfixturevalue(fixture)
    lines = [line for line in source.read_text(encoding="utf-8").splitlines() if line.strip()]
    frame = read_pairs(source, require_label=True)
    expected = dict(zip(frame.df["id"].astype(str), assign_folds(frame, 5, 42), strict=True))
    for seed in (1, 2):
        order = np.random.default_rng(seed).permutation(len(lines))
        shuffled = tmp_path / f"shuffled{seed}.txt"
        shuffled.write_text("\n".join(lines[i] for i in order) + "\n", encoding="utf-8")
        other = read_pairs(shuffled, require_label=True)
        got = dict(zip(other.df["id"].astype(str), assign_folds(other, 5, 42), strict=True))
        assert got == expected


def test_too_few_groups_is_a_clear_error(tmp_path, jsonl, qc_rows):
    frame = read_pairs(jsonl(tmp_path / "x.txt", qc_rows))
    with pytest.raises(InputError, match="only 3 distinct groups for 5 folds"):
        assign_folds(frame, k=5)


def test_real_folds_are_balanced_and_leak_free(real_qc):
    frame = read_pairs(real_qc, require_label=True)
    folds = assign_folds(frame, k=5, seed=42)
    _groups_never_cross(frame, folds, fold_groups(frame))
    sizes = np.bincount(folds)
    assert sizes.min() > 0.8 * sizes.max()
    rates = [frame.labels[folds == k].mean() for k in range(5)]
    assert max(rates) - min(rates) < 0.05


def test_cross_fitted_rows_come_from_folds_without_their_group(qc_demo):
    groups = fold_groups(read_pairs(qc_demo))
    calls = []

    def fit_transform(train, valid):
        calls.append((train, valid))
        # 1 where the row's group was on the fitting side (a leak), and the fitting side's size
        return np.column_stack([np.isin(groups[valid], groups[train]), np.full(len(valid),
                                                                               len(train))])

    out = cross_fitted(fit_transform, groups, inner_folds=4, seed=3, width=2, fill=-1.0)
    assert len(calls) == 4
    assert not out[:, 0].any()  # no row's group ever on the side that made its features
    assert (out[:, 1] > 0).all() and (out[:, 1] < len(groups)).all()  # every row filled
    valid_rows = np.concatenate([valid for _, valid in calls])
    assert sorted(valid_rows) == list(range(len(groups)))  # each row made exactly once
    # as many folds as groups when fewer groups than folds are asked for
    few = np.array(["a", "a", "b", "b", "c"])
    assert cross_fitted(lambda train, valid: np.zeros((len(valid), 1)), few, 10, 0, 1,
                        fill=np.nan).tolist() == [[0.0]] * 5


def _qi_rows(labels):
    return [{"id": i, "language": "en", "origin_query": f"query {i}", "item_title": "t",
             "label": label} for i, label in enumerate(labels)]


def test_more_folds_than_rows_of_a_label_is_a_clear_error(tmp_path, jsonl):
    frame = read_pairs(jsonl(tmp_path / "s.txt", _qi_rows([1] * 20 + [0] * 10)))
    with pytest.raises(InputError, match="only 20 rows of the commonest label for 27 folds"):
        assign_folds(frame, k=27)
    one_each = read_pairs(jsonl(tmp_path / "two.txt", _qi_rows([1, 0])))
    with pytest.raises(InputError, match="only 1 row of the commonest label for 2 folds"):
        assign_folds(one_each, k=2)


def test_a_fold_whose_training_side_has_one_label_is_told_at_once(tmp_path, jsonl):
    frame = read_pairs(jsonl(tmp_path / "t.txt", _qi_rows([1] * 20 + [0])))
    with pytest.raises(InputError, match=r"all 1 row\(s\) labelled 0 fall into fold \d, so its "
                                         "model would train on one label"):
        assign_folds(frame, k=5)
    assert len(set(assign_folds(read_pairs(jsonl(tmp_path / "u.txt", _qi_rows(
        [1] * 20 + [0] * 2))), k=2))) == 2  # two of them, two folds: each trains on both

import numpy as np
from sklearn.metrics import roc_auc_score

from shoprel.ensemble.align import align_runs
from shoprel.ensemble.runner import fit_combination
from shoprel.ensemble.stacking import fit_stack, nested_stack_oof, predict_stack


def test_stack_coefficients_round_trip_as_json_numbers():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 300)
    p = np.column_stack([np.clip(0.3 * y + 0.7 * rng.uniform(size=300), 0, 1),
                         rng.uniform(size=300)])
    lang = np.where(np.arange(300) % 2, "en", "fr")
    coefficients = fit_stack(p, lang, y)
    assert coefficients["languages"] == ["en", "fr"]
    assert all(isinstance(c, float) for c in coefficients["member_coef"])
    assert abs(coefficients["member_coef"][0]) > 3 * abs(coefficients["member_coef"][1])
    out = predict_stack(coefficients, p[:5], np.array(["en", "de", "fr", "en", "fr"]))
    assert out.shape == (5,) and ((out > 0) & (out < 1)).all()


def test_nested_stack_oof_does_not_reward_memorised_noise():
    """A stack fitted on all rows would use a noise column's chance fit; nested folds do not."""
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 240)
    p = rng.uniform(size=(240, 6))
    nested = nested_stack_oof(p, np.array(["en"] * 240), y, np.arange(240) % 3)
    assert roc_auc_score(y, nested) < 0.6


def test_noise_member_does_not_lift_the_stack(qc_runs, tmp_path, make_fake_run):
    rng = np.random.default_rng(7)
    base = align_runs([qc_runs[0], qc_runs[1]])  # column 0: the first run alone
    noise = make_fake_run(qc_runs[1], tmp_path / "noise",
                          probabilities=rng.uniform(size=len(base.base)))
    y = base.base["label"].to_numpy()
    alone = roc_auc_score(y, base.probabilities[:, 0])
    with_noise = align_runs([qc_runs[0], noise])
    _, stack_oof = fit_combination(with_noise, "stack")
    _, mean_oof = fit_combination(with_noise, "mean")
    _, vote_oof = fit_combination(with_noise, "vote", weights=[1, 1])
    assert roc_auc_score(y, stack_oof) <= alone + 0.02
    assert roc_auc_score(y, mean_oof) < alone
    assert roc_auc_score(y, vote_oof) < alone

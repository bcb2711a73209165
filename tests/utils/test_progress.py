import io

from tqdm import tqdm

from shoprel.utils.progress import bar_wanted, bars_allowed, honours_progress, quiet_while


@honours_progress
def work(n: int, progress: bool = True) -> str:
    """Stands for a command whose model draws its own bar deep inside."""
    out = io.StringIO()
    for _ in tqdm(range(n), file=out, disable=not bars_allowed()):
        pass
    return out.getvalue()


def test_nested_bars_follow_the_callers_progress_flag():
    assert "3/3" in work(3)
    assert work(3, progress=False) == ""
    assert work(3, False) == ""  # positional too
    assert bars_allowed()  # restored afterwards


def test_quiet_nests_and_restores():
    with quiet_while(True):
        assert not bars_allowed()
        with quiet_while(False):  # an inner call cannot turn bars back on
            assert not bars_allowed()
        assert work(2) == ""
    assert bars_allowed()


def test_the_run_and_predict_entry_points_honour_it():
    from shoprel.predict.predictor import predict_file
    from shoprel.training.runner import train

    assert train.__wrapped__ and predict_file.__wrapped__
    assert train.__doc__.startswith("Train with cross-validation")


def test_a_bar_is_wanted_for_work_only_and_never_under_quiet():
    assert not bar_wanted(0, True, 10)  # an empty stage: no empty bar
    assert bar_wanted(1, True, 10) and not bar_wanted(9, None, 10) and bar_wanted(10, None, 10)
    assert not bar_wanted(10**6, False, 10)
    with quiet_while(True):
        assert not bar_wanted(10**6, True, 10)

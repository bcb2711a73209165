import io

from tqdm import tqdm

from shoprel.utils.progress import bars_allowed, honours_progress, quiet_while


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

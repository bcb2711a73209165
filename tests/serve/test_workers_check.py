"""serve opens the run with the settings its app uses before it warns or listens (with --workers
N, once before any worker starts)."""

import pytest
from click.testing import CliRunner

from shoprel.cli import main


@pytest.mark.parametrize("index_json, why", [
    (None, "an empty folder, not an index (no index.json)"),
    ("{not json", "not an index folder (its index.json was not written by `shoprel index`)"),
])
def test_a_broken_index_folder_is_one_line_before_any_worker_starts(
        qc_run, never_served, tmp_path, index_json, why):
    """The check before the workers opened the run without --index: each worker then failed
    in a traceback, restarted by uvicorn's supervisor over and over, and the server hung."""
    folder = tmp_path / "index"
    folder.mkdir()
    if index_json is not None:
        (folder / "index.json").write_text(index_json)
    result = CliRunner().invoke(main, ["serve", str(qc_run), "--port", "0", "--workers", "2",
                                       "--index", str(folder)])
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(f"error: {folder}: {why}")
    assert result.stderr.count("\n") == 1



@pytest.mark.parametrize("workers", ["1", "2"])
def test_no_exposure_warning_before_a_broken_index_fails(qc_run, never_served, tmp_path,
                                                         workers):
    """With one process the app was built after the 'without an API key' warning: a server
    that would never listen warned of its exposure, then failed."""
    result = CliRunner().invoke(main, ["serve", str(qc_run), "--host", "0.0.0.0", "--port", "0",
                                       "--workers", workers, "--index", str(tmp_path)])
    assert result.exit_code == 2, result.output
    assert result.stderr == (f"error: {tmp_path}: an empty folder, not an index (no index.json); "
                             f"build one with `shoprel index RUN FILE --out {tmp_path}`\n")


def test_more_workers_than_the_cores_can_use_are_refused_before_any_starts(
        qc_run, never_served, monkeypatch):
    """`--workers 99999999999999999999` started worker processes, each loading the model,
    until the machine ran out of memory (381 of them on 2 cores, load average 380), and
    neither SIGTERM nor Ctrl-C stopped it: uvicorn's supervisor starts every worker before it
    heeds a signal. Now one line, nothing started; twice the cores is still served."""
    from shoprel.serve import server

    monkeypatch.setattr(server, "usable_cores", lambda: 2)
    args = ["serve", str(qc_run), "--port", "0", "--workers"]
    result = CliRunner().invoke(main, [*args, "99999999999999999999"])
    assert result.exit_code == 2, result.output
    assert result.stderr == (
        "error: --workers 99999999999999999999: more than this machine can use (2 CPU cores, "
        "2 workers a core at most; each loads the model and scores with its own threads); "
        "give --workers 4 or fewer (1 suits a machine with few cores)\n")
    for refused in ("5", "64"):
        assert CliRunner().invoke(main, [*args, refused]).exit_code == 2
    served = CliRunner().invoke(main, [*args, "4"])
    assert str(served.exception) == "the server started"


def test_one_core_takes_two_workers():
    from shoprel.errors import ConfigError
    from shoprel.serve.server import check_workers

    check_workers(1, cores=1)
    check_workers(2, cores=1)
    with pytest.raises(ConfigError, match=r"^--workers 3: more than this machine can use \(1 CPU "
                                          r"core, .*give --workers 2 or fewer"):
        check_workers(3, cores=1)

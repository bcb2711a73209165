"""serve --workers N opens the run, with the workers' own settings, once before any starts."""

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


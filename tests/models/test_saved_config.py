"""A saved model's model.json that is missing or damaged is one line naming the file, however
the model is reached (RelevanceModel.load, a run's model folders, the CLI)."""

import shutil

import pytest
from click.testing import CliRunner

from shoprel.errors import RunDirError
from shoprel.models.base import RelevanceModel

BROKEN = [
    ('{"family": "fast", "par', "not a readable model config (Unterminated string starting "
                               "at: line 1 column 20 (char 19))"),
    # said as the file wrote it: it was Python's 'expected a JSON object, got list' (str)
    ("[1]", "a list is not a JSON object"),
    ('"fast"', "a text is not a JSON object"),
    ("null", "null is not a JSON object"),
    (b"\xff\xfe{}", "not a readable model config ('utf-8' codec can't decode byte 0xff in "
                    "position 0: invalid start byte)"),
]


@pytest.mark.parametrize("text, message", BROKEN)
def test_load_says_which_model_json_is_broken(tmp_path, text, message):
    """load raised json's JSONDecodeError (or a TypeError on a list) as a traceback."""
    config = tmp_path / "model.json"
    config.write_bytes(text if isinstance(text, bytes) else text.encode())
    for read in (RelevanceModel.load, RelevanceModel.saved_reads_translation):
        with pytest.raises(RunDirError) as info:
            read(tmp_path)
        assert str(info.value) == f"{config}: {message}"


def test_a_folder_without_model_json_is_not_a_saved_model(tmp_path):
    with pytest.raises(RunDirError, match=r": no model.json; not a saved shoprel model$"):
        RelevanceModel.load(tmp_path)


def test_a_run_with_a_truncated_model_json_names_the_file(trained_runs, tmp_path):
    """The CLI said '<folder>: cannot load the saved model (JSONDecodeError: ...)', not which
    file of the folder was broken."""
    from shoprel.cli import main

    run = shutil.copytree(trained_runs["QC"], tmp_path / "run")
    config = run / "models" / "fold_1" / "model.json"
    config.write_text(config.read_text()[:20])
    result = CliRunner().invoke(main, ["far-pairs", str(run), "--quiet"])
    assert result.exit_code == 2
    assert result.output.startswith(f"error: {config}: not a readable model config (")
    assert len(result.output.splitlines()) == 1

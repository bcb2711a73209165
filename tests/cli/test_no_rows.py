"""A file with no rows (a header-only CSV, an empty JSON lines file) is refused by every command
that reads pairs, in one line naming it, exit 2, nothing written: such a file is almost always a
wrong file or an export that failed. `predict` wrote it an empty submission and exited 0,
`evaluate --task qc` on an empty gold file failed with a KeyError traceback, `train` with
`data.task` set said 'folds need labelled rows', `check-submission` passed an empty submission
against an empty input ("ok: 0 rows match") and evaluate said an empty PREDICTIONS file left
every gold id unscored."""

from pathlib import Path

import pytest
from click.testing import CliRunner

import shoprel
from shoprel.cli.app import main
from shoprel.demo import demo_file
from shoprel.errors import InputError

FAST = Path(__file__).resolve().parents[2] / "configs" / "fast.yaml"
HEADER = "id,language,origin_query,category_path,label\n"

# each command's arguments around the file of no rows (EMPTY), a QC file with rows (QC), the QC
# run (RUN) and its outputs (OUT, OUT.jsonl)
COMMANDS = {
    "train": ["train", "EMPTY", "--out", "OUT", "--quiet"],
    "train --task": ["train", "EMPTY", "--out", "OUT", "--config", "QC_CONFIG", "--quiet"],
    "translate": ["translate", "EMPTY", "--backend", "table", "--table", "TABLE", "--out",
                  "OUT.jsonl", "--quiet"],
    "langid": ["langid", "EMPTY", "--out", "OUT.jsonl", "--quiet"],
    "distill --unlabeled": ["distill", "RUN", "--student", str(FAST), "--unlabeled", "EMPTY",
                            "--out", "OUT", "--quiet"],
    "predict": ["predict", "RUN", "EMPTY", "--out", "OUT.jsonl", "--quiet"],
    "evaluate GOLD": ["evaluate", "QC", "EMPTY"],
    "evaluate --task GOLD": ["evaluate", "--task", "qc", "QC", "EMPTY"],
    "evaluate PREDICTIONS": ["evaluate", "EMPTY", "QC"],
    "check-submission --input": ["check-submission", "QC", "--input", "EMPTY"],
    "check-submission SUBMISSION": ["check-submission", "EMPTY", "--input", "QC"],
}


@pytest.fixture(params=["header.csv", "empty.jsonl"])
def no_rows(request, tmp_path) -> Path:
    given = tmp_path / request.param
    given.write_text(HEADER if given.suffix == ".csv" else "", encoding="utf-8")
    return given


@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_file_without_rows_is_refused_naming_it(tmp_path, trained_runs, no_rows, command):
    table = tmp_path / "table.jsonl"
    table.write_text('{"text": "a", "source": "es", "target": "en", "translation": "b"}\n')
    config = tmp_path / "qc.yaml"
    config.write_text(f"{FAST.read_text()}\ndata: {{task: QC}}\n")
    named = {"EMPTY": str(no_rows), "OUT": str(tmp_path / "out"),
             "OUT.jsonl": str(tmp_path / "out.jsonl"), "RUN": str(trained_runs["QC"]),
             "TABLE": str(table), "QC": str(demo_file("QC")), "QC_CONFIG": str(config)}
    before = set(tmp_path.iterdir())
    result = CliRunner().invoke(main, [named.get(arg, arg) for arg in COMMANDS[command]])
    assert result.exit_code == 2, result.output
    assert result.stderr.splitlines()[-1] == f"error: {no_rows}: the file has no rows"
    assert set(tmp_path.iterdir()) == before  # nothing written


def test_the_api_refuses_it_as_the_command(tmp_path, trained_runs, no_rows):
    """predict_file wrote an empty submission; read_pairs gave an empty frame once told the
    task, and evaluate_file failed on it with a KeyError."""
    for call in (lambda: shoprel.predict_file(trained_runs["QC"], no_rows, tmp_path / "p.jsonl",
                                              progress=False),
                 lambda: shoprel.read_pairs(no_rows, task="QC"),
                 lambda: shoprel.evaluate_file(demo_file("QC"), no_rows, task="qc"),
                 lambda: shoprel.evaluate_file(no_rows, demo_file("QC")),
                 lambda: shoprel.check_submission(demo_file("QC"), no_rows),
                 lambda: shoprel.check_submission(no_rows, demo_file("QC"))):
        with pytest.raises(InputError) as refused:
            call()
        assert str(refused.value) == f"{no_rows}: the file has no rows"
    assert not (tmp_path / "p.jsonl").exists()

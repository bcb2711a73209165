"""A compressed pairs file whose name says no format (rows.gz) is read by every command that reads
pairs as its first bytes inside show, and refused in the same line when it holds no pairs file:
only predict, evaluate and check-submission read it, every other command said 'is compressed
(.gz) but its name says no format before .gz'."""

import gzip
from pathlib import Path

import pytest
from click.testing import CliRunner

from shoprel.cli.app import main
from shoprel.demo import demo_file

FAST = Path(__file__).resolve().parents[2] / "configs" / "fast.yaml"

# each command's arguments around the input file (IN), its output (OUT) and the QC run (RUN)
COMMANDS = {
    "train": ["train", "IN", "--out", "OUT", "--quiet"],
    "pretrain": ["pretrain", "IN", "--out", "OUT", "--quiet"],
    "translate": ["translate", "IN", "--backend", "table", "--table", "TABLE", "--out",
                  "OUT.jsonl", "--quiet"],
    "langid": ["langid", "IN", "--out", "OUT.jsonl", "--quiet"],
    "distill --unlabeled": ["distill", "RUN", "--student", str(FAST), "--unlabeled", "IN",
                            "--out", "OUT", "--quiet"],
    "predict": ["predict", "RUN", "IN", "--out", "OUT.jsonl", "--quiet"],
}


def _invoked(command: str, tmp_path, run, given):
    table = tmp_path / "table.jsonl"
    table.write_text('{"text": "a", "source": "es", "target": "en", "translation": "b"}\n')
    named = {"IN": str(given), "OUT": str(tmp_path / "out"), "OUT.jsonl": str(tmp_path /
             "out.jsonl"), "RUN": str(run), "TABLE": str(table)}
    return CliRunner().invoke(main, [named.get(arg, arg) for arg in COMMANDS[command]])


@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_gzip_of_no_format_s_name_holding_a_png_is_refused_in_predict_s_words(
        tmp_path, trained_runs, command):
    given = tmp_path / "rows.gz"
    given.write_bytes(gzip.compress(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"))
    result = _invoked(command, tmp_path, trained_runs["QC"], given)
    assert result.exit_code == 2, result.output
    assert result.stderr.splitlines()[-1] == (f"error: {given}, line 1: invalid UTF-8 at byte 0 "
                                              "of the line (b'\\x89PNG'); save the file as UTF-8")
    assert not any(path.name.startswith("out") for path in tmp_path.iterdir())


@pytest.mark.parametrize("command", ["translate", "langid", "predict"])
def test_a_gzip_of_no_format_s_name_is_read_as_its_content(tmp_path, trained_runs, command):
    given = tmp_path / "rows.gz"
    given.write_bytes(gzip.compress(demo_file("QC").read_bytes()))
    result = _invoked(command, tmp_path, trained_runs["QC"], given)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out.jsonl").stat().st_size

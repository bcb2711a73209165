"""`--out -` is no stdout: every command that writes a file refuses it in one line, before any
work. predict, check-submission and evaluate read `-` as stdin, so a user tries it for an output
too; noise then wrote a file named `-` into the current folder, and predict, translate and langid
told the user to name the output `-.jsonl`."""

import subprocess
import sys

import pytest
from click.testing import CliRunner

from shoprel.cli import main
from shoprel.demo import demo_file

SAID = ("error: -: outputs are written to files, not to stdout; give a file name (`-` is stdin "
        "only for an input)\n")

COMMANDS = {
    "predict": lambda run: ["predict", run, demo_file("QC"), "--out", "-"],
    "noise --out": lambda run: ["noise", run, "--out", "-"],
    "noise --filtered-train": lambda run: ["noise", run, "--filtered-train", "-"],
    "translate": lambda run: ["translate", demo_file("QC"), "--to", "en", "--out", "-"],
    "langid": lambda run: ["langid", demo_file("QC"), "--out", "-"],
    "report": lambda run: ["report", run, "--out", "-"],
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_an_output_named_dash_is_refused(trained_runs, tmp_path, monkeypatch, command):
    monkeypatch.chdir(tmp_path)
    args = [str(a) for a in COMMANDS[command](trained_runs["QC"])]
    result = CliRunner().invoke(main, args)
    assert (result.exit_code, result.stderr) == (2, SAID), result.output
    assert result.stdout == ""  # refused before noise prints its flagged rows
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("stream", ["/dev/stdout", "/dev/fd/1", "/dev/stderr"])
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_an_output_named_as_a_stream_is_refused_as_dash_is(trained_runs, tmp_path, monkeypatch,
                                                            command, stream):
    """--out /dev/stdout: langid said '/dev/stdout: cannot write in /dev (No such file or
    directory)' where stdout was a pipe (its lock beside the pipe's path), and every command
    '/dev/stdout already exists (use --overwrite to replace it)' where stdout was a file, which
    --overwrite then refused as a link: now the same line as `-`'s, before any work."""
    monkeypatch.chdir(tmp_path)
    args = [str(a) for a in COMMANDS[command](trained_runs["QC"])][:-1] + [stream]
    result = CliRunner().invoke(main, args)
    said = "stderr" if stream == "/dev/stderr" else "stdout"
    assert (result.exit_code, result.stderr) == (
        2, f"error: {stream}: outputs are written to files, not to {said}; give a file name\n"
    ), result.output
    assert result.stdout == ""
    assert list(tmp_path.iterdir()) == []
    if command == "langid":  # the Python call alike
        import shoprel
        from shoprel.errors import OutputError

        with pytest.raises(OutputError, match=f"^{stream}: outputs are written to files, not "
                                              f"to {said}; give a file name$"):
            shoprel.langid_file(demo_file("QC"), stream)


def test_langid_to_a_piped_stdout_is_told_it_is_stdout(tmp_path):
    """Where stdout was a pipe (capture_output), langid took its output's lock beside the
    pipe's path and said '/dev/stdout: cannot write in /dev (No such file or directory)'."""
    done = subprocess.run([sys.executable, "-m", "shoprel", "langid", str(demo_file("QC")),
                           "--out", "/dev/stdout", "--quiet"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)
    assert (done.returncode, done.stdout, done.stderr) == (
        2, "", "error: /dev/stdout: outputs are written to files, not to stdout; give a file "
               "name\n")
    assert list(tmp_path.iterdir()) == []


FOLDER_SAID = ("error: -: this output is a folder, not stdout; give a folder name (`-` is stdin "
               "only for an input)\n")

FOLDER_COMMANDS = {
    "train": lambda run, config: ["train", demo_file("QC"), "--config", config, "--out", "-"],
    "distill": lambda run, config: ["distill", run, "--student", config, "--out", "-"],
    "ensemble": lambda run, config: ["ensemble", run, run, "--out", "-"],
    "pretrain": lambda run, config: ["pretrain", demo_file("QC"), "--out", "-"],
    "index --out": lambda run, config: ["index", run, demo_file("QC"), "--out", "-"],
    "demo": lambda run, config: ["demo", "--out", "-"],
}


@pytest.mark.parametrize("command", sorted(FOLDER_COMMANDS))
def test_a_folder_output_named_dash_is_refused(trained_runs, tmp_path, monkeypatch, command):
    """A folder output named `-` was made as a folder of that name (train wrote a whole run
    into ./-): refused in one line, before any work, saying the output is a folder."""
    config = tmp_path.parent / f"{tmp_path.name}-fast.yaml"  # outside the folder checked below
    config.write_text("model:\n  family: fast\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    args = [str(a) for a in FOLDER_COMMANDS[command](trained_runs["QC"], config)]
    result = CliRunner().invoke(main, args)
    assert (result.exit_code, result.stderr) == (2, FOLDER_SAID), result.output
    assert list(tmp_path.iterdir()) == []

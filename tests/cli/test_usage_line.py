"""A misused command line is one `error:` line naming the command, what is wrong in click's
words (with its suggestion) and the help to read, exit 2 (cli/usage_line.py): click printed a
usage line, a "Try" line, a blank line and "Error: ...", and `shoprel trian` was suggested
nothing (click guessed only from the commands already loaded)."""

import subprocess
import sys

import click
import pytest
from click.testing import CliRunner

from shoprel.cli import main

CASES = [
    (["train", "x.jsonl", "--fodls", "3"],
     "shoprel train: no such option '--fodls'; did you mean '--folds'? (shoprel train --help)"),
    (["trian"], "shoprel: no such command 'trian'; did you mean 'train'? (shoprel --help)"),
    (["xyzzy"], "shoprel: no such command 'xyzzy' (shoprel --help)"),
    (["cache", "prnue"],
     "shoprel cache: no such command 'prnue'; did you mean 'prune'? (shoprel cache --help)"),
    (["train"], "shoprel train: missing argument 'TRAIN_FILE' (shoprel train --help)"),
    (["train", "x.jsonl"], "shoprel train: missing option '--out' (shoprel train --help)"),
    (["train", "x.jsonl", "--out", "r", "--folds", "abc"],
     "shoprel train: invalid value for '--folds': 'abc' is not a valid integer "
     "(shoprel train --help)"),
    (["cache", "prune", "--kind", "bogus"],
     "shoprel cache prune: invalid value for '--kind': 'bogus' is not one of 'backbones', "
     "'onnx', 'embeddings', 'states', 'checkpoints', 'ablation', 'checksums', 'partial' "
     "(shoprel cache prune --help)"),
    # raised in the command's body, where click gives the error no command
    (["cache", "prune", "--keep-under", "lots"],
     "shoprel cache prune: invalid value for '--keep-under': 'lots' is not a size (e.g. 500M, "
     "20G, 1.5T) (shoprel cache prune --help)"),
    (["train", "x.jsonl", "y.jsonl", "--out", "r"],
     "shoprel train: got unexpected extra argument (y.jsonl) (shoprel train --help)"),
    # click raises these without their command: found by reading the line again
    (["train", "x.jsonl", "--folds"],
     "shoprel train: option '--folds' requires an argument (shoprel train --help)"),
    (["cache", "prune", "--older-than"],
     "shoprel cache prune: option '--older-than' requires an argument "
     "(shoprel cache prune --help)"),
    (["--bogus"], "shoprel: no such option '--bogus' (shoprel --help)"),
    (["--version=3"], "shoprel: option '--version' does not take a value (shoprel --help)"),
]


@pytest.mark.parametrize(("args", "said"), CASES, ids=[" ".join(args) for args, _ in CASES])
def test_each_misuse_is_one_line_naming_the_command_and_its_help(tmp_path, monkeypatch, args,
                                                                  said):
    monkeypatch.chdir(tmp_path)
    done = CliRunner().invoke(main, args)
    assert done.exit_code == 2
    assert done.stderr == f"error: {said}\n" and done.stdout == ""
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("args", "near"), [
    # click's ratio counts the two dashes alike: these were told '--out', '--help' and
    # '--curve-fractions' or '--overwrite'
    (["train", "x.jsonl", "--bogus"], None), (["train", "x.jsonl", "--model", "m"], None),
    (["train", "x.jsonl", "--version"], None), (["predict", "r", "x", "--file", "f"], None),
    # a typo of a short option keeps its guess: a letter changed, dropped, added or swapped
    (["train", "x.jsonl", "--oyt", "r"], "'--out'"), (["train", "x.jsonl", "--ot", "r"],
                                                       "'--out'"),
    (["noise", "r", "--tpo", "3"], "'--top'"), (["noise", "r", "--tp", "3"], "'--top'"),
    (["translate", "x", "--too", "en"], "'--to'"), (["translate", "x", "--tp", "en"], "'--to'"),
    (["train", "x.jsonl", "--fodls", "3"], "'--folds'"),
    (["predict", "r", "x", "--output", "o"], "'--out'"),  # a name beginning alike
])
def test_an_unknown_option_is_told_a_guess_only_where_it_is_a_typo_of_it(args, near):
    done = CliRunner().invoke(main, args)
    command, option = args[0], next(arg for arg in args if arg.startswith("--"))
    said = f"error: shoprel {command}: no such option '{option}'"
    hint = f"; did you mean {near}?" if near else ""
    assert (done.exit_code, done.stderr) == (2, f"{said}{hint} (shoprel {command} --help)\n")


def test_a_real_process_prints_the_same_one_line():
    """click's main writes the error itself outside CliRunner: checked as a user runs it."""
    done = subprocess.run([sys.executable, "-m", "shoprel", "train", "x.jsonl", "--fodls", "3"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == ("error: shoprel train: no such option '--fodls'; did you mean "
                           "'--folds'? (shoprel train --help)\n")
    done = subprocess.run([sys.executable, "-m", "shoprel", "trian"], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 2
    assert done.stderr == ("error: shoprel: no such command 'trian'; did you mean 'train'? "
                           "(shoprel --help)\n")


@pytest.mark.parametrize("args", [[], ["cache"]])
def test_a_group_given_no_command_still_shows_its_help(args):
    done = CliRunner().invoke(main, args)
    assert done.exit_code == 2
    assert done.output.startswith(f"Usage: {' '.join(('shoprel', *args))} [OPTIONS] COMMAND")
    assert "Commands:" in done.output and "error:" not in done.output


def test_help_is_click_s_own():
    done = CliRunner().invoke(main, ["train", "--help"])
    assert done.exit_code == 0 and done.output.startswith("Usage: shoprel train [OPTIONS]")


def test_a_caller_of_main_still_gets_a_usage_error():
    """main(standalone_mode=False) raised click's UsageError; it still does, its text the
    line."""
    with pytest.raises(click.UsageError) as info:
        main(["trian"], prog_name="shoprel", standalone_mode=False)
    assert info.value.format_message() == ("shoprel: no such command 'trian'; did you mean "
                                           "'train'? (shoprel --help)")

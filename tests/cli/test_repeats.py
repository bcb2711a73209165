"""A single-value option given twice is refused by every command (cli/repeats.py): click kept
the last value silently (`train f --out a --out b` wrote b alone)."""

import click
import pytest
from click.testing import CliRunner

from shoprel.cli import main


def _single_value_options(group, prefix=()):
    """(command line to the command, option) for every option of every command that takes one
    value: not `multiple`, not a switch."""
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        if isinstance(command, click.Group):
            yield from _single_value_options(command, (*prefix, name))
            continue
        for param in command.params:
            if isinstance(param, click.Option) and not (param.multiple or param.is_flag):
                yield (*prefix, name), param.opts[-1]


OPTIONS = list(_single_value_options(main))


def test_the_walk_finds_every_command():
    commands = {" ".join(path) for path, _ in OPTIONS}
    assert {"train", "distill", "predict", "serve", "demo", "cache prune", "cache list"
            } <= commands
    assert (("train",), "--config") in OPTIONS and (("train",), "--out") in OPTIONS


@pytest.mark.parametrize(("path", "option"), OPTIONS,
                         ids=[f"{' '.join(path)} {option}" for path, option in OPTIONS])
def test_no_single_value_option_takes_a_repeat(tmp_path, monkeypatch, path, option):
    """One `error:` line naming the option and both values, exit 2, before the command reads
    anything (its arguments are not even given), nothing written."""
    monkeypatch.chdir(tmp_path)
    done = CliRunner().invoke(main, [*path, option, "first", f"{option}=second"])
    assert done.exit_code == 2, done.output
    shown = "values not shown: a secret" if option == "--api-key" else "first, second"
    assert done.stderr.startswith(f"error: shoprel {' '.join(path)}: invalid value for "
                                  f"'{option}'")
    assert f": given 2 times ({shown}); it takes one " in done.stderr
    assert done.stderr.endswith(f" (shoprel {' '.join(path)} --help)\n")
    assert done.stderr.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


def test_a_switch_given_both_ways_is_refused(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    done = CliRunner().invoke(main, ["train", "t.jsonl", "--out", "r", "--no-student",
                                     "--student"])
    assert done.exit_code == 2
    assert done.stderr == ("error: shoprel train: invalid value for '--student': given 2 "
                           "times (--no-student, --student); it takes one of them (shoprel "
                           "train --help)\n")
    assert list(tmp_path.iterdir()) == []


def test_a_switch_or_a_multiple_option_given_twice_is_taken(tmp_path, monkeypatch):
    """`--quiet --quiet` loses nothing (a script's own --quiet beside the user's); --kind is
    declared to take several. Each line goes on to the command, which reads its inputs."""
    monkeypatch.chdir(tmp_path)
    done = CliRunner().invoke(main, ["train", "t.jsonl", "--out", "r", "--quiet", "--quiet",
                                     "--overwrite", "--overwrite"])
    assert done.exit_code == 2 and done.stderr == "error: t.jsonl: file not found\n"
    done = CliRunner().invoke(main, ["cache", "prune", "--cache-dir", "c", "--kind", "onnx",
                                     "--kind", "states", "--dry-run"])
    assert "given 2 times" not in done.output


def test_a_subcommands_repeat_is_found_past_its_groups_line(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    done = CliRunner().invoke(main, ["cache", "prune", "--older-than", "3", "--dry-run",
                                     "--older-than=5"])
    assert done.stderr == ("error: shoprel cache prune: invalid value for '--older-than': "
                           "given 2 times (3, 5); it takes one value (shoprel cache prune "
                           "--help)\n")


def test_help_is_shown_past_a_repeat():
    done = CliRunner().invoke(main, ["train", "--out", "a", "--out", "b", "--help"])
    assert done.exit_code == 0 and "--folds" in done.output


def test_a_line_click_refuses_is_said_in_its_words(tmp_path, monkeypatch):
    """An unknown option is click's refusal (in one line), not a repeat, wherever the repeat
    stands."""
    monkeypatch.chdir(tmp_path)
    done = CliRunner().invoke(main, ["train", "t.jsonl", "--bogus", "--out", "a", "--out",
                                     "b"])
    assert done.exit_code == 2
    assert done.stderr.startswith("error: shoprel train: no such option '--bogus'")
    assert done.stderr.endswith(" (shoprel train --help)\n") and "given 2" not in done.stderr

"""Options shared by the commands (cli/options.py): output paths read `~` as the home folder,
and --quiet silences the libraries' loading bars and logs with shoprel's own."""

import io
import os
import subprocess
import sys

import click
import pytest
from click.testing import CliRunner
from tests.conftest import UNRENDERED_SHOPREL

from shoprel.cli import main
from shoprel.cli.options import HomePath, IntegerRange, NumberRange, output_path
from shoprel.data.readers import read_pairs
from shoprel.demo import demo_file

# no test here reads a report: its charts are seconds a run
pytestmark = pytest.mark.usefixtures("no_report_charts")

OUTPUT_OPTIONS = {"--out", "--filtered-train", "--cache", "--cache-dir"}


@pytest.fixture
def home(tmp_path, monkeypatch):
    """HOME is a temporary folder; the command runs in another, where no `~` may appear."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    (tmp_path / "work").mkdir()
    monkeypatch.chdir(tmp_path / "work")
    return tmp_path / "home"


def test_a_leading_tilde_is_the_home_folder(home):
    @click.command()
    @click.option("--out", type=output_path())
    def show(out):
        click.echo(repr(out))

    done = CliRunner().invoke(show, ["--out", "~/runs/x"])
    assert done.output.strip() == repr(home / "runs" / "x")
    assert CliRunner().invoke(show, ["--out", "a/~b"]).output.strip().endswith("'a/~b')")


def test_a_tilde_of_no_user_is_refused_in_one_line(home):
    """`--out '~nobody-here/x'` (no such user on this machine) was left as written, then
    `Path.expanduser` in the command raised "RuntimeError: Could not determine home
    directory", a traceback, for inputs and outputs alike."""
    for args in (["evaluate", "~no-such-user-shoprel/pred.jsonl", "gold.jsonl"],
                 ["predict", "run", "in.jsonl", "--out", "~no-such-user-shoprel/pred.jsonl"]):
        done = CliRunner().invoke(main, args)
        assert done.exit_code == 2 and "Traceback" not in done.output, done.output
        assert ("~no-such-user-shoprel/pred.jsonl: '~no-such-user-shoprel' is read as a home "
                "folder, but no user 'no-such-user-shoprel' is known here; write the path in "
                "full, from /") in " ".join(done.output.split())


def test_a_path_no_file_can_be_at_is_refused_before_the_work(tmp_path):
    """`predict RUN FILE --out <a 300-byte name>` scored the whole file, then ended in the
    traceback OSError "File name too long"; an output under a link that leads back to itself
    in pathlib's RuntimeError "Symlink loop". The option refuses both in one line."""
    (tmp_path / "loop").symlink_to(tmp_path / "loop")
    long = tmp_path / ("a" * 300)
    for out, said in ((long, "is 300 bytes long, more than the 255 a file name may hold"),
                      (tmp_path / "loop" / "pred.jsonl", "leads back to itself")):
        done = CliRunner().invoke(main, ["predict", str(tmp_path), str(tmp_path / "in.jsonl"),
                                         "--out", str(out)])
        assert done.exit_code == 2 and "Traceback" not in done.output
        assert "invalid value for '--out'" in done.output and said in done.output


def test_every_commands_paths_expand_the_home_folder():
    """One place for all: `train --out '~/runs/x'` (quoted) made a folder named `~`, and a
    quoted `~/train.jsonl` was not found."""
    found, paths = [], []

    def walk(group, prefix):
        ctx = click.Context(group)
        for name in group.list_commands(ctx):
            command = group.get_command(ctx, name)
            if isinstance(command, click.Group):
                walk(command, f"{prefix}{name} ")
            for param in command.params:
                if OUTPUT_OPTIONS & set(param.opts):
                    found.append(f"{prefix}{name} {param.opts[0]}")
                    assert isinstance(param.type, HomePath), found[-1]
                if isinstance(param.type, click.Path):
                    paths.append(f"{prefix}{name} {param.name}")
                    assert isinstance(param.type, HomePath), paths[-1]

    walk(main, "")
    assert {"train train_file", "train config_file", "predict run_dir", "predict input_file",
            "serve run_dir", "index input_file"} <= set(paths)
    assert {"train --out", "noise --filtered-train", "translate --cache", "compare --out",
            "predict --out", "pretrain --out"} <= set(found)
    assert any(name.startswith("cache ") and name.endswith("--cache-dir") for name in found)


def test_translate_writes_its_output_and_cache_under_home(home, tmp_path, jsonl, qc_rows):
    data = jsonl(tmp_path / "qc.jsonl", qc_rows)
    table = tmp_path / "table.csv"
    table.write_text("text,source,target,translation\nfunda iphone,es,en,iphone case\n")
    done = CliRunner().invoke(main, ["translate", str(data), "--backend", "table", "--table",
                                     str(table), "--quiet", "--out", "~/out/o.jsonl",
                                     "--cache", "~/tr.sqlite"])
    assert done.exit_code == 0, done.output
    assert (home / "out" / "o.jsonl").is_file() and (home / "tr.sqlite").is_file()
    assert list((tmp_path / "work").iterdir()) == []  # no folder named `~`


def test_train_quiet_with_a_transformers_backbone_prints_nothing(tmp_path, tiny_backbone):
    """The embed family loads its backbone with transformers, which drew 'Loading weights'
    once per load under train --quiet."""
    pytest.importorskip("torch")
    frame = read_pairs(demo_file("QC"))
    backbone = tiny_backbone(tmp_path / "bert", [*frame.df["query"], *frame.df["target"],
                                                 "new , level"])
    config = tmp_path / "embed.yaml"
    config.write_text(f"model: {{family: embed, params: {{backbone: {backbone}, n_features: "
                      "65536, n_estimators: 30, n_jobs: 1}}\nfolds: {k: 2}\n")
    env = {k: v for k, v in os.environ.items()
           if k not in ("TRANSFORMERS_VERBOSITY", "HF_HUB_DISABLE_PROGRESS_BARS")}
    env["SHOPREL_CACHE"] = str(tmp_path / "cache")
    # the run's report is not read: UNRENDERED_SHOPREL is `python -m shoprel` without its charts
    done = subprocess.run([*UNRENDERED_SHOPREL, "train", str(demo_file("QC")),
                           "--config", str(config), "--out", str(tmp_path / "run"),
                           "--no-student", "--quiet"],
                          capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # n_jobs: 1, so no busy-machine note either
    assert "task QC" in done.stdout


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("stream, bars", [(io.StringIO, False), (Terminal, True)])
def test_a_logged_command_turns_the_libraries_bars_off(monkeypatch, stream, bars):
    """Without --quiet, transformers' and huggingface_hub's own bars ('Loading weights:
    100%|██████████| 39/39 [00:00<00:00, 5342.89it/s]') drew into a log: with stderr no
    terminal they are off while the command runs (its own bars say what it does), as they
    were afterwards; on a terminal they are drawn. A bar switch set in the environment stays."""
    pytest.importorskip("transformers")
    from huggingface_hub.utils import are_progress_bars_disabled
    from transformers.utils import logging as hf_logging

    from shoprel.cli.options import quiet_option

    @quiet_option("No progress bar.")
    def command(quiet):
        return (hf_logging.is_progress_bar_enabled(), not are_progress_bars_disabled(),
                os.environ.get("HF_HUB_DISABLE_PROGRESS_BARS"))

    monkeypatch.delenv("HF_HUB_DISABLE_PROGRESS_BARS", raising=False)
    monkeypatch.setattr(sys, "stderr", stream())
    assert command(quiet=False) == (bars, bars, None if bars else "1")
    assert command(quiet=True) == (False, False, "1")
    assert hf_logging.is_progress_bar_enabled() and not are_progress_bars_disabled()
    monkeypatch.setenv("HF_HUB_DISABLE_PROGRESS_BARS", "0")  # the user's: bars wanted
    assert command(quiet=False)[0]


def _commands(group, prefix=()):
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            yield from _commands(command, (*prefix, name))
        else:
            yield (*prefix, name)


def test_every_help_shows_plain_defaults():
    """A default given to click as text is shown in parentheses ('[default: (0.2)]'), which
    reads as a note rather than the value; every option shows the value itself."""
    runner = CliRunner()
    for path in _commands(main):
        shown = " ".join(runner.invoke(main, [*path, "--help"]).output.split())
        assert "[default: (" not in shown, path
    shown = " ".join(runner.invoke(main, ["predict", "--help"]).output.split())
    assert "so usually fewer). [default: 0.2; 0<x<=1]" in shown  # its range too


def _number_options(group, prefix=""):
    """(command option, its click type) for every option of every command that reads a number."""
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        if isinstance(command, click.Group):
            yield from _number_options(command, f"{prefix}{name} ")
            continue
        for param in command.params:
            if isinstance(param.type, click.types.IntParamType | click.types.FloatParamType):
                yield f"{prefix}{name} {param.opts[0]}", param.type


def test_every_number_option_has_a_range_the_parser_checks():
    """A bare int or float, or click's FloatRange (which takes nan), left the number to the API,
    which refused it after other checks in words of its own ('--pairs: 0 is out of range',
    '--hard-weight must lie in [0, 1]'), or not at all."""
    options = dict(_number_options(main))
    for option, kind in options.items():
        assert isinstance(kind, IntegerRange | NumberRange), (option, kind)
        assert kind.min is not None, option  # no count, share or size is negative
    assert {"train --folds", "demo --folds", "predict --chunk-rows", "predict --num-actors",
            "far-pairs --pairs", "pretrain --epochs", "pretrain --seed", "distill --hard-weight",
            "ensemble --shrinkage", "serve --recent-texts", "cache prune --older-than"
            } <= set(options)


def refused(args: list[str], said: str) -> str:
    """The line a command (args[0]) refuses its option's value in: `said` is "'--x': why"."""
    return f"error: shoprel {args[0]}: invalid value for {said} (shoprel {args[0]} --help)\n"


@pytest.mark.parametrize(("args", "said"), [
    (["train", "t.jsonl", "--out", "r", "--folds", "1"],
     "'--folds': 1 is out of range; it must be at least 2"),
    (["demo", "--out", "d", "--folds", "51"],
     "'--folds': 51 is out of range; it must be at most 50"),
    (["distill", "r", "--student", "s.yaml", "--out", "s", "--hard-weight", "nan"],
     "'--hard-weight': nan is not a number"),
    (["pretrain", "t.jsonl", "--out", "p", "--epochs", "nan"], "'--epochs': nan is not a number"),
    (["predict", "r", "t.jsonl", "--out", "p.jsonl", "--chunk-rows", "0"],
     "'--chunk-rows': 0 is out of range; it must be at least 1"),
    (["predict", "r", "t.jsonl", "--out", "p.jsonl", "--engine", "ray", "--num-actors", "0"],
     "'--num-actors': 0 is out of range; it must be at least 1"),
    (["predict", "r", "t.jsonl", "--out", "p.jsonl", "--scorer", "cascade", "--cascade-share",
      "nan"], "'--cascade-share': nan is not a number"),
    (["ensemble", "r", "r2", "--out", "e", "--per-language-thresholds", "--shrinkage", "inf"],
     "'--shrinkage': inf is not a finite number"),
    (["far-pairs", "r", "--pairs", "0"], "'--pairs': 0 is out of range; it must be at least 1"),
    (["serve", "r", "--recent-texts", "1000001"],
     "'--recent-texts': 1000001 is out of range; it must be at most 1000000"),
])
def test_a_bad_number_is_one_line_naming_the_option_before_any_work(tmp_path, monkeypatch, args,
                                                                     said):
    """Before, each was the API's line once other checks had passed (the run's folder, the
    files), in its own words, or 'r: run directory not found' for a number that was wrong."""
    monkeypatch.chdir(tmp_path)
    done = CliRunner().invoke(main, args)
    assert done.exit_code == 2
    assert done.stderr == refused(args, said)
    assert done.stderr.count("\n") == 1 and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("args", "said"), [
    (["pretrain", "t.jsonl", "--out", "p", "--epochs", "a"], "'--epochs': 'a' is not a valid "
                                                             "float"),
    (["serve", "r", "--port", "x"], "'--port': 'x' is not a valid integer"),
])
def test_a_number_of_the_wrong_kind_is_said_as_a_bare_int_or_float_says_it(tmp_path, monkeypatch,
                                                                          args, said):
    """A range said "'nan' is not a valid integer range.", as if a range were asked for."""
    monkeypatch.chdir(tmp_path)
    done = CliRunner().invoke(main, args)
    assert done.exit_code == 2
    assert done.stderr == refused(args, said)
    shown = " ".join(CliRunner().invoke(main, ["pretrain", "--help"]).output.split())
    assert "--epochs FLOAT [default: 1.0; x>0]" in shown and "--seed INTEGER [" in shown


@pytest.mark.parametrize(("value", "said"), [
    ("nan", "nan is not a number"),
    ("inf", "inf is not a finite number"),
    ("-inf", "-inf is not a finite number"),
    ("1e400", "1e400 is not a finite number"),
    ("2.5", "2.5 is not a whole number"),
    ("3.0", "3.0 is not written as a whole number; write 3"),
    ("1e1", "1e1 is not written as a whole number; write 10"),
    # in digits nobody writes: "write 1.5" was hinted, which the option refuses as not whole
    ("１.５", "１.５ is not a whole number"),
    ("1_0.5", "1_0.5 is not a whole number"),
    ("１e400", "１e400 is not a finite number"),
])
def test_an_integer_option_given_a_number_not_whole_says_so(tmp_path, monkeypatch, value, said):
    """`--folds nan` said click's "'nan' is not a valid integer." where `--epochs nan` (a
    number option) said "nan is not a number"; a number that is no whole one is now said in
    utils/bounds.py's words, the option named, on one line."""
    monkeypatch.chdir(tmp_path)
    done = CliRunner().invoke(main, ["train", "t.jsonl", "--out", "r", "--folds", value])
    assert done.exit_code == 2
    assert done.stderr == (f"error: shoprel train: invalid value for '--folds': {said} "
                           "(shoprel train --help)\n")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("args", "said"), [
    (["train", "t.jsonl", "--out", "r", "--folds", "５"],
     "'--folds': '５' is not a valid integer (digits 0-9 only, no '_': write 5)"),
    (["train", "t.jsonl", "--out", "r", "--folds", "1_0"],
     "'--folds': '1_0' is not a valid integer (digits 0-9 only, no '_': write 10)"),
    # a whole number in a float's form: the hint is the whole number the option takes
    (["train", "t.jsonl", "--out", "r", "--folds", "１.０"],
     "'--folds': '１.０' is not a valid integer (digits 0-9 only, no '_': write 1)"),
    (["train", "t.jsonl", "--out", "r", "--folds", "１e1"],
     "'--folds': '１e1' is not a valid integer (digits 0-9 only, no '_': write 10)"),
    (["serve", "r", "--port", "８０８０"],
     "'--port': '８０８０' is not a valid integer (digits 0-9 only, no '_': write 8080)"),
    (["pretrain", "t.jsonl", "--out", "p", "--mask-prob", "０.５"],
     "'--mask-prob': '０.５' is not a valid float (digits 0-9 only, no '_': write 0.5)"),
    (["pretrain", "t.jsonl", "--out", "p", "--batch-size", "1_0"],
     "'--batch-size': '1_0' is not a valid integer (digits 0-9 only, no '_': write 10)"),
    (["pretrain", "t.jsonl", "--out", "p", "--learning-rate", "5e-0_5"],
     "'--learning-rate': '5e-0_5' is not a valid float (digits 0-9 only, no '_': write 5e-05)"),
    (["train", "t.jsonl", "--out", "r", "--learning-curve", "--curve-fractions", "0.1,٠.٥"],
     "'--curve-fractions': '٠.٥' is not a valid float (digits 0-9 only, no '_': write 0.5)"),
    (["ensemble", "r", "r2", "--out", "e", "--weights", "0.5,０.５"],
     "'--weights': '０.５' is not a valid float (digits 0-9 only, no '_': write 0.5)"),
])
def test_a_number_python_reads_but_nobody_writes_is_refused(tmp_path, monkeypatch, args, said):
    """int() and float() read '５', '1_0' and '٠.٥': `--folds 1_0` ran 10 folds and a full-width
    digit pasted from another script ran as its ASCII one, where either was likely a slip."""
    monkeypatch.chdir(tmp_path)
    done = CliRunner().invoke(main, args)
    assert done.exit_code == 2
    assert done.stderr == refused(args, said)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("kind", "value", "read"), [
    (IntegerRange(), "5", 5), (IntegerRange(), "+5", 5), (IntegerRange(), " -5 ", -5),
    (IntegerRange(), "007", 7),
    (NumberRange(), "0.5", 0.5), (NumberRange(), ".5", 0.5), (NumberRange(), "5.", 5.0),
    (NumberRange(), "-5E-1", -0.5), (NumberRange(), " 1e+3\t", 1000.0),
    (NumberRange(infinite=True), "inf", float("inf")),
    (NumberRange(infinite=True), "Infinity", float("inf")),
])
def test_a_number_in_ascii_is_read_as_before(kind, value, read):
    """The plain forms int() and float() read (a sign, spaces around, a point, an exponent, inf
    where an option means no limit by it) still pass: only the forms nobody writes are refused."""
    parsed = kind.convert(value, None, None)
    assert parsed == read and type(parsed) is type(read)


def test_an_integer_option_and_a_number_option_say_nan_alike(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    said = [CliRunner().invoke(main, ["pretrain", "t.jsonl", "--out", "p", option, "nan"]).stderr
            for option in ("--max-steps", "--epochs")]
    assert [line.split("': ", 1)[1] for line in said] == [
        "nan is not a number (shoprel pretrain --help)\n"] * 2


@pytest.mark.parametrize("option", ["--epochs", "--max-steps", "--time-budget", "--mask-prob",
                                    "--max-length", "--batch-size", "--learning-rate", "--seed",
                                    "--threads"])
def test_pretrains_options_refuse_what_its_config_refuses(option):
    """The parser's ranges repeat PretrainConfig's checks (which Python callers get): a number
    one takes and the other refuses would again be refused late, or not at all."""
    from shoprel.cli.pretrain import pretrain
    from shoprel.errors import ConfigError
    from shoprel.models.config import SEED_MAX
    from shoprel.training.pretrain import OPTIONS, PretrainConfig

    param = next(p for p in pretrain.params if option in p.opts)
    field = {flag: name for name, flag in OPTIONS.items()}[option]
    probes = [-1, 0, 1, 3, 4, SEED_MAX, SEED_MAX + 1]
    if isinstance(param.type, NumberRange):
        probes += [1e-9, 0.5, 0.999, 1.5, float("inf"), float("nan")]
    for value in probes:
        try:
            param.type.convert(str(value), param, None)
            parsed = True
        except click.BadParameter:
            parsed = False
        try:
            PretrainConfig(**{field: value})
            checked = True
        except ConfigError:
            checked = False
        assert parsed == checked, (option, value, parsed, checked)


def test_the_shared_options_load_no_scoring_stack():
    """--scorer's names come from predict.cascade, which loads pandas: read at import, every
    command (`shoprel cache list`, --help) paid for it through this module."""
    code = "import sys, shoprel.cli.options; print('pandas' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize(("command", "said"), [
    ("predict", "Submission file"), ("translate", "Output file"),
    ("langid", "Output file with detected_language added"),
    ("noise", "Also write the training file without the flagged rows (drop mode)")])
def test_every_file_of_rows_names_the_formats_its_extension_picks(command, said):
    """Each output of rows is written in the format its name says (.txt as JSON lines, the
    competition's); predict's --out help listed the formats, langid's and noise
    --filtered-train's named none and translate's only 'format from its extension': each now
    names them from the readers' table (data/formats.py), so a format added there is named."""
    from shoprel.data.formats import FORMATS, formats_described

    text = " ".join(CliRunner().invoke(main, [command, "--help"]).output.split())
    assert f"{said}, in the format its extension names: {formats_described()}." in text
    assert "JSON lines (.json, .jsonl, .ndjson, .txt)" in formats_described()
    for suffix in FORMATS:
        assert suffix in formats_described()

"""One sentence for a number past its bound (utils/bounds.py): a command's option, a config
field and a check written by hand say the same bad value the same way."""

import numpy as np
import pytest
from click.testing import CliRunner

from shoprel.cli import main
from shoprel.errors import ConfigError
from shoprel.predict.cascade import check_share
from shoprel.serve import ServeSettings
from shoprel.training.config import RunConfig
from shoprel.training.pretrain import PretrainConfig
from shoprel.utils.bounds import not_a_count, not_whole, out_of_range


def test_the_sentence_names_the_bound_passed():
    assert out_of_range(0, ge=1) == "0 is out of range; it must be at least 1"
    assert out_of_range(0.0, gt=0.0, le=1.0) == "0.0 is out of range; it must be above 0"
    assert out_of_range(1.5, "1.5", gt=0, le=1) == "1.5 is out of range; it must be at most 1"
    assert out_of_range(1, gt=0, lt=1) == "1 is out of range; it must be below 1"
    assert out_of_range(0.5, gt=0, lt=1) is None and out_of_range(7) is None


def test_a_number_not_whole_is_said_by_what_is_wrong_with_it():
    assert not_whole(float("nan"), "nan") == "nan is not a number"
    assert not_whole(float("-inf"), "-1e999") == "-1e999 is not a finite number"
    assert not_whole(2.5, "2.5") == "2.5 is not a whole number"
    assert not_whole(1e3, "1e3") == "1e3 is not written as a whole number; write 1000"


def test_a_count_given_in_python_is_refused_in_the_options_and_fields_words():
    assert not_a_count(np.int64(3)) is None and not_a_count(0) is None
    assert not_a_count(0, ge=1) == "0 is out of range; it must be at least 1"
    assert not_a_count(np.float64(5.0)) == "5.0 is not written as a whole number; write 5"
    assert not_a_count(2.5) == "2.5 is not a whole number"
    assert not_a_count(float("inf")) == "inf is not a finite number"
    assert not_a_count(np.True_) == "expected a number, got True"
    assert not_a_count("30") == "'30' is text; write a number: 30"
    assert not_a_count(None) == "expected a whole number, got None"
    # ge=None: any whole number (PretrainConfig checks each field's range after its type)
    assert not_a_count(-5, ge=None) is None
    assert not_a_count(True, ge=None) == "expected a number, got True"


def option_says(args: list[str]) -> str:
    """What the command says of its option's value, after "invalid value for '--x': " and
    before its help's name."""
    done = CliRunner().invoke(main, args)
    assert done.exit_code == 2, done.output
    line = done.stderr.strip()
    assert line.startswith(f"error: shoprel {args[0]}: invalid value for '--"), line
    return line.split("': ", 1)[1].removesuffix(f" (shoprel {args[0]} --help)")


def field_says(build) -> str:
    """What a config built in Python says of its field, after "Class: field: "."""
    with pytest.raises(ValueError) as info:
        build()
    return str(info.value).split(": ", 2)[2]


@pytest.mark.parametrize(("args", "build"), [
    (["serve", "r", "--max-pairs", "0"], lambda: ServeSettings(max_pairs=0)),
    (["serve", "r", "--max-wait-ms", "-1"], lambda: ServeSettings(max_wait_ms=-1)),
    (["serve", "r", "--cascade-share", "1.5"], lambda: ServeSettings(cascade_share=1.5)),
    (["serve", "r", "--cascade-share", "0"], lambda: ServeSettings(cascade_share=0)),
    (["train", "t.jsonl", "--out", "r", "--folds", "1"], lambda: RunConfig(folds={"k": 1})),
    (["pretrain", "t.jsonl", "--out", "p", "--batch-size", "0"],
     lambda: PretrainConfig(batch_size=0)),
    (["pretrain", "t.jsonl", "--out", "p", "--mask-prob", "1.5"],
     lambda: PretrainConfig(mask_prob=1.5)),
    (["pretrain", "t.jsonl", "--out", "p", "--seed", "-1"], lambda: RunConfig(folds={"seed": -1})),
    (["pretrain", "t.jsonl", "--out", "p", "--seed", str(2**30)],
     lambda: PretrainConfig(seed=2**30)),
])
def test_an_option_and_its_config_field_say_a_bad_value_alike(args, build, tmp_path,
                                                              monkeypatch):
    """`serve --max-pairs 0` said "0 is not in the range x>=1." and ServeSettings(max_pairs=0)
    "Input should be greater than or equal to 1"; PretrainConfig(mask_prob=1.5) "it must be
    between 0 and 1". Each now says the one sentence."""
    monkeypatch.chdir(tmp_path)
    said = option_says(args)
    assert said.startswith(f"{args[-1]} is out of range; it must be ")
    assert field_says(build) == said


def test_a_hand_written_check_says_it_as_the_option_does(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    said = option_says(["predict", "r", "t.jsonl", "--out", "p.jsonl", "--scorer", "cascade",
                        "--cascade-share", "1.5"])
    with pytest.raises(ConfigError) as info:
        check_share(1.5)
    assert str(info.value) == f"--cascade-share: {said}"


@pytest.mark.parametrize(("args", "build", "sentence"), [
    (["serve", "r", "--max-wait-ms", "inf"], lambda: ServeSettings(max_wait_ms=float("inf")),
     "inf is not a finite number"),
    (["distill", "r", "--student", "s.yaml", "--out", "s", "--hard-weight", "inf"],
     lambda: RunConfig(model={"family": "fast", "params": {"learning_rate": float("inf")}}),
     "inf is not a finite number"),
    (["pretrain", "t.jsonl", "--out", "p", "--learning-rate", "inf"],
     lambda: PretrainConfig(learning_rate=float("inf")), "inf is not a finite number"),
    (["pretrain", "t.jsonl", "--out", "p", "--learning-rate", "nan"],
     lambda: PretrainConfig(learning_rate=float("nan")), "nan is not a number"),
    (["serve", "r", "--cascade-share", "nan"], lambda: ServeSettings(cascade_share=float("nan")),
     "nan is not a number"),
])
def test_an_option_and_a_config_field_refuse_inf_alike(args, build, sentence, tmp_path,
                                                       monkeypatch):
    """The option said "'inf' is not a finite number.", a config field "Input should be a
    finite number" and PretrainConfig "inf is not a finite number": now the one sentence."""
    monkeypatch.chdir(tmp_path)
    assert option_says(args) == sentence
    assert field_says(build).rsplit(": ", 1)[-1] == sentence

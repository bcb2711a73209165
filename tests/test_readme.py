"""The README's "From Python" section says what a user will see: checked against pandas and
shoprel as they behave."""

import io
import json
import re
from pathlib import Path

import pytest

from shoprel.data.memory import pair_frames
from shoprel.errors import InputError

README = Path(__file__).resolve().parents[1] / "README.md"
PATH = "sports & entertainment,fitness & body building,yoga,yoga mats"


def _readme() -> str:
    return re.sub(r"\s+", " ", README.read_text(encoding="utf-8"))


def _guessed(*queries):
    """The pairs as pd.read_json reads them with its type guessing on (no dtype=False)."""
    import pandas as pd

    lines = "".join(json.dumps({"language": "en", "origin_query": q, "category_path": PATH})
                    + "\n" for q in queries)
    return pd.read_json(io.StringIO(lines), lines=True)


def test_what_pandas_guesses_of_number_like_queries_is_what_the_readme_says():
    """It said pandas reads "0123" as 123.0 (refused): a column of number-like queries with no
    gap is read as whole numbers, 123, which are scored as the text "123"."""
    readme = _readme()
    whole = _guessed("0123", "1080")
    a, b = whole["origin_query"].tolist()
    assert f'reads "0123" and "1080" as the numbers {a!r} and {b!r}' in readme
    frame = next(pair_frames(whole))
    assert frame.df["query"].tolist() == [str(a), str(b)] == ["123", "1080"]
    assert 'are scored as the texts "123" and "1080"' in readme

    gapped = _guessed("0123", "1080", None)
    a, b, _ = gapped["origin_query"].tolist()
    assert f"they become {a!r} and {b!r}" in readme
    assert _guessed("0123", "1080", "1.50")["origin_query"].tolist()[:2] == [a, b]
    with pytest.raises(InputError, match="column 'origin_query' holds floats"):
        next(pair_frames(gapped))
    assert "a text column typed as floats is refused" in readme


def test_a_pair_is_named_by_its_position_from_0_as_the_readme_says():
    """The README said "by its position" beside a CLI whose lines count from 1: the third pair
    is "pair 2" in every message, the first pair's id included."""
    pairs = [{"origin_query": "yoga mat", "category_path": PATH} for _ in range(3)]
    with pytest.raises(InputError, match=r"^pair 2, field 'id': has an id but the first pair"):
        list(pair_frames([*pairs[:2], {**pairs[2], "id": 0}]))
    assert list(next(pair_frames(pairs)).df["id"]) == [0, 1, 2]
    assert "counted from 0 as Python's are (`pairs[2]` is `pair 2`; a file's lines count from 1)" \
        in _readme()


def _from_python_block() -> str:
    text = README.read_text(encoding="utf-8")
    section = text[text.index("### From Python"):]
    return section[section.index("```python\n") + len("```python\n"):section.index("```\n", 10)]


# what the snippet is run with here: the demo set for the real file, a small fast model for the
# default one (minutes), a tiny local encoder for e5-small; each must match once, so an edited
# snippet fails here until this list follows it
SMALL = {"n_features": 2**16, "n_estimators": 30, "n_jobs": 1}
# the fast runs other than runs/qc (which keeps the default's LightGBM stack): no stack, the
# snippet says nothing of theirs that it changes
UNSTACKED = (", ".join(f'"model.params.{k}": {v}' for k, v in SMALL.items())
             + ', "model.params.stack": False')
SUBSTITUTIONS = (
    ('shoprel.train("../shared/data/qc_real/train_QC.txt", "runs/qc")',
     'shoprel.train("train_QC.txt", "runs/qc", "fast.yaml", progress=False)'),
    ('"runs/qc-fast3", {"model.family": "fast", "folds.k": 3})',
     '"runs/qc-fast3", {"model.family": "fast", "folds.k": 3, ' + UNSTACKED
     + "}, progress=False)"),
    # one torch thread, as the cross-encoder below: two on the shared 2-core machine took ~7 s
    ('{"backbone": "e5-small", "max_steps": 200})',
     '{"backbone": "tiny", "max_steps": 1, "n_threads": 1})'),
    # on the folds of fast.yaml, as runs/qc here: an ensemble's members share them
    ('shoprel.train("../shared/data/qc_real/train_QC.txt", "runs/qc-fast", '
     '{"model.family": "fast"})',
     'shoprel.train("train_QC.txt", "runs/qc-fast", {"model.family": "fast", "folds.k": 3, '
     + UNSTACKED + "}, progress=False)"),
    ('"runs/qc-student")', '"runs/qc-student", speed_rows=0, progress=False)'),
    # a cross-encoder of a few steps on the tiny encoder, the full model only
    ('"runs/qc-cross", {"model.family": "cross"})',
     '"runs/qc-cross", {"model.family": "cross", "folds.k": 2, "final.keep_fold_models": '
     'False, "student": None, "model.params.backbone": "tiny", "model.params.max_length": 32, '
     '"model.params.max_steps": 2, "model.params.batch_size": 16, "model.params.n_threads": 1}'
     ', progress=False)'),
    ('"runs/qc-cross", int8=True)', '"runs/qc-cross", int8=True, progress=False)'),
    # the table backend: Apertium and its pairs may be absent here
    ('"test_QC.en.jsonl", to="en")',
     '"test_QC.en.jsonl", to="en", backend="table", table="table.jsonl", progress=False)'),
    ('shoprel.distill_student("runs/qc-ens", {"model.family": "fast"}',
     'shoprel.distill_student("runs/qc-ens", {"model.family": "fast", ' + UNSTACKED + "}"),
)


def _demo_files(folder: Path, tiny_backbone) -> None:
    """train_QC.txt, test_QC.txt (no labels) and gold_QC.txt from the demo set, as the
    snippet names them, and a tiny encoder knowing their characters."""
    from shoprel.demo import demo_file, split_holdout

    train, gold = split_holdout(demo_file("QC"), folder)
    train.rename(folder / "train_QC.txt")
    gold.rename(folder / "gold_QC.txt")
    rows = [json.loads(line) for line in (folder / "gold_QC.txt").read_text().splitlines()]
    (folder / "test_QC.txt").write_text("".join(
        json.dumps({k: v for k, v in row.items() if k != "label"}, ensure_ascii=False) + "\n"
        for row in rows), encoding="utf-8")
    table = [{"text": row["origin_query"], "source": row["language"], "target": "en",
              "translation": f"{row['origin_query']} (en)"} for row in rows[:12]]
    (folder / "table.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n"
                                                for r in table), encoding="utf-8")
    (folder / "fast.yaml").write_text(json.dumps({"model": {"family": "fast", "params": SMALL},
                                                  "folds": {"k": 3}}))
    texts = "".join((folder / name).read_text(encoding="utf-8")
                    for name in ("train_QC.txt", "test_QC.txt"))
    tiny_backbone(folder / "tiny", [texts, "query: passage: "])


# the runs' own report.html is never read here (8 renders, ~40% of the test's time): only the
# page write_report writes, which no_report_charts leaves rendered
@pytest.mark.usefixtures("no_report_charts")
def test_the_from_python_snippet_runs_and_gives_what_it_says(tmp_path, monkeypatch,
                                                            capsys, tiny_backbone):
    import ast

    import numpy as np
    import pandas as pd

    import shoprel

    code = _from_python_block()
    for readme, here in SUBSTITUTIONS:
        assert code.count(readme) == 1, readme
        code = code.replace(readme, here)
    _demo_files(tmp_path, tiny_backbone)
    monkeypatch.chdir(tmp_path)
    names: dict = {}
    returned = []  # what each bare call of the snippet gives back
    for statement in ast.parse(code).body:
        if isinstance(statement, ast.Expr):
            returned.append(eval(compile(ast.Expression(statement.value), "README", "eval"),
                                 names))
        else:
            exec(compile(ast.Module([statement], []), "README", "exec"), names)

    printed = capsys.readouterr().out.split()
    auc, f1 = (float(value) for value in printed[:2])
    assert (auc, f1) == (names["result"].metrics["overall"]["roc_auc"],
                         names["result"].metrics["overall"]["f1"])
    (_, fast3, predicted, overall, checked, langid, translated, cross, exported, pretrained, fast,
     f1, delta_auc, page, far, pruned, flagged, student) = returned  # print() gives None
    assert fast3.run_dir == Path("runs/qc-fast3") and len(fast3.metrics["per_fold"]) == 3
    table = names["table"]
    assert isinstance(table, pd.DataFrame) and len(table) == 1
    assert f"# a DataFrame: {', '.join(table.columns)}\n" in code
    test = names["test"]
    assert test["origin_query"].map(type).eq(str).all()  # dtype=False: queries stay text
    submission = pd.read_json("submission_QC.txt", lines=True, dtype=False)
    assert test["prediction"].tolist() == submission["prediction"].tolist()
    assert isinstance(names["run"].probabilities(test), np.ndarray)
    np.testing.assert_allclose(test["probability"], submission["probability"], atol=5e-7)
    assert (test["probability"] != test["probability"].round(6)).any()  # unrounded
    assert predicted.rows == len(test) and overall["n"] == len(test) and "f1" in overall
    assert checked is True  # the submission predict_file wrote answers the test file
    detected = pd.read_json("test_QC.lid.jsonl", lines=True, dtype=False)
    assert detected["detected_language"].notna().all() and len(detected) == len(test)
    assert langid[0].split()[:3] == ["language", "rows", "disagree"]
    assert langid[-1].split()[:2] == ["all", str(len(test))]
    table = pd.read_json("table.jsonl", lines=True, dtype=False)
    known = set(zip(table["text"], table["source"], strict=True))
    english = test["language"].eq("en")
    in_table = pd.Series([(q, lang) in known for q, lang in zip(
        test["origin_query"], test["language"], strict=True)], index=test.index)
    assert translated["passed_through"] == english.sum() > 0
    assert translated["translated"] == (~english & in_table).sum() > 0
    assert translated["no_route"] == (~english & ~in_table).sum() > 0
    assert exported == [cross.run_dir / "models" / "full" / "onnx"]
    assert (exported[0] / "model.int8.onnx").is_file()
    assert pretrained.steps == 1 and (tmp_path / "e5-tapt").is_dir()
    ensemble = json.loads(Path("runs/qc-ens/metrics.json").read_text(encoding="utf-8"))
    assert f1 == ensemble["overall"]["f1"] and fast.run_dir == Path("runs/qc-fast")
    assert type(delta_auc) is float and -1 <= delta_auc <= 1  # the paired interval's mean
    assert Path("compare.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert page == Path("qc-ens.html") and page.is_file()
    assert page.read_text(encoding="utf-8").count("<svg") >= 5  # rendered, as `report` does
    metrics = json.loads(Path("runs/qc/metrics.json").read_text(encoding="utf-8"))
    assert far == metrics["far_pairs"]["n"] and 190 < far <= 200  # shares of folds, rounded
    assert pruned == shoprel.list_cache().stale  # the session's own cache, left as it was
    assert Path("flagged.txt").read_text(encoding="utf-8").split() == \
        [str(i) for i in flagged["id"]]
    assert student.metrics["distillation"]["teacher"]["kind"] == "ensemble"


def test_the_readme_names_the_commands_the_python_api_has_and_those_it_lacks():
    """It said 'The commands are thin over a Python API (src/shoprel/api.py)', while the API
    has functions for train, predict, evaluate and pretrain only: a user looked there for
    ensemble and compare in vain."""
    import shoprel
    from shoprel import api
    from shoprel.cli.app import COMMAND_MODULE

    readme = _readme()
    has = {"train": "train", "predict": "predict_file", "evaluate": "evaluate_file",
           "pretrain": "pretrain", "ensemble": "ensemble_runs", "compare": "compare_runs",
           "report": "write_report", "index": "index_targets", "distill": "distill_student",
           "noise": "noisy_rows", "check-submission": "check_submission",
           "far-pairs": "add_far_pairs", "langid": "langid_file",
           "cache": ("list_cache", "prune_cache"), "translate": "translate_file",
           "export": "export_onnx"}
    has = {c: (f,) if isinstance(f, str) else f for c, f in has.items()}
    commands = ", ".join(f"`{c}`" for c in list(has)[:-1]) + f" and `{list(has)[-1]}`"
    functions = ", ".join(f"`{f}`" for named in has.values() for f in named)
    assert (f"{commands} are thin over a Python API that does the work "
            f"(`src/shoprel/api/`: {functions}, keyword arguments named as the options)"
            ) in readme
    lacking = re.search(r"command line only: ([^)]*)\)", readme).group(1)
    named = set(re.findall(r"`([a-z-]+)`", lacking))
    assert named == set(COMMAND_MODULE) - set(has)
    assert named == {"demo", "serve"}  # and the README says why they stay there
    assert ("`serve` is an HTTP server, whose scoring a `Scorer` does in memory from Python, "
            "and `demo` a tour of the commands") in readme
    assert {f for named in has.values() for f in named} <= set(shoprel.__all__)
    # the names `import shoprel` offers before loading the API are the API's own
    assert set(shoprel.__all__) == {"__version__", "errors", *api.__all__}
    for command, named in has.items():  # `shoprel cache list` for a group's commands
        assert all(re.search(f"`shoprel {command}[` ]", getattr(shoprel, f).__doc__)
                   for f in named), command


# each command's function, and how the README says an option is named where its keyword is not
# the option's own name (`--max-steps` max_steps): the keyword(s), or None for an option that
# has none (what the result holds instead)
FUNCTION_OF = {"train": "train", "predict": "predict_file", "evaluate": "evaluate_file",
               "pretrain": "pretrain", "ensemble": "ensemble_runs", "compare": "compare_runs",
               "report": "write_report", "index": "index_targets", "distill": "distill_student",
               "noise": "noisy_rows", "check-submission": "check_submission",
               "far-pairs": "add_far_pairs", "langid": "langid_file", "cache list": "list_cache",
               "cache prune": "prune_cache", "translate": "translate_file",
               "export": "export_onnx"}
NAMED_OTHERWISE = {"--quiet": ("progress=False",), "--index": ("indexes",), "--kind": ("kinds",),
                   "--out": ("out_dir", "out", "out_file"), "--input": ("input_file",),
                   "--top": None, "--json": None}
ASKED_BY_THE_NAME = {"--onnx"}  # export_onnx: export's one kind of export
# pretrain's options set its config's settings (a PretrainConfig's fields)
PRETRAIN_NAMED_OTHERWISE = {"--threads": "n_threads", "--time-budget": "time_budget_minutes"}


def test_the_readme_names_each_keyword_that_is_not_its_option_s_name():
    """The README said the keywords are named as the options, but for --quiet, --index and
    pretrain's: a user's `shoprel.prune_cache(kind="states")` (`cache prune --kind states`) was a
    TypeError, as `out=` for train's `--out` and check-submission's `input=`. Every option of a
    command with a function is its keyword, or the README's "Where a name differs" says which."""
    import dataclasses
    import inspect

    import click

    import shoprel
    from shoprel.cli import main
    from shoprel.training.pretrain import PretrainConfig

    readme = _readme()
    differs = readme[readme.index("Where a name differs:"):readme.index(" Errors, the notes")]
    settings = {field.name for field in dataclasses.fields(PretrainConfig)}
    context = click.Context(main)
    for command, function in FUNCTION_OF.items():
        cli = main
        for part in command.split():
            cli = cli.get_command(context, part)
        keywords = set(inspect.signature(getattr(shoprel, function)).parameters)
        for option in cli.params:
            if not isinstance(option, click.Option):
                assert option.name in keywords, (command, option.name)  # FILES, RUN_DIR...
                continue
            flag = max(option.opts, key=len)
            own = flag.removeprefix("--").replace("-", "_")
            if own in keywords:
                continue
            if command == "pretrain" and flag not in NAMED_OTHERWISE:
                setting = PRETRAIN_NAMED_OTHERWISE.get(flag, own)
                assert setting in settings, (command, flag)
                if setting != own:
                    assert f"`{flag}` is `{setting}`" in differs or \
                        f"`{flag}` `{setting}`" in differs, flag
                continue
            if flag in ASKED_BY_THE_NAME:
                assert own in function, (command, flag)
                continue
            assert flag in NAMED_OTHERWISE, (command, flag)  # a new difference: say it
            named = NAMED_OTHERWISE[flag]
            assert re.search(f"[` ]{flag}[` ]", differs), flag
            if flag == "--quiet" and "progress" not in keywords:  # notes the result holds
                assert f"`{function}`" in differs, (command, flag)
            elif named is not None:
                assert keywords & {name.split("=")[0] for name in named}, (command, flag)
                assert all(f"`{name}`" in differs for name in named), flag
    assert "pretrain's options are its config's settings" in differs


@pytest.mark.parametrize("page", ["README.md", *sorted(
    str(path.relative_to(README.parent)) for path in (README.parent / "docs").glob("*.md"))])
def test_prose_lines_keep_the_width(page):
    """A paragraph line of 151 characters (and others up to 268) sat among ~100-character ones, and
    docs/ gathered 14 more; prose outside code blocks and tables stays within 110 (a bare link may
    not break)."""
    fenced, long = False, []
    text = (README.parent / page).read_text(encoding="utf-8")
    for number, line in enumerate(text.splitlines(), 1):
        if line.lstrip().startswith("```"):
            fenced = not fenced
        elif not fenced and not line.lstrip().startswith("|") and len(line) > 110:
            long.append(number)
    assert long == []


@pytest.mark.parametrize("page", ["README.md", *sorted(
    str(path.relative_to(README.parent)) for path in (README.parent / "docs").glob("*.md"))])
def test_comment_lines_in_code_blocks_keep_the_width(page):
    """A comment of "Using it"'s distill synopsis ran to 162 characters, which the prose check
    above skips as a code block's; a whole-line comment in a code block is prose and wraps too
    (a command may not break, a comment can)."""
    fenced, long = False, []
    text = (README.parent / page).read_text(encoding="utf-8")
    for number, line in enumerate(text.splitlines(), 1):
        if line.lstrip().startswith("```"):
            fenced = not fenced
        elif fenced and line.lstrip().startswith("#") and len(line) > 110:
            long.append(number)
    assert long == []


@pytest.mark.parametrize("page", ["README.md", *sorted(
    str(path.relative_to(README.parent)) for path in (README.parent / "docs").glob("*.md"))])
def test_shell_lines_go_on_only_past_a_backslash(page):
    """distill's synopsis ended a line in a comment and went on, indented, on the next, which a
    shell runs as a command of its own: in a bash block an indented line (not a comment) follows
    a line that ends in `\\`."""
    fenced, broken = None, []
    lines = (README.parent / page).read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines, 1):
        if line.lstrip().startswith("```"):
            fenced = None if fenced is not None else line.strip()[3:]
        elif fenced in ("bash", "sh", "shell") and line[:1].isspace() and line.strip() \
                and not line.lstrip().startswith("#") \
                and not lines[number - 2].rstrip().endswith("\\"):
            broken.append(number)
    assert broken == []


def heading_anchors(text: str) -> set[str]:
    """The anchors GitHub gives a page's headings: lower case, punctuation but `-` and `_`
    dropped, spaces as `-`, a repeated one numbered (`-1`, `-2`)."""
    fenced, seen, anchors = False, {}, set()
    for line in text.splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
        elif not fenced and re.match(r"#{1,6} ", line):
            slug = re.sub(r"[^\w\- ]", "", line.lstrip("#").strip().lower()).replace(" ", "-")
            count = seen.get(slug, 0)
            seen[slug] = count + 1
            anchors.add(slug if count == 0 else f"{slug}-{count}")
    return anchors


@pytest.mark.parametrize("page", ["README.md", *sorted(
    str(path.relative_to(README.parent)) for path in (README.parent / "docs").glob("*.md"))])
def test_links_to_a_section_reach_one(page):
    """The README's contents line and the pages' links between each other (`docs/speed.md#...`)
    point at a heading that is there: a renamed heading left its links going nowhere."""
    source = README.parent / page
    broken = []
    for target, anchor in re.findall(r"\]\(([^)\s#]*)#([^)\s]+)\)", source.read_text("utf-8")):
        file = (source.parent / target).resolve() if target else source
        if target.startswith("http") or file.suffix != ".md":
            continue
        if not file.is_file() or anchor not in heading_anchors(file.read_text("utf-8")):
            broken.append(f"{target}#{anchor}")
    assert broken == []



def _shoprel_lines(text: str) -> list[str]:
    """The shoprel command lines a page gives: each bash block's commands (a line going on past
    `\\` joined to the next, comments cut off) and each inline code span that starts as one."""
    fenced, lines, command = None, [], ""
    for line in text.splitlines():
        if line.lstrip().startswith("```"):
            fenced = None if fenced is not None else line.strip()[3:]
        elif fenced in ("bash", "sh", "shell"):
            code = re.split(r"(?:^|\s)#", line, maxsplit=1)[0].rstrip()
            command += " " + code.removesuffix("\\")
            if not code.endswith("\\"):
                lines.append(command)
                command = ""
    prose = re.sub(r"```.*?```", "", text, flags=re.S)
    lines += [span for span in (" ".join(s.split()) for s in re.findall(r"`([^`]+)`", prose))
              if re.match(r"(\.venv/bin/)?shoprel [a-z]", span)]
    return lines


def unknown_options(text: str) -> list[tuple[str, str]]:
    """(command, option) for each option a shoprel command line of `text` gives that the
    command does not take (a `cache` command by its subcommand)."""
    import click

    from shoprel.cli import main

    context, unknown = click.Context(main), []
    for line in _shoprel_lines(text):
        for call in re.finditer(r"(?:^|[\s/])shoprel ([a-z][a-z-]*)((?:(?! \||;|&&).)*)", line):
            name, rest = call.group(1), call.group(2)
            command = main.get_command(context, name)
            assert command is not None, line
            if isinstance(command, click.Group):
                sub = rest.split()[0] if rest.split() else None
                if sub is None or sub.startswith("-"):
                    continue  # `shoprel cache --help`
                name, command = f"{name} {sub}", command.get_command(context, sub)
                assert command is not None, line
            taken = {flag for param in command.params
                     for flag in param.opts + param.secondary_opts} | {"--help"}
            unknown += [(name, flag) for flag in
                        re.findall(r"(?:^|[\s\[|])(--[a-z0-9][a-z0-9-]*)", rest)
                        if flag not in taken]
    return unknown


def test_the_option_check_finds_a_misspelled_option():
    text = ("```bash\n.venv/bin/shoprel train x.jsonl --out r \\\n    --fodls 3  # --bogus\n"
            "shoprel cache prune --stale --kinds states\n```\nthen `shoprel far-pairs RUN "
            "[--pair N]`, or `shoprel predict RUN x --out y --scorer student`")
    assert unknown_options(text) == [("train", "--fodls"), ("cache prune", "--kinds"),
                                     ("far-pairs", "--pair")]


@pytest.mark.parametrize("page", ["README.md", *sorted(
    str(path.relative_to(README.parent)) for path in (README.parent / "docs").glob("*.md"))])
def test_every_option_a_command_line_gives_is_one_the_command_takes(page):
    """A user copies the pages' command lines: an option renamed in the code and not on the
    page is `error: no such option` for them."""
    assert unknown_options((README.parent / page).read_text(encoding="utf-8")) == []


def test_the_train_options_list_names_every_option_train_takes():
    """"`shoprel train` options:" listed --config, --folds, --task, the learning curve's,
    --overwrite and --quiet, but not --student / --no-student: a user reading the list for a way
    to carry a student, or to drop the one a preset's config names, found none."""
    import click

    from shoprel.cli import main

    readme = _readme()
    listed = readme[readme.index("`shoprel train` options:"):readme.index("Every command prints")]
    train = main.get_command(click.Context(main), "train")
    flags = {flag for param in train.params if isinstance(param, click.Option)
             for flag in param.opts + param.secondary_opts}
    # --out, the run folder, is required: every train line gives it, the list no more
    missing = sorted(flag for flag in flags - {"--help", "--out"}
                     if not re.search(f"`{flag}[` ]", listed))
    assert missing == []


def test_the_config_block_shows_the_defaults_and_every_family(tmp_path):
    """"Config" shows a YAML file whose values are the defaults a run's config.yaml resolves to;
    its `family:` comment listed fast | embed | cross | llm, leaving out biencoder, which the
    registry (and the paragraph below it) has."""
    import shoprel
    from shoprel.models.registry import families

    text = README.read_text(encoding="utf-8")
    start = text.index("```yaml\ndata:") + len("```yaml\n")
    block = text[start:text.index("```", start)]
    (tmp_path / "readme.yaml").write_text(block, encoding="utf-8")
    shown = shoprel.load_config(tmp_path / "readme.yaml").model_dump()
    default = shoprel.load_config(None).model_dump()
    assert shown["model"]["params"].pop("backbone") == "embeddinggemma-300m"
    assert default["model"]["params"].pop("backbone") == ["embeddinggemma-300m"]
    assert shown == default
    comment = re.search(r"family: embed +# default; (.*)", block).group(1)
    assert sorted(comment.split(" | ")) == sorted(families())

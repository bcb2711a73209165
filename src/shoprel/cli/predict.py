"""`shoprel predict` and `shoprel check-submission`: score files with a run, check the output."""

from __future__ import annotations

import sys

import click

from shoprel.cli.options import (
    NOTHING_TO_SILENCE,
    IntegerRange,
    NumberRange,
    check_cascade_share,
    input_path,
    note,
    output_path,
    quiet_option,
    rows_output_help,
    scorer_option,
    task_option,
)
from shoprel.data.empty_texts import empty_texts_note
from shoprel.errors import ConfigError
from shoprel.predict.cascade import DEFAULT_SHARE
from shoprel.utils.counted_noun import counted_noun

# where the rows of languages a run never saw are measured, per task (the line predict prints
# on them): QC holds out one language per fold; QI, English only, a machine-translated Spanish
NEW_LANGUAGES_DOC = {"QC": "docs/measurements-qc.md: Languages never seen in training",
                     "QI": "docs/measurements-qi.md: The QI target and a Spanish stand-in"}


@click.command("check-submission")
@click.argument("submission", type=input_path())
@click.option("--input", "input_file", required=True, type=input_path(),
              help="The file the submission answers.")
@task_option()
@quiet_option(NOTHING_TO_SILENCE)
def check_submission_cmd(submission, input_file, task, quiet):
    """Check ids, order, count, 0/1 predictions and any probabilities of a submission
    against its input.

    SUBMISSION and --input may each be compressed (.gz, .bz2, .xz), a pipe or standard input
    (`-`, for one of the two), read once as predict reads its input."""
    from shoprel.data.spool import input_name
    from shoprel.data.submission import check_submission

    check = check_submission(submission, input_file, task)
    if check.ok:
        click.echo(f"ok: {check.rows} {counted_noun(check.rows, 'row matches', 'rows match')} "
                   f"{input_name(input_file)}")
        return
    for problem in check.problems:
        click.echo(problem, err=True)
    if check.more_problems:
        click.echo(f"... and {check.more_problems} more problem(s)", err=True)
    sys.exit(1)


@click.command()
@click.argument("run_dir", type=input_path())
@click.argument("input_file", type=input_path())
@click.option("--out", "out_file", required=True, type=output_path(),
              help=rows_output_help("Submission file"))
@click.option("--chunk-rows", default=20_000, show_default=True, type=IntegerRange(1),
              help="Rows scored at a time.")
@click.option("--engine", type=click.Choice(["local", "ray"], case_sensitive=False),
              default="local", show_default=True,
              help="local: this process; ray: a pool of Ray actors, one model load each.")
@click.option("--address", default=None,
              help="Ray cluster to connect to (e.g. auto, ray://host:10001); default: start a "
                   "local Ray instance. Only with --engine ray.")
@click.option("--num-actors", type=IntegerRange(1), default=None,
              help="Ray actors (default: one per CPU in the cluster). Only with --engine ray.")
@click.option("--index", "index_dirs", multiple=True, type=input_path(),
              help="Target-index folder (shoprel index --out), besides the run's own index; "
                   "repeatable.")
@scorer_option()
@click.option("--cascade-share", type=NumberRange(0, 1, min_open=True), default=DEFAULT_SHARE,
              show_default=True,
              help="--scorer cascade: how much the full model rescores, as the share of the "
                   "student's training rows nearest its threshold (whole queries; new queries "
                   "leave it surer, so usually fewer).")
@click.option("--overwrite", is_flag=True,
              help="Replace an existing output file that predict wrote (its columns are a "
                   "predictions file's; any other file is refused).")
@quiet_option("No progress bar, nor the notes on rows with an empty text or a tag that is no "
              "language code ('xx'); "
              "a warning about rows scored without translations, or in languages the run was "
              "not trained on, still prints.")
def predict(run_dir, input_file, out_file, chunk_rows, engine, address, num_actors, index_dirs,
            scorer, cascade_share, overwrite, quiet):
    """Score INPUT_FILE with a run; write id, texts, prediction and probability.

    INPUT_FILE may be compressed (rows.jsonl.gz, .bz2, .xz), a pipe or standard input
    (`<(zcat rows.jsonl.gz)`, `-`), read once; a name without a format's suffix is then read
    as the format (and compression: `cat rows.jsonl.gz | ... -`) its first bytes show."""
    check_cascade_share(scorer)
    if engine != "ray":
        given = [name for name, value in (("--address", address), ("--num-actors", num_actors))
                 if value is not None]
        if given:
            raise ConfigError(f"{' and '.join(given)}: only with --engine ray (this command "
                              "scores with --engine local)")
    if engine == "ray":
        from shoprel.predict.ray_engine import predict_file_ray

        # smaller batches than the local chunks, so that every actor gets work
        result = predict_file_ray(run_dir, input_file, out_file, address=address,
                                  num_actors=num_actors, batch_rows=min(chunk_rows, 5_000),
                                  progress=not quiet, indexes=list(index_dirs), scorer=scorer,
                                  overwrite=overwrite)
    else:
        from shoprel.utils.scoring_imports import import_lightgbm_for_scoring

        import_lightgbm_for_scoring()
        from shoprel.predict.predictor import predict_file

        result = predict_file(run_dir, input_file, out_file, chunk_rows, progress=not quiet,
                              indexes=list(index_dirs), scorer=scorer, overwrite=overwrite,
                              cascade_share=cascade_share)
    scored_by = {"student": ", the run's student",
                 "cascade": f", the full model's; it rescored {result.rescored or 0} of the "
                            "student's rows"}.get(scorer, "")
    hinted = say_scored_input(result, input_file, quiet)
    cuts = sorted(result.language_cuts.values())
    threshold = (f"per-language thresholds {cuts[0]:.4f}–{cuts[-1]:.4f}, "
                 f"{result.threshold:.4f} for other languages" if cuts
                 else f"threshold {result.threshold:.4f}")
    click.echo(f"{result.rows} {counted_noun(result.rows, 'row')} scored, {result.positives} "
               f"predicted relevant ({threshold}{scored_by}) → {result.out_file}")
    warn_new_languages(result, run_dir, hinted)


def say_scored_input(result, input_file, quiet: bool) -> set[str]:
    """What predict says of its input before its summary line: the notes on rows with an
    empty text and on rows tagged with no language code ('xx', as train says of its file;
    none under --quiet) and the warning of rows scored on their bare query (said even under
    --quiet). Returns the language hints said, for warn_new_languages. The demo says the same
    of each file it predicts."""
    from shoprel.cli.language_counts import warn_naming_languages
    from shoprel.data.spool import input_name
    from shoprel.training.tag_hints import unknown_tags_note

    if empty := empty_texts_note(result.empty_texts, input_file, "scored as empty texts"):
        note(empty, quiet)
    if unknown := unknown_tags_note(result.languages, input_name(input_file), "scored"):
        note(unknown, quiet)
    hinted: set[str] = set()  # a 'kr' hint is said once, under the first warning naming 'kr'
    if result.bare_rows:  # scores unlike the run's own: said even under --quiet
        warn_naming_languages(_bare_rows(result, input_file), result.bare_languages, hinted)
    return hinted


def warn_new_languages(result, run_dir, hinted: set[str], named: str = "") -> None:
    """The warning of rows in languages the run was not trained on (the run's figures do not
    cover them), said even under --quiet; `named` goes before it ("dev_QC.txt: ") where one
    command scores several files."""
    if not result.new_languages:
        return
    from shoprel.cli.language_counts import warn_naming_languages
    from shoprel.run.folder import Run

    doc = NEW_LANGUAGES_DOC[Run.read(run_dir).task]
    said = _new_language_rows(result.new_languages, result.translated_only,
                              result.translated_only_members)
    warn_naming_languages(f"{named}{said}: its cross-validation says nothing about them ({doc})",
                          result.new_languages, hinted)  # 'kr' for Korean


def _bare_rows(result, input_file) -> str:
    """The rows scored on their bare query, by language, and why (bare_query.py)."""
    from shoprel.cli.bare_query import bare_query_said, rows_said

    return (f"{result.bare_rows} of {rows_said(result.rows)} scored "
            + bare_query_said(input_file, result.bare_languages, result.translation_column,
                              "the run"))


def _new_language_rows(new_languages: dict[str, int], translated_only=(),
                       translated_only_members=None) -> str:
    """E.g. "3 rows in languages absent from the training file (xx 2, yy 1)"; a language the
    run trained on only as translated rows (augment.translate; `translated_only`) is said as
    such, not as absent, and one only some of an ensemble's members saw so
    (`translated_only_members`: tag -> those members) with their names; rows of no language
    (read as 'unk') as untagged, not as rows of a language 'unk'."""
    from shoprel.cli.bare_query import rows_said
    from shoprel.cli.language_counts import by_language, language_counts
    from shoprel.data.validate import UNKNOWN_LANGUAGE

    members = translated_only_members or {}
    groups = {"absent from the training file": {
        lang: n for lang, n in new_languages.items()
        if lang != UNKNOWN_LANGUAGE and lang not in translated_only}}
    for lang, n in new_languages.items():
        if lang in translated_only:
            saw = members.get(lang)
            how = (f"only member{'s' if len(saw) > 1 else ''} {', '.join(saw)} saw, through "
                   "translated rows") if saw else "the model saw only through translated rows"
            groups.setdefault(how, {})[lang] = n
    said = [f"{rows_said(sum(counts.values()))} in "
            f"{'a language' if len(by_language(counts)) == 1 else 'languages'} {how} "
            f"({language_counts(counts)})"
            for how, counts in groups.items() if counts]
    if UNKNOWN_LANGUAGE in new_languages:
        said.append(f"{rows_said(new_languages[UNKNOWN_LANGUAGE])} with no language tag "
                    "(the training file had none untagged)")
    return " and ".join(said)


COMMANDS = (predict, check_submission_cmd)

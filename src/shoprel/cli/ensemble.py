"""`shoprel ensemble` and `shoprel noise`: parse, call the Python API, print the outcome."""

from __future__ import annotations

import click

from shoprel.cli.options import (
    IntegerRange,
    NumberRange,
    input_path,
    note,
    output_path,
    quiet_option,
    refuse_unplain,
    rows_output_help,
)
from shoprel.data.formats import ID_TABLE_SUFFIXES
from shoprel.ensemble.combine import check_weights
from shoprel.ensemble.combiners import COMBINERS, methods_help
from shoprel.ensemble.defaults import DEFAULT_SHRINKAGE
from shoprel.evaluate.console import metrics_table
from shoprel.utils.counted_noun import counted_noun


def _weights(ctx, param, value):
    """--weights as numbers an ensemble can use (0 or more, finite, not all 0), refused as any
    other number option's value is, before any run is read; a weight named as it was typed
    ('1e400' reads as inf)."""
    if value is None:
        return None
    typed = value.split(",")
    for weight in typed:  # '０.６' or '1_0' said as any number option says it
        refuse_unplain(click.FLOAT, weight, param, ctx)
    try:
        weights = [float(x) for x in typed]
    except ValueError:
        raise click.BadParameter("comma-separated numbers, e.g. 0.6,0.4.") from None
    try:
        check_weights(weights, typed)
    except ValueError as exc:  # ended with a full stop, as every number option's refusal is
        raise click.BadParameter(f"{exc}.") from None
    return weights


@click.command("ensemble")
@click.argument("run_dirs", nargs=-1, required=True, type=input_path())
@click.option("--out", "out_dir", required=True, type=output_path(),
              help="Ensemble directory to create (predict/report/serve accept it as a run).")
@click.option("--method", type=click.Choice(list(COMBINERS)), default="mean", show_default=True,
              help=methods_help())
@click.option("--weights", callback=_weights,
              help="Member weights, e.g. 0.6,0.4 (weighted: searched on OOF AUC when absent).")
@click.option("--per-language-thresholds", is_flag=True,
              help="Predict with per-language cuts, shrunk toward the global one.")
@click.option("--shrinkage", type=NumberRange(0), default=DEFAULT_SHRINKAGE, show_default=True,
              help="Rows' worth of pull toward the global cut (m in (n·t+m·g)/(n+m)).")
@click.option("--overwrite", is_flag=True, help="Replace an existing ensemble directory.")
@quiet_option("No notes (members whose out-of-fold figures are optimistic, languages the "
              "ensemble saw only as translated rows); the figures still print.")
def ensemble(run_dirs, out_dir, method, weights, per_language_thresholds, shrinkage, overwrite,
             quiet):
    """Combine cross-validated runs trained on the same rows and folds."""
    from shoprel.cli.options import given
    from shoprel.ensemble.runner import build_ensemble

    result = build_ensemble(list(run_dirs), out_dir, method, weights, per_language_thresholds,
                            shrinkage if given("shrinkage") else None, overwrite)
    params = result.metrics["model"]["params"]
    # the weights a weighted mean or vote combines with: searched ones are known only here
    weights = params.get("weights") if method in ("weighted", "vote") else None
    for i, member in enumerate(result.metrics["members"]):  # named apart where two share one
        click.echo(f"member {member['name']}: F1 {member['f1']:.4f}  "
                   f"AUC {member['roc_auc']:.4f}"
                   + (f"  weight {weights[i]:.3g}" if weights else ""))
    if weights and params.get("weights_from", "given") != "given":
        click.echo(f"weights: {params['weights_from']}")
    click.echo(metrics_table(result.metrics))
    block = result.metrics["per_language_thresholds"]
    click.echo(f"nested F1: global cut {block['global_f1_nested']:.4f}, per-language cuts "
               f"{block['per_language_f1_nested']:.4f}")
    from shoprel.evaluate.run_metrics import translated_only_note

    if translated := translated_only_note(result.metrics):  # on stderr, as train says it
        note(f"note: {translated}", quiet)
    from shoprel.evaluate.optimistic import optimistic_members

    for name, why in optimistic_members(result.metrics):  # said where the figures are read
        note(f"note: member {name} is {why}: so are the ensemble's OOF figures above, and a "
             "gain over its other members can be leak", quiet)
    click.echo(f"ensemble written to {result.out_dir}")


@click.command("noise")
@click.argument("run_dir", type=input_path())
@click.option("--out", "out_file", type=output_path(),
              help="Write the flagged ids here: one per line, or a table with an id column "
                   f"when the name ends in {', '.join(sorted(ID_TABLE_SUFFIXES))}. Beside "
                   "it, OUT.source.json records the run they came from, which a run trained "
                   "with them (noise.flagged) reads to tell whether its figures leak.")
@click.option("--top", type=IntegerRange(0), default=20, show_default=True,
              help="How many of the most suspicious rows to print (0: none); --out and "
                   "--filtered-train take every flagged row, not only these.")
@click.option("--filtered-train", type=output_path(),
              help=rows_output_help("Also write the training file without the flagged rows "
                                    "(drop mode)"))
@click.option("--train", "train_file", type=input_path(),
              help="The run's training file, where it has moved since the run was trained "
                   "(another machine, a renamed folder): accepted only when it holds the same "
                   "data (the digest metrics.json records).")
@click.option("--overwrite", is_flag=True,
              help="Replace existing output files that noise wrote: flagged ids of the run's "
                   "training file and their record, a filtered copy of it (any other file is "
                   "refused).")
@quiet_option("No notes (flags resting on optimistic out-of-fold scores, what could not be "
              "checked of a moved training file); warnings still print.")
def noise(run_dir, out_file, top, filtered_train, train_file, overwrite, quiet):
    """List rows whose label the run's out-of-fold scores doubt (cleanlab)."""
    from shoprel.ensemble.noise import flag_noisy_rows

    result = flag_noisy_rows(run_dir, out_file, filtered_train, overwrite, train_file)
    for said in (result.note, result.optimistic):
        if said is not None:
            note(f"note: {said}", quiet)
    flagged, n = result.flagged, result.n_rows
    click.echo(f"{len(flagged)} {counted_noun(len(flagged), 'row')} flagged"
               + (f" of {n}" if n else ""))
    for row in flagged.head(top).itertuples():
        click.echo(f"{row.id}\t{row.language}\tlabel={row.label}\tp={row.probability:.3f}\t"
                   f"{row.query}\t{row.target}")
    if result.out_file is not None:
        click.echo(f"flagged ids written to {result.out_file}")
    if result.filtered_train is not None:
        click.echo(f"{result.dropped} {counted_noun(result.dropped, 'row')} dropped; filtered "
                   "training file: "
                   f"{result.filtered_train}")


COMMANDS = (ensemble, noise)

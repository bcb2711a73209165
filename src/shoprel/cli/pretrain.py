"""`shoprel pretrain FILES... --backbone e5-small --out DIR`: masked-LM continued pre-training."""

from __future__ import annotations

import click

from shoprel.cli.options import (
    IntegerRange,
    NumberRange,
    input_path,
    note,
    output_path,
    quiet_option,
)
from shoprel.models.config import SEED_MAX
from shoprel.utils.counted_noun import counted_noun


@click.command()
@click.argument("files", nargs=-1, required=True, type=input_path())
@click.option("--backbone", default="e5-small", show_default=True,
              help="Encoder to continue: a built-in (e5-small), a model folder or a hub id.")
@click.option("--out", "out_dir", required=True, type=output_path(),
              help="Folder to write; use it as a backbone (model.params.backbone: DIR).")
@click.option("--epochs", type=NumberRange(0, min_open=True), default=1.0, show_default=True)
@click.option("--max-steps", type=IntegerRange(1), default=None,
              help="Optimizer steps (wins over epochs).")
@click.option("--time-budget", "time_budget", type=NumberRange(0, min_open=True), default=None,
              help="Stop cleanly after this many minutes of training.")
@click.option("--mask-prob", type=NumberRange(0, 1, min_open=True, max_open=True), default=0.15,
              show_default=True,
              help="Share of tokens masked per text.")
@click.option("--max-length", type=IntegerRange(4), default=64, show_default=True,
              help="Tokens kept per text.")
@click.option("--batch-size", type=IntegerRange(1), default=32, show_default=True)
@click.option("--learning-rate", type=NumberRange(0, min_open=True), default=5e-5,
              show_default=True)
@click.option("--train-word-embeddings", is_flag=True,
              help="Also update the (tied) word embeddings; frozen by default.")
@click.option("--seed", type=IntegerRange(0, SEED_MAX), default=42, show_default=True)
@click.option("--threads", "n_threads", type=IntegerRange(1), default=None,
              help="torch CPU threads.")
@click.option("--overwrite", is_flag=True, help="Replace an existing output folder.")
@quiet_option("No progress bars, nor notes (a new masked-LM head, a busy machine).")
def pretrain(files, backbone, out_dir, epochs, max_steps, time_budget, mask_prob, max_length,
             batch_size, learning_rate, train_word_embeddings, seed, n_threads, overwrite, quiet):
    """Masked-LM pre-training of an encoder on the queries and targets of FILES (no labels)."""
    from shoprel.training.pretrain import PretrainConfig
    from shoprel.training.pretrain import pretrain as run_pretrain

    config = PretrainConfig(
        backbone=backbone, epochs=epochs, max_steps=max_steps, time_budget_minutes=time_budget,
        mask_prob=mask_prob, max_length=max_length, batch_size=batch_size,
        learning_rate=learning_rate, train_word_embeddings=train_word_embeddings, seed=seed,
        n_threads=n_threads, from_command_line=True)
    from shoprel.utils.threads import BusyMachineNote, OwnCpu, busy_torch_note

    # checked as the training starts (on the CPU), after the checks: a command that fails on
    # its input keeps its one error line. By then the run has loaded its model, tokenized the
    # texts and scored its probe on its own torch threads, which the load average counts: that
    # load is taken off (OwnCpu), as train does
    own = OwnCpu()
    busy = BusyMachineNote(lambda: busy_torch_note(n_threads, own.cores()),
                           lambda line: note(line, quiet))
    result = run_pretrain(files, out_dir, config, overwrite=overwrite, progress=not quiet,
                          before_training=busy)
    if result.new_masked_lm_head:
        note(f"note: {backbone} has no masked-LM head (an encoder-only checkpoint), so the head "
             "started newly initialised; only the encoder is written", quiet)
    if missing := result.missing_encoder_weights:  # a warning: on stderr, even under --quiet
        from shoprel.models.hf.head_loading import missing_encoder_warning

        click.echo(missing_encoder_warning(backbone, missing, "the written backbone is not a "
                                           "continuation of it"), err=True)
    click.echo(f"{result.queries} {counted_noun(result.queries, 'query', 'queries')} + "
               f"{result.targets} {counted_noun(result.targets, 'target')}, "
               f"{result.steps} {counted_noun(result.steps, 'step')} in "
               f"{result.seconds:.1f}s of training, {result.total_seconds:.1f}s in all (with "
               f"loading, the loss probes and writing); masked-LM loss {result.loss_before:.3f} → "
               f"{result.loss_after:.3f}"
               + (" (stopped by the time budget)" if result.stopped_by_time_budget else ""))
    click.echo(f"backbone written to {result.out_dir} (model.params.backbone: {result.out_dir})")


COMMANDS = (pretrain,)

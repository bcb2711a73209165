"""The command an error gives to make a run again as it was made, where something it was made
with has changed since (a backbone's weights: folder.Run.config_named).

A trained run is trained again from its config.yaml into a new folder. A distilled student is
distilled again from the same teacher, mix, refits and unlabelled pairs: `shoprel train` on its
config.yaml would make a model of the labels alone, not the student. The student a run carries
is distilled again into its own folder, which `--scorer student` reads: a run elsewhere would
leave the carried one as it was, still refused. Its config is its own config.yaml, in the folder
the command replaces: distill reads it before any work and puts the new student in place only
once it is complete (utils/atomic.atomic_dir), whose config.yaml then says the same, so the
command runs as printed and a failure leaves the old student whole.
"""

from __future__ import annotations

from pathlib import Path

from shoprel.run.distill_command import distill_command, shell_word
from shoprel.training.defaults import DEFAULT_HARD_WEIGHT

NEW_RUN = "NEW_RUN"  # the folder the user names for a run of its own


def train_command(train_file: str, config: Path) -> str:
    """`shoprel train` of the run's config.yaml into a new folder."""
    return (f"`shoprel train {shell_word(train_file)} --config {shell_word(config)} "
            f"--out {NEW_RUN}`")


def distill_again(teacher: Path, config: Path, block: dict, carried_in: Path | None) -> str:
    """`shoprel distill` of the student again, with the options its metrics.json distillation
    `block` records: the files read with --train and --stage0-train where the teacher's had
    moved (the teacher still records the old places: distill would not find its rows, and the
    nested refits would start without stage 0, another student). `carried_in`: the
    folder of a carried student (RUN/student), which the command replaces, its config.yaml
    read as the student's (module docstring). None: a run of its own, into a new folder."""
    options: list[tuple[str, str | None]] = [("--nested", None)] if block.get("nested") else []
    options += [("--unlabeled", file) for file in (block.get("unlabeled") or {}).get("files")
                or []]
    for option, key in (("--train", "moved_train_file"), ("--stage0-train", "moved_stage0_file")):
        moved = (block.get(key) or {}).get("read")
        if moved:
            options.append((option, moved))
    command = distill_command(teacher, NEW_RUN if carried_in is None else carried_in,
                              float(block.get("hard_weight", DEFAULT_HARD_WEIGHT)), config,
                              options, overwrite=carried_in is not None)
    return f"`{command}`"

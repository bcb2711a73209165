"""The command an error gives to make a run again as it was made, where something it was made
with has changed since (a backbone's weights: runs.Run.config_named).

A trained run is trained again from its config.yaml into a new folder. A distilled student is
distilled again from the same teacher, mix, refits and unlabelled pairs: `shoprel train` on its
config.yaml would make a model of the labels alone, not the student. The student a run carries
is distilled again into its own folder, which `--scorer student` reads: a run elsewhere would
leave the carried one as it was, still refused.
"""

from __future__ import annotations

from pathlib import Path

from shoprel.training.defaults import DEFAULT_HARD_WEIGHT

NEW_RUN = "NEW_RUN"  # the folder the user names for a run of its own
STUDENT_YAML = "STUDENT.yaml"  # as runs.carried_student names a student's config to give


def train_command(train_file: str, config: Path) -> str:
    """`shoprel train` of the run's config.yaml into a new folder."""
    return f"`shoprel train {train_file} --config {config} --out {NEW_RUN}`"


def distill_command(teacher: Path, config: Path, block: dict, carried_in: Path | None) -> str:
    """`shoprel distill` of the student again, with the options its metrics.json distillation
    `block` records. `carried_in`: the folder of a carried student (RUN/student), which the
    command replaces; its config.yaml is given as a copy kept outside it, as a command may
    not replace what it reads. None: a run of its own, distilled into a new folder."""
    options = f" --hard-weight {float(block.get('hard_weight', DEFAULT_HARD_WEIGHT)):g}"
    if block.get("nested"):
        options += " --nested"
    for file in (block.get("unlabeled") or {}).get("files") or []:
        options += f" --unlabeled {file}"
    if carried_in is None:
        return f"`shoprel distill {teacher} --student {config} --out {NEW_RUN}{options}`"
    return (f"`shoprel distill {teacher} --student {STUDENT_YAML} --out {carried_in}{options} "
            f"--overwrite` with {STUDENT_YAML} a copy of {config} made outside {carried_in}")

"""The command an error gives to make a run again as it was made, where something it was made
with has changed since (a backbone's weights: runs.Run.config_named).

A trained run is trained again from its config.yaml into a new folder. A distilled student is
distilled again from the same teacher, mix, refits and unlabelled pairs: `shoprel train` on its
config.yaml would make a model of the labels alone, not the student. The student a run carries
is distilled again into its own folder, which `--scorer student` reads: a run elsewhere would
leave the carried one as it was, still refused.
"""

from __future__ import annotations

import shlex
from pathlib import Path

from shoprel.training.defaults import DEFAULT_HARD_WEIGHT

NEW_RUN = "NEW_RUN"  # the folder the user names for a run of its own
STUDENT_YAML = "STUDENT.yaml"  # as runs.carried_student names a student's config to give


def _word(path: str | Path) -> str:
    """A path as a shell word: quoted where a space or a quote would split or end it."""
    return shlex.quote(str(path))


def train_command(train_file: str, config: Path) -> str:
    """`shoprel train` of the run's config.yaml into a new folder."""
    return f"`shoprel train {_word(train_file)} --config {_word(config)} --out {NEW_RUN}`"


def distill_command(teacher: Path, config: Path, block: dict, carried_in: Path | None) -> str:
    """`shoprel distill` of the student again, with the options its metrics.json distillation
    `block` records: the file read with --train where the teacher's had moved (the teacher
    still records the old place, so distill would not find it there). `carried_in`: the
    folder of a carried student (RUN/student), which the command replaces; its config.yaml is
    given as a copy kept outside it, as a command may not replace what it reads. None: a run
    of its own, distilled into a new folder."""
    options = f" --hard-weight {float(block.get('hard_weight', DEFAULT_HARD_WEIGHT)):g}"
    if block.get("nested"):
        options += " --nested"
    for file in (block.get("unlabeled") or {}).get("files") or []:
        options += f" --unlabeled {_word(file)}"
    moved = (block.get("moved_train_file") or {}).get("read")
    if moved:
        options += f" --train {_word(moved)}"
    if carried_in is None:
        return (f"`shoprel distill {_word(teacher)} --student {_word(config)} --out {NEW_RUN}"
                f"{options}`")
    return (f"`shoprel distill {_word(teacher)} --student {STUDENT_YAML} --out "
            f"{_word(carried_in)}{options} --overwrite` with {STUDENT_YAML} a copy of {config} "
            f"made outside {carried_in}")

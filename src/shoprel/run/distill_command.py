"""The `shoprel distill` command a message tells its user to paste, with every path quoted as a
shell reads it. Every message naming one builds it here (a run without its student, a student
stopped in train --student, a student made again since its backbone changed), so that all of
them paste alike and api/wording.py finds them in one shape to say the call that does it.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from pathlib import Path


def shell_word(value: str | Path) -> str:
    """A path (or a placeholder such as NEW_RUN) as one shell word: quoted where a space or a
    quote would split or end it."""
    return shlex.quote(str(value))


def distill_command(teacher: str | Path, out: str | Path, hard_weight: float,
                    student: str | Path | None = None,
                    options: Sequence[tuple[str, str | Path | None]] = (),
                    overwrite: bool = False) -> str:
    """`shoprel distill TEACHER [--student STUDENT] --out OUT --hard-weight H [OPTIONS]
    [--overwrite]`. `student` None: the student the teacher's config names, which distill
    takes without --student; `options`: (option, value) pairs after --hard-weight, a value
    None for a switch (--nested)."""
    words = ["shoprel", "distill", shell_word(teacher)]
    if student is not None:
        words += ["--student", shell_word(student)]
    words += ["--out", shell_word(out), "--hard-weight", f"{float(hard_weight):g}"]
    for option, value in options:
        words += [option] if value is None else [option, shell_word(value)]
    if overwrite:
        words.append("--overwrite")
    return " ".join(words)

"""The one builder of the `shoprel distill` commands messages tell a user to paste."""

import shlex

from shoprel.run.distill_command import distill_command, shell_word


def test_a_said_distill_splits_back_into_its_words():
    """Three messages built the command apiece (a run without its student, a student stopped
    in train --student, a student made again), each quoting its own way: one builder now,
    whose paths (a space, a quote) come back whole from a shell's split and whose
    placeholders stay bare words."""
    teacher = "/data/my runs/bob's run"
    said = distill_command(teacher, f"{teacher}/student", 0.7, "STUDENT.yaml",
                           [("--nested", None), ("--unlabeled", "/u/a b.jsonl")],
                           overwrite=True)
    assert shlex.split(said) == ["shoprel", "distill", teacher, "--student", "STUDENT.yaml",
                                 "--out", f"{teacher}/student", "--hard-weight", "0.7",
                                 "--nested", "--unlabeled", "/u/a b.jsonl", "--overwrite"]
    assert distill_command("runs/a", "runs/a/student", 1.0) == (
        "shoprel distill runs/a --out runs/a/student --hard-weight 1")
    assert shell_word("NEW_RUN") == "NEW_RUN" and shell_word("a b") == "'a b'"

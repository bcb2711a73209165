"""The API's errors in Python's words: the code it calls names command-line options in its
messages (`--overwrite`, `--scorer full`); called from Python, an error names the parameters
instead (same error, same fields, other words), and so do the notes a result carries for the
caller to read (noisy_rows' `optimistic`, a student's metrics caveat; the run's files keep the
commands' words), which the commands print as `note:` lines, and the notes said before the
work (distill's), which the API writes on stderr as the commands do."""

from __future__ import annotations

import dataclasses
import functools
import re
import shlex
from collections.abc import Callable

from shoprel.augment.backends import BACKENDS
from shoprel.errors import Interrupted, ShoprelError
from shoprel.training.defaults import NO_STUDENT_FIX, STUDENT_PRESET
from shoprel.utils.progress import one_call, write_line

# the command-line words in messages of the code the API calls, and what Python calls them
_PYTHON_WORDS = (("(use --overwrite to replace it)", "(overwrite=True replaces it)"),
                 ("--overwrite replaces only", "overwrite=True replaces only"),
                 ("--overwrite would delete it", "overwrite=True would delete it"),
                 ("drop --student (or the config's student: section)",
                  "give student=False (or drop the config's student section)"),
                 ("give the task (--task QC|QI)", "give the task (task='QC' or 'QI')"),
                 ("the task given (--task) is", "the task given (task=) is"),
                 ("the task given (--task or the config's data.task) is",
                  "the task given (task= or the config's data.task) is"),
                 ("--scorer full", "scorer='full'"), ("--scorer student", "scorer='student'"),
                 ("--scorer cascade", "scorer='cascade'"), ("--cascade-share", "cascade_share"),
                 ("--index", "indexes"),
                 ("--recent-texts", "recent_texts"),
                 ("--curve-fractions:", "curve_fractions:"),
                 ("give --student another model, or --hard-weight below 1",
                  "give student another model, or hard_weight below 1"),
                 ("runs with --engine local only", "runs with engine='local' only"),
                 ("--address ", "address: "),
                 ("--num-actors:", "num_actors:"),
                 ("--shrinkage: applies only with --per-language-thresholds",
                  "shrinkage: applies only with per_language_thresholds=True"),
                 ("--shrinkage", "shrinkage"), ("--weights", "weights"),
                 ("at --hard-weight 1", "at hard_weight 1"),
                 ("drop --nested, or give --hard-weight below 1",
                  "drop nested=True, or give hard_weight below 1"),
                 ("with --train FILE", "with train=PATH"),
                 ("(--train, the new place", "(train=, the new place"),
                 ("with --stage0-train FILE", "with stage0_train=PATH"),
                 ("(--stage0-train, the new place", "(stage0_train=, the new place"),
                 ("only the refits of --nested", "only the refits of nested=True"),
                 ("add --nested or drop --stage0-train", "add nested=True or drop stage0_train"),
                 ("drop --stage0-train", "drop stage0_train"), ("--stage0-train:", "stage0_train:"),
                 ("--hard-weight:", "hard_weight:"), ("--nested:", "nested=True:"),
                 ("distill without --nested", "distill without nested=True"),
                 ("(--unlabeled)", "(unlabeled)"), ("give --out FOLDER", "give out=FOLDER"),
                 ("give --unlabeled files of", "give unlabeled= files of"),
                 ("; --unlabeled takes pairs the teacher", "; unlabeled= takes pairs the teacher"),
                 ("--out needs a folder for the index", "out needs a folder for the index"),
                 ("given as both --out and --filtered-train",
                  "given as both out_file and filtered_train"), ("--pairs:", "pairs:"),
                 ("what the --out flags came from; choose another --filtered-train",
                  "what the out_file flags came from; choose another filtered_train"),
                 ("what the --filtered-train copy came from; choose another --out",
                  "what the filtered_train copy came from; choose another out_file"),
                 ("--candidates: no language given; write comma-separated codes such as "
                  "en,es,fr", "candidates: no language given; give codes such as "
                              "['en', 'es', 'fr']"),
                 ("give two or more, such as en,es, or leave --candidates out",
                  "give two or more, such as ['en', 'es'], or candidates=None"),
                 ("--candidates:", "candidates:"),
                 ("say what to remove: --stale, --kind, --older-than or --keep-under "
                  "(`shoprel cache list` shows what there is)",
                  "say what to remove: stale=True, kinds, older_than or keep_under "
                  "(shoprel.list_cache() shows what there is)"),
                 *((f"(this command translates with --backend {backend})",
                    f"(this call translates with backend={backend!r})") for backend in BACKENDS),
                 *((f"only read by --backend {backend}", f"only read by backend={backend!r}")
                   for backend in BACKENDS),
                 ("--table:", "table:"), ("--model:", "model:"), ("--beams:", "beams:"),
                 ("--device:", "device:"), ("--backend:", "backend:"), ("--to:", "to:"),
                 ("(--table PATH)", "(table=PATH)"), ("(--model PATH)", "(model=PATH)"),
                 ("--device '", "device '"),
                 ("; --cache needs a file of its own", "; cache needs a file of its own"),
                 ("where the same command run again finds them",
                  "where the same call run again finds them"),
                 # an index build stopped once a part was finished (Ctrl-C)
                 ("run the same command again to go on from them",
                  "call `shoprel.index_targets(...)` again with the same arguments to go on "
                  "from them"),
                 ("--int8-weights: applies only with --int8",
                  "int8_weights: applies only with int8=True"),
                 # the commands that make or mend what a Python call was refused for
                 ("rebuild it with `shoprel index`",
                  "rebuild it with `shoprel.index_targets(run_dir, input_file, out=FOLDER)`"),
                 ("`shoprel export` did not", "`shoprel.export_onnx` did not"),
                 ("(run `shoprel export RUN_DIR --onnx [--int8]` first)",
                  "(call `shoprel.export_onnx(run_dir)` first, int8=True for onnx-int8)"),
                 ("(shoprel ensemble ... --overwrite)",
                  "(shoprel.ensemble_runs(..., overwrite=True))"),
                 ("the submission and --input are", "submission and input_file are"),
                 # a distilled student's caveat, and noise's advice on its optimistic flags
                 ("(distill --nested makes them honest)",
                  "(distill_student(..., nested=True) makes them honest)"),
                 ("(distill --nested or --hard-weight 1.0 makes the soft targets honest, not "
                  "the pairs: honest ones need a student without --unlabeled too)",
                  "(distill_student(..., nested=True) or hard_weight=1.0 makes the soft targets "
                  "honest, not the pairs: honest ones need a student without unlabeled too)"),
                 ("a student distilled with --nested or --hard-weight 1.0, and without "
                  "--unlabeled", "a student distilled with nested=True or hard_weight=1.0, and "
                                 "without unlabeled"),
                 # distill's notes before the work: a teacher that teaches nothing, a student
                 # of the teacher's own model, a stage 0 the nested refits start without
                 ("--hard-weight 1 without --unlabeled:", "hard_weight=1 without unlabeled:"),
                 ("(fast from fast at --hard-weight 0.3:", "(fast from fast at hard_weight=0.3:"),
                 ("give --student another model, or keep the teacher",
                  "give student another model, or keep the teacher"),
                 # a nested distill's stage-0 lines (metrics["distillation"]["nested_stage0"])
                 ("(--stage0-train)", "(stage0_train)"))
# the texts a result carries for its caller to read, by the field or key that holds them at
# any depth (noisy_rows' and add_far_pairs' `note`, noisy_rows' and compare_runs' runs[i]
# `optimistic`, a student's metrics["distillation"] `caveat` and `nested_stage0` lines, an
# ensemble's metrics["members"][i] `optimistic`, train's metrics["student"] `caveat` and, for a
# carried student that failed, `error`, compare_runs' `caveats`, which summary_text prints
# beside the runs' `optimistic`), which the commands print as `note:` (or `warning:`) lines
_RESULT_NOTES = frozenset({"note", "optimistic", "caveat", "nested_stage0", "error",
                           "caveats"})


def _export_call(match: re.Match) -> str:
    """`shoprel export RUN --onnx [--int8 [--int8-weights W]]` as the call that does it."""
    keywords = "".join([", int8=True" if match[1] else "",
                        f", int8_weights={match[2]!r}" if match[2] else ""])
    return f"`shoprel.export_onnx(run_dir{keywords})`"


# a path as the commands quote it for the shell (distill_command.shell_word): a bare word, or
# quoted parts
_WORD = r"((?:'[^']*'|\"[^\"]*\"|[^\s'\"])+)"


def _distill_call(match: re.Match) -> str:
    """`shoprel distill RUN [--student STUDENT] --out OUT --hard-weight H` as the call that
    does it, the paths (and the student: a preset's name, a config's path) unquoted (shell
    words) and written as Python strings; without --student, None: the student the run's
    config names."""
    teacher, student, out, hard_weight = match.groups()
    student = repr(shlex.split(student)[0]) if student else "None"
    return (f"shoprel.distill_student({shlex.split(teacher)[0]!r}, {student}, "
            f"{shlex.split(out)[0]!r}, hard_weight={hard_weight})")


# messages whose command-line words hold paths (or that name a command), reworded around them
# in order, before _PYTHON_WORDS: a run without a student
# told a Python caller to run `shoprel distill RUN --student ... --out ...` and that it was
# "trained without `train --student`"
_PYTHON_PATTERNS = ((re.compile(rf"shoprel distill {_WORD}(?: --student {_WORD})? --out "
                                rf"{_WORD} --hard-weight (\S+) \(as train --student does\)"),
                     lambda match: f"{_distill_call(match)} (as train(..., student=True) does)"),
                    # a student interrupted in train(..., student=True): the distill that
                    # gives the kept run one, as the call that does it
                    (re.compile(rf"`shoprel distill {_WORD}()? --out {_WORD} --hard-weight "
                                r"(\S+)` gives it one \(the config's student\.hard_weight, "
                                r"which distill does not read\)"),
                     lambda match: f"`{_distill_call(match)}` gives it one (the config's "
                                   "student.hard_weight, which distill_student does not read)"),
                    # distill_student(ENS, None, ...): the student preset as the argument
                    (re.compile(rf"^--student: (.+) is an ensemble, whose config names no "
                                rf"student: {re.escape(NO_STUDENT_FIX)}$"),
                     lambda match: f"student: {match[1]} is an ensemble, whose config names "
                                   f"no student: give student={STUDENT_PRESET!r} (train(..., "
                                   "student=True)'s student) or another student's run config"),
                    # a row whose task field names the other task than the one given
                    (re.compile(r"give --task (QC|QI)\b"), r"give task='\1'"),
                    (re.compile(re.escape("trained without `train --student` / config")),
                     "trained without train(..., student=True) / config"),
                    # an index folder given as indexes= that is none: how to build one, and
                    # which folder to give instead
                    (re.compile(re.escape("`shoprel index RUN FILE --out FOLDER`")),
                     "`shoprel.index_targets(run_dir, input_file, out=FOLDER)`"),
                    (re.compile(r"`shoprel index RUN FILE --out (.+?)`"),
                     r"`shoprel.index_targets(run_dir, input_file, out='\1')`"),
                    (re.compile(r"give --index (.+)$"), r"give indexes=['\1']"),
                    # an index folder that holds none of the run's backbones: the run and the
                    # folder as the call's arguments
                    (re.compile(r"`shoprel index (.+?) FILE --out (.+?)`"),
                     r"`shoprel.index_targets('\1', input_file, out='\2')`"),
                    (re.compile(r"^--index (.+?): holds"), r"indexes=['\1']: holds"),
                    # an export to make again, with the flags it was made with
                    (re.compile(r"`shoprel export RUN --onnx( --int8)?(?: --int8-weights "
                                r"(\w+))?`"), _export_call))


def in_python_words(function):
    """The errors of the code an API function calls name command-line options; raised through
    the function, they name its parameters instead (same error, same fields, other words).
    Each call of it is one call for the notes said once (progress.one_call: a notebook's next
    call that loads an encoder again says so, as a command's process does once)."""
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        try:
            with one_call():
                result = function(*args, **kwargs)
        except ShoprelError as error:
            _reword(error)
            raise
        except Interrupted as stop:  # a KeyboardInterrupt still, saying what was kept
            _reword_interrupt(stop)
            raise
        return _reworded_notes(result)
    return wrapper


def python_notes(progress: bool) -> Callable[[str], None] | None:
    """What hears the notes said before the work by the code an API function calls (distill's
    `say`, which the CLI prints): each written on stderr as a `note:` line in Python's words,
    above the bars, as train writes its small-folds note; None where progress=False silences
    them, as it does train's."""
    if not progress:
        return None
    return lambda line: write_line(f"note: {_python_words(line)}")


def _reworded_notes(result, note: bool = False):
    """`result` with the texts it carries for its caller (_RESULT_NOTES, in its dataclass
    fields, dicts and lists) in the errors' words; `note`: `result` is held under such a name.
    What holds a changed text is a copy (dataclasses.replace, a new dict or list): a run's
    metrics.json, shared with the commands, keeps their words, and so does any dict the code
    keeps. Paths and every other value stay as they are (a folder may be called `runs--index`)."""
    if isinstance(result, str):
        reworded = _python_words(result) if note else result
        return result if reworded == result else reworded
    if dataclasses.is_dataclass(result) and not isinstance(result, type):
        changed = {field.name: new for field in dataclasses.fields(result)
                   if (new := _reworded_notes(old := getattr(result, field.name),
                                              note or field.name in _RESULT_NOTES)) is not old}
        return dataclasses.replace(result, **changed) if changed else result
    if isinstance(result, dict):
        items = {key: _reworded_notes(value, note or key in _RESULT_NOTES)
                 for key, value in result.items()}
        return items if any(items[key] is not value for key, value in result.items()) \
            else result
    if isinstance(result, list):
        items = [_reworded_notes(value, note) for value in result]
        return items if any(new is not old for new, old in zip(items, result, strict=True)) \
            else result
    return result


def _reword_interrupt(stop: Interrupted) -> None:
    """An interrupt that says what it kept, in the same words as the errors: its message and
    the note the CLI prints (same class, same chain, so the same exit status)."""
    stop.note = _python_words(stop.note)
    if stop.args and isinstance(stop.args[0], str):
        stop.args = (_python_words(stop.args[0]), *stop.args[1:])


def _reword(error: ShoprelError) -> None:
    """Every text a caller reads off the error in the same words: its message (str, args) and
    an InputError's reason; the path, line and field it names stay as they are (a folder may
    be called `runs--index`)."""
    message = error.args[0] if error.args else None
    if not isinstance(message, str):
        return
    reason = getattr(error, "reason", None)
    if isinstance(reason, str) and message.endswith(reason):
        where = message[:len(message) - len(reason)]
        error.reason = _python_words(reason)
        error.args = (where + error.reason, *error.args[1:])
    else:
        error.args = (_python_words(message), *error.args[1:])


def _python_words(text: str) -> str:
    for pattern, python in _PYTHON_PATTERNS:
        text = pattern.sub(python, text)
    for cli, python in _PYTHON_WORDS:
        text = text.replace(cli, python)
    return text

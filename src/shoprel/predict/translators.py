"""Which translator made the translated queries a run's models read (config.yaml
data.translator), for every command that scores with several runs at once.

A scored pair carries one translated query to every model that scores it: the input file's
translated_query column (predict, Scorer), the pair's own or the one serve makes. Runs trained
on queries translated by different translators (an ensemble's members, a cascade's student and
full run) cannot all read that one as they read their training rows, so they are refused
together, each run's config.yaml named. Runs whose models ignore translations do not count.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from shoprel.errors import RunDirError
from shoprel.run.folder import Run
from shoprel.run.layout import CONFIG, shown
from shoprel.run.students import scoring_run

if TYPE_CHECKING:
    from shoprel.training.config import TranslatorConfig

    Records = list[tuple[TranslatorConfig, Path]]


def scoring_runs(run: Run, scorer: str) -> list[Run]:
    """The runs whose models score for `scorer`: the run ("full"), its student ("student"),
    or both, the student first ("cascade")."""
    if scorer == "cascade":
        return [scoring_run(run, "student"), run]
    return [scoring_run(run, scorer)]


def translating_runs(runs: Iterable[Run]) -> Iterator[Run]:
    """The trained runs among `runs` and behind them (an ensemble's members, at any depth)
    whose models read translations. An ensemble's own config.yaml records its combination,
    not a run config: its members are read instead."""
    for run in runs:
        if run.kind == "ensemble":
            yield from translating_runs(Run.open(member) for member in run.member_dirs())
        elif run.reads_translation():
            yield run


def translation_records(runs: Iterable[Run]) -> tuple[Records, Path | None]:
    """([(data.translator, the config.yaml recording it)] of the translation-reading runs that
    record one, the config.yaml of the first such run without its config.yaml or None). A
    member reached as runs/ens/../a is named runs/a/config.yaml, as elsewhere."""
    return _records(translating_runs(runs))


def _records(translating: Iterable[Run]) -> tuple[Records, Path | None]:
    records, unrecorded = [], None
    for run in translating:
        if (run.path / CONFIG).is_file():
            translator = run.saved_config().data.translator
            if translator is not None:
                records.append((translator, shown(run.path / CONFIG)))
        elif unrecorded is None:
            unrecorded = shown(run.path / CONFIG)
    return records, unrecorded


def described(translator: TranslatorConfig) -> str:
    """A recorded translator as a message names it: 'table t.jsonl to en', 'apertium to en',
    'apertium to pt-BR without its region (regional_pairs: false)'."""
    from shoprel.augment.translator import target_tag

    source = translator.table or translator.model
    said = " ".join([translator.backend, *([str(source)] if source else []), "to",
                     translator.to])
    if translator.asked != target_tag(translator.to):
        said += " without its region (regional_pairs: false)"
    return said


def translator_kind(translator: TranslatorConfig) -> tuple:
    """What makes two recorded translators' translations differ: backend, table or model (as
    resolved paths), the target as asked (with its region or not). A cache holds the same
    backend's answers, so it does not count."""
    from shoprel.augment.backends import translator_key

    return (translator_key(translator.backend, translator.table, translator.model),
            translator.asked)


def refuse_a_mix(named: Path, records: Records, reach: str) -> None:
    """One RunDirError line when the records name more than one translator kind: `reach` says
    how one translation reaches all the runs, and what to do instead, e.g. "serve makes one
    translation of a pair for all of them: serve the runs apart"."""
    if len({translator_kind(translator) for translator, _ in records}) > 1:
        raise RunDirError(
            f"{shown(named)}: its runs read queries translated by different translators "
            f"({'; '.join(f'{where}: {described(t)}' for t, where in records)}) and {reach}, "
            "or train them on queries translated one way (data.translator)")


def check_runs_translator(named: Path, runs: Iterable[Run], reach: str) -> None:
    """refuse_a_mix over `runs` (and the runs behind them), named `named`. Their config.yaml
    are read only where two or more runs read translations; a run without its config.yaml is
    not refused here: only serve, which makes translations, needs to know its translator."""
    translating = list(translating_runs(runs))
    if len(translating) > 1:
        refuse_a_mix(named, _records(translating)[0], reach)


def check_one_translator(run: Run, scorer: str, reach: str) -> None:
    """check_runs_translator over the runs that score for `scorer`, named by `run`'s folder."""
    check_runs_translator(run.path, scoring_runs(run, scorer), reach)

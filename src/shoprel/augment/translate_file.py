"""Add a translated_query column to a pair file (the column our reader maps to the frame's
`TRANSLATION`)."""

from __future__ import annotations

import contextlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from shoprel.augment.asked_once import AskedOnce
from shoprel.augment.backends import BACKENDS, make_translator
from shoprel.augment.cache import closing_translator
from shoprel.augment.languages import by_rows
from shoprel.augment.progress import PROGRESS_MIN, FileBar
from shoprel.augment.rewrite import (
    CHUNK_ROWS,
    CheckedFile,
    Marker,
    Rewrite,
    own_output_guard,
    rewrite_in_chunks,
)
from shoprel.augment.translator import Translator, check_target_language, target_region, target_tag
from shoprel.data.language_tags import base_language, canonical_tag, tag_hint
from shoprel.data.records import column_line, position_label
from shoprel.data.tasks import TRANSLATION_COLUMN
from shoprel.data.validate import UNKNOWN_LANGUAGE
from shoprel.errors import ConfigError, InputError, Interrupted, OutputError
from shoprel.utils.outputs import (
    at_or_below,
    check_output_file,
    check_outside_outputs,
    check_parent,
    same_file,
)

TRANSLATE = "translate"  # the command writing the output, as its refusals name it
# every row of translate's output names its writer and backend ("shoprel translate (apertium)"):
# what tells it from a file of translations made by hand, which --overwrite keeps, and which
# translate refuses as input (a translated_query on a row without the marker)
TRANSLATED_BY = Marker("translated_by", TRANSLATE, guarded=(TRANSLATION_COLUMN,))


@dataclass
class TranslationReport:
    """Counts per source language: translated, passed through (already target), no route, and
    empty queries (nothing to translate: counted apart, not as translated). Rows are compared
    by `target`, the base language ('pt'); the sentences name `asked`, the target as the user
    gave it ('pt-BR'), which a row with no route reaches neither."""

    target: str
    asked: str | None = None  # None: the target itself
    translated: Counter = field(default_factory=Counter)
    passed_through: Counter = field(default_factory=Counter)
    no_route: Counter = field(default_factory=Counter)
    unchanged: Counter = field(default_factory=Counter)  # translated, yet identical to the query
    empty: Counter = field(default_factory=Counter)
    # translated queries longer than the model reads, cut to their first `input_tokens`
    cut: int = 0
    input_tokens: int | None = None
    # what a target's region was translated into where the backend has no pair for it
    # (region_fallback); `translate` says it as a warning: not the language asked for
    region_fallback: str | None = None
    # a table's source tags that name no language and no row of the input has, and its target
    # tags that name none and are not the target asked (table.py's unknown_sources and
    # unknown_targets), one line each at the tag's first line; `translate` says them as warnings
    unknown_sources: list[str] = field(default_factory=list)
    unknown_targets: list[str] = field(default_factory=list)

    def add(self, other: TranslationReport) -> TranslationReport:
        """Count another chunk's rows (its report) in."""
        for name in ("translated", "passed_through", "no_route", "unchanged", "empty"):
            getattr(self, name).update(getattr(other, name))
        self.cut += other.cut
        self.input_tokens = other.input_tokens or self.input_tokens
        return self

    @property
    def totals(self) -> dict[str, int]:
        return {"translated": sum(self.translated.values()),
                "passed_through": sum(self.passed_through.values()),
                "no_route": sum(self.no_route.values()),
                "unchanged": sum(self.unchanged.values()),
                "empty": sum(self.empty.values())}

    def lines(self) -> list[str]:
        rows = self.translated + self.passed_through + self.no_route + self.empty
        langs = by_rows({lang: rows[lang] for lang in (*self.translated, *self.passed_through,
                                                       *self.no_route, *self.empty)})
        header = ("language", "translated", "(unchanged)", "passed", "no route", "empty")
        out = [f"{header[0]:<10}{header[1]:>12}{header[2]:>13}{header[3]:>9}{header[4]:>10}"
               f"{header[5]:>7}"]
        for lang in langs:
            out.append(f"{lang:<10}{self.translated[lang]:>12}{self.unchanged[lang]:>13}"
                       f"{self.passed_through[lang]:>9}{self.no_route[lang]:>10}"
                       f"{self.empty[lang]:>7}")
        t = self.totals
        out.append(f"{'all':<10}{t['translated']:>12}{t['unchanged']:>13}"
                   f"{t['passed_through']:>9}{t['no_route']:>10}{t['empty']:>7}")
        # a country code for a language ('kr' for Korean) has no route: said what to write
        return out + [f"{lang}: {hint}" for lang in by_rows(self.no_route)
                      if (hint := tag_hint(lang))]

    @property
    def asked_target(self) -> str:
        """The target as asked ('pt-BR'): what the summary and refusals name."""
        return self.asked or self.target

    def summary(self, output: str | Path) -> str:
        """The last line `shoprel translate` prints."""
        t = self.totals
        line = (f"wrote {output}: {t['translated']} translated, {t['passed_through']} passed "
                f"through, {t['no_route']} with no route to {self.asked_target}")
        if untagged := self.no_route[UNKNOWN_LANGUAGE]:  # else 'no route' for a tagged file
            line += (f" ({untagged} of them with no language tag, listed as "
                     f"{UNKNOWN_LANGUAGE}: no language to translate from)")
        return line + (f", {t['empty']} empty (left empty)" if t["empty"] else "")

    def cut_note(self) -> str | None:
        """The line saying how many queries the model read only the start of; None if none."""
        if not self.cut:
            return None
        were = "query was" if self.cut == 1 else "queries were"
        return (f"note: {self.cut:,} {were} longer than the model's {self.input_tokens} tokens "
                "and were cut (only their start was translated)")


def translate_queries(queries: list[str], languages: list[str], translator: Translator,
                      target: str = "en") -> tuple[list[str | None], TranslationReport]:
    """Translate each query into target; rows already in target are passed through unchanged.
    The backend is asked the target with its region ('pt-br': see target_tag); rows are
    compared, and counted, by its base language."""
    tag = target_tag(target)
    target = base_language(tag)
    langs = [base_language(lang) or UNKNOWN_LANGUAGE for lang in languages]
    report = TranslationReport(target)
    # an empty query is never sent: backends answered it with '' (counted as translated) or
    # None (no route), and neither was a translation
    empty = {i for i, query in enumerate(queries) if not str(query).strip()}
    todo = [i for i, lang in enumerate(langs) if lang != target and i not in empty]
    outputs = translator.translate([queries[i] for i in todo], [langs[i] for i in todo], tag)
    result: list[str | None] = list(queries)
    for i, out in zip(todo, outputs, strict=True):
        result[i] = out
    for i, lang in enumerate(langs):
        if i in empty:
            report.empty[lang] += 1
            result[i] = ""
        elif lang == target:
            report.passed_through[lang] += 1
        elif result[i] is None:
            report.no_route[lang] += 1
        else:
            report.translated[lang] += 1
            if result[i].strip().lower() == queries[i].strip().lower():
                report.unchanged[lang] += 1
    return result, report


def check_translate_paths(input_path: str | Path, output_path: str | Path,
                          table: str | Path | None = None, cache: str | Path | None = None,
                          overwrite: bool = False) -> None:
    """Every path checked before a translator opens (and creates) its cache: the output may be
    none of the files read (input, table, cache), and the cache none of the others nor lie in
    a folder shoprel wrote. The cache first: an existing file given as both output and cache
    was called 'the input file'. With `overwrite`, an existing output is replaced only if
    translate wrote it (translated_query, marked translated_by: rewrite.own_output_guard)."""
    if cache is not None:
        check_cache_path(cache, {"the input file": input_path, "the output file": output_path,
                                 "the translation table": table}, "--cache")
    check_output_file(output_path, reads=[p for p in (input_path, table, cache) if p],
                      overwrite=overwrite,
                      guard=own_output_guard([TRANSLATION_COLUMN], TRANSLATED_BY))


def check_cache_path(cache: str | Path, others: dict[str, str | Path | None],
                     option: str, out_dir: str | Path | None = None) -> None:
    """A translation cache (written to) is none of the files `others` names (by path or by
    inode, as an output is: a hard link to the input was called no translation cache), lies
    in a folder this process can write and in no folder shoprel wrote, nor is or lies in
    `out_dir` (the run being written: its cache would make the folder look taken, and
    --overwrite refuse it; the cache named as the run's own path was written there, and the
    run then failed in a traceback, its folder a file). The one rule for train's augment.cache
    and for the one a teacher's --nested refits write (distill)."""
    for what, other in others.items():
        if other is not None and same_file(cache, other):
            raise OutputError(f"{cache}: is {what}; {option} needs a file of its own")
    if out_dir is not None:
        out = Path(out_dir).expanduser().resolve()
        written = Path(cache).expanduser().resolve()
        if at_or_below(written, out):
            where = "is" if written == out else f"lies inside {out_dir},"
            raise OutputError(f"{cache}: {where} the run folder being written ({option}); keep "
                              "the cache outside it")
    check_parent(cache)
    check_outside_outputs(cache, then="writing there would change it; keep the cache "
                                      "outside it")


def translate_file_with(input_file: str | Path, out_file: str | Path, translator: Translator,
                        to: str = "en", overwrite: bool = False,
                        chunk_rows: int = CHUNK_ROWS) -> TranslationReport:
    """Write the input with translated_query added (empty where there is no route) and
    translated_by (`shoprel translate (BACKEND)` on every row), atomically and under the
    output's lock, by a translator already made (translate_file makes one by its backend's
    name, once the input is checked).

    Every other value is kept as read. An input's own translated_query and translated_by are
    replaced only on rows whose translated_by holds translate's own marker (a file it wrote,
    read again); a translated_by holding anything else, or a translated_query on a row without
    the marker (translations made by hand), is refused at its row before any work
    (rewrite.check_marker), not lost.
    Streamed as langid streams (augment.rewrite.rewrite_in_chunks): every row checked first,
    then `chunk_rows` rows at a time read again, translated and written, under one bar over
    all the rows (FileBar, drawn as the translator's `progress` says). Each distinct query is
    sent once per run (AskedOnce), however many rows and chunks repeat it.
    """
    return _translated_file(input_file, out_file, getattr(translator, "name", "a translator"),
                            contextlib.nullcontext(translator), to, overwrite, chunk_rows)


def _translated_file(input_file: str | Path, out_file: str | Path, name: str,
                     opening: contextlib.AbstractContextManager[Translator], to: str,
                     overwrite: bool, chunk_rows: int) -> TranslationReport:
    """translate_file_with's work, the translator `name`d in the marker and entered from
    `opening` once every row of the input is checked: a backend that loads a model (hf: a
    seq2seq model, seconds to minutes) or reads a table was made before a bad input was
    told."""
    report = TranslationReport(base_language(to), asked=canonical_tag(to))
    with rewrite_in_chunks(input_file, out_file, {TRANSLATION_COLUMN: ""}, TRANSLATED_BY,
                           name, overwrite, chunk_rows) as rewrite:
        _check_languages_given(rewrite.checked, input_file)
        with opening as translator:
            _translate_rows(rewrite, translator, report, input_file, out_file, to)
    return report


def _translate_rows(rewrite: Rewrite, translator: Translator, report: TranslationReport,
                    input_file: str | Path, out_file: str | Path, to: str) -> None:
    """The checked rows translated chunk by chunk and written (translate_file_with)."""
    asked_once = AskedOnce(translator)
    bar = FileBar(rewrite.checked.rows, report.asked_target,
                  getattr(translator, "progress", False),
                  getattr(translator, "progress_min", PROGRESS_MIN))

    def translated_chunks():
        for rows in rewrite.chunks():
            queries = rows.frame.df["query"].tolist()
            languages = rows.frame.df["language"].tolist()
            started_at = bar.done
            translations, chunk = translate_queries(queries, languages, asked_once, to)
            bar.chunk_done(started_at, len(queries))
            _count_cut(chunk, translator, queries, languages, translations)
            report.add(chunk)
            for record, text in zip(rows.records, translations, strict=True):
                record[TRANSLATION_COLUMN] = "" if text is None else text
            yield rows
        # all rows translated, none written yet: refused, the output never appears
        _check_some_route(report, input_file, getattr(translator, "name", None))

    try:
        with bar.shared():
            rewrite.write(translated_chunks())
        report.region_fallback = region_fallback(translator, report, to)
        report.unknown_sources, report.unknown_targets = unknown_tags(translator, report,
                                                                      input_file)
    except KeyboardInterrupt:
        if not getattr(translator, "stored", 0):
            raise
        raise Interrupted(f"interrupted: {out_file} was not written; the "
                          f"{translator.stored:,} translations made so far are kept in the "
                          f"cache {translator.path}, where the same command run again "
                          "finds them") from None


def region_fallback(translator: Translator, report: TranslationReport, target: str) -> str | None:
    """What a target with a region ('pt-BR') was translated into where the backend has no
    pair for that region: the base language ('pt'), said rather than passed off as pt-BR.
    Apertium says which of its translated rows' routes lacked the regional pair (es-pt_BR not
    installed), cached rows too; the other backends read no regions at all. None when every
    translated row reached the region, or the target names none."""
    if not target_region(target) or not report.totals["translated"]:
        return None
    return regional_fallback(translator, by_rows(report.translated), target)


def unknown_tags(translator: Translator, report: TranslationReport,
                 input_file: str | Path) -> tuple[list[str], list[str]]:
    """A table's source tags of no language that no row of the input has, and its target tags
    of no language but the one asked, one line each (TableTranslator.unknown_sources and
    unknown_targets); none for the backends that read no table."""
    backend = getattr(translator, "inner", translator)  # under a cache or a progress bar
    if getattr(backend, "unknown_sources", None) is None:
        return [], []
    languages = {*report.translated, *report.passed_through, *report.no_route, *report.empty}
    return (backend.unknown_sources(languages, input_file),
            backend.unknown_targets(report.asked_target))


def regional_fallback(translator: Translator, sources: list[str], target: str,
                      done: bool = True) -> str | None:
    """region_fallback for rows of these source languages, e.g. serve's at start-up for the
    languages its run trained on (`done` False: "are translated", of rows still to come)."""
    if not target_region(target):
        return None
    wanted, base = canonical_tag(target), base_language(target)
    verb = "were translated" if done else "are translated"
    backend = getattr(translator, "inner", translator)  # under a cache or a progress bar
    unmet_region = getattr(backend, "unmet_region", None)
    if unmet_region is None:
        return (f"the {getattr(translator, 'name', 'translation')} backend has no "
                f"regional variants: rows {verb} into {base}, not {wanted}")
    unmet = {}  # the pair used -> the regional pair that was not installed, per source
    for lang in sources:
        used = unmet_region(lang, target)
        if used is not None:
            unmet.setdefault(used, []).append(lang)
    if not unmet:
        return None
    said = "; ".join(f"from {', '.join(langs)} by {used}" for used, langs in unmet.items())
    missing = ", ".join(f"{used}_{wanted.partition('-')[2]}" for used in unmet)
    return (f"no Apertium pair into {wanted} ({missing} not installed; `apertium -l` "
            f"lists the pairs): rows {said} {verb} into {base}")


def _check_languages_given(checked: CheckedFile, input_path: str | Path) -> None:
    """Each query's source language is a column of the file (absent from some rows at most)."""
    if "language" not in checked.columns.names:
        raise InputError("missing required column (the source language of each query)",
                         path=input_path, line=column_line(input_path, checked.first_line),
                         field="language", line_label=position_label(input_path))


def _count_cut(report: TranslationReport, translator: Translator, queries: list[str],
               languages: list[str], translations: list[str | None]) -> None:
    """Count the translated queries a model backend read only the start of (hf: the tokens
    past its input length are dropped), cached ones too: a rerun's file holds the same cut
    translations. Backends that read whole texts have no `count_cut`."""
    backend = getattr(translator, "inner", translator)  # under a cache or a progress bar
    count_cut = getattr(backend, "count_cut", None)
    if count_cut is None:
        return
    sent = [str(query) for query, lang, out in zip(queries, languages, translations, strict=True)
            if out is not None and str(query).strip()
            and (base_language(lang) or "unk") != report.target]
    report.cut += count_cut(sent, report.target)
    report.input_tokens = backend.max_input_tokens


# options only one backend reads: the argument, its option, and that backend
BACKEND_OPTIONS = (("table", "--table", "table"), ("model", "--model", "hf"),
                   ("beams", "--beams", "hf"), ("device", "--device", "hf"))


def translate_file(input_file: str | Path, out_file: str | Path, to: str = "en",
                   backend: str = "apertium", cache: str | Path | None = None,
                   table: str | Path | None = None, model: str | Path | None = None,
                   beams: int | None = None, device: str | None = None,
                   overwrite: bool = False, progress: bool | None = None) -> TranslationReport:
    """`shoprel translate` and `shoprel.translate_file` (which checks its Python arguments and
    calls this, its parameters the same): the backend built by name (with its cache), the file
    translated, the backend closed. An option another backend reads is refused when given (not
    None): `--table t.csv` without `--backend table` translated with Apertium, and the user
    took it for their table. Every path, then every row of the input, is checked before the
    translator is made (an hf model loaded, a table read, the cache made), and a cache file
    the command created is taken away again when it fails having stored nothing in it (a
    refused table, a target no row has a route to)."""
    if backend not in BACKENDS:
        raise ConfigError(f"--backend: {backend!r}; use one of {', '.join(BACKENDS)}")
    # 'pt-BR' is counted as 'pt', and translated into pt-BR where the backend has the pair
    target = check_target_language(to)
    given = {"table": table, "model": model, "beams": beams, "device": device}
    for name, option, owner in BACKEND_OPTIONS:
        if owner != backend and given[name] is not None:
            raise ConfigError(f"{option}: only read by --backend {owner} (this command "
                              f"translates with --backend {backend})")
    check_translate_paths(input_file, out_file, table, cache, overwrite)
    options = {key: value for key, value in (("num_beams", beams), ("device", device))
               if value is not None}
    # the translator (its model, its table, its cache) is made once every row of the input
    # is checked; a cache it creates is taken away again if it fails having stored nothing
    return _translated_file(input_file, out_file, backend, closing_translator(
        lambda: make_translator(backend, cache=cache, table=table, model=model,
                                progress=progress, **options), cache),
        target, overwrite, CHUNK_ROWS)


NO_ROUTE_HINTS = {  # where to look, per backend: Apertium's advice misled a table's user
    "apertium": "or a pair the backend lacks? `apertium -l` lists Apertium's pairs",
    "table": "or a table with no row from these languages to it? (its source and target "
             "columns)",
}


def _check_some_route(report: TranslationReport, input_path: str | Path,
                      backend: str | None = None) -> None:
    """Refuse a target no row reaches: every row would get an empty translation. The
    languages named are the file's tags; untagged rows are counted apart ('unk' is no
    language, and a file with no tag at all is told so, not that its code was mistyped)."""
    totals = report.totals
    if not totals["no_route"] or totals["translated"] or totals["passed_through"]:
        return
    untagged = report.no_route[UNKNOWN_LANGUAGE]
    sources = [lang for lang in by_rows(report.no_route) if lang != UNKNOWN_LANGUAGE]
    if not sources:
        raise ConfigError(f"to {report.asked_target!r}: no row of {input_path} has a language tag, "
                          "so none has a language to translate from; nothing written (give "
                          "each row its language in the 'language' column)")
    if untagged:
        sources.append(f"and {untagged} {'row' if untagged == 1 else 'rows'} with no "
                       "language tag")
    hint = NO_ROUTE_HINTS.get(backend, "or a pair the backend lacks?")
    raise ConfigError(f"to {report.asked_target!r}: no route leads there from any language of "
                      f"{input_path} ({', '.join(sources)}); nothing written (a mistyped code, "
                      f"{hint})")

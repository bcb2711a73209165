"""Translated queries for a served run whose models read "{query} - {translation}".

A run trained on two-language rows (a `translated_query` column) scores best on the same kind
of rows. A pair may bring its own `translated_query`; for one that does not, the run's recorded
translator (config.yaml `data.translator`, how the training file was translated) makes one,
through its SQLite cache when it has one (or the one `serve --translator-cache` names instead)
and a small in-memory cache otherwise. Without a
recorded translator, or where it has no route, the pair is scored on its bare query: the
response counts such pairs (`bare_queries`) and the server logs it. A run whose config.yaml is
gone is not served: whether it had a translator cannot be told.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from shoprel.errors import ConfigError, InputError, RunDirError, ShoprelError
from shoprel.predict.cascade import CascadePredictor
from shoprel.predict.predictor import reads_translation

log = logging.getLogger("shoprel.serve")
MEMORY_ENTRIES = 50_000  # translations kept in memory when the translator has no cache file


class RegionFallbackWarning(UserWarning):
    """create_app's warning (`shoprel serve` prints it as a `warning:` line instead): the
    recorded translator lacks the regional pair it is asked for, so queries are translated
    into the base language (es-pt for pt-PT), unlike what the run's record names."""


def _served_runs(predictor) -> list:
    """The runs that score: the run, or a cascade's student and full run, student first."""
    if isinstance(predictor, CascadePredictor):
        return [predictor.student.run, predictor.full.run]
    return [predictor.run]


def served_tags(predictor) -> list[str]:
    """The tags whose queries the served runs trained on (Predictor.trained_tags: the
    training languages and augment.translate's copies, {it: es} making 'it'), a cascade's
    student's and full run's both: the sources whose routes into the recorded target serve
    checks at start-up. The training languages alone missed a language the run trained on
    only as copies, whose queries serve translates too."""
    scoring = ([predictor.student, predictor.full] if isinstance(predictor, CascadePredictor)
               else [predictor])
    return sorted({tag for one in scoring for tag in one.trained_tags or ()})


def _recorded_translator(predictor):
    """(the data.translator of the run, or of its members', which must agree; the config.yaml
    that records it), else (None, None). An ensemble's own config.yaml records its combination,
    not a run config: its members' (theirs too, for an ensemble of ensembles) are read; a
    cascade's student is read as well as its full run. Only runs whose models read
    translations count: a member trained on bare queries ignores them
    (predict/translators.py, which predict's refusal of a mix shares).

    A run whose models read translations but whose config.yaml is gone cannot say whether it
    had a translator: rather than score its pairs bare as if it recorded none, this refuses."""
    from shoprel.predict.translators import refuse_a_mix, translation_records

    records, unrecorded = translation_records(_served_runs(predictor))
    if unrecorded is not None:
        raise RunDirError(f"{unrecorded}: missing; the run's models read translated queries "
                          "and only this file says which translator makes them for pairs sent "
                          "without a translated_query (data.translator): put it back")
    # one translation per pair reaches all of them, so all but one would read queries unlike
    # their training rows. Runs recording none read whichever the others record, as before
    refuse_a_mix(predictor.run.path, records, "serve makes one translation of a pair for all "
                 "of them: serve the runs apart")
    return records[0] if records else (None, None)


def check_recorded_cache(cache: str, table: str | None, recorded_in) -> None:
    """The recorded translator's SQLite cache, which serve creates and writes, is checked as
    `translate --cache` and augment.cache are (check_cache_path), at start-up, before it is
    made: one inside a run (the served one or another) or any other folder shoprel wrote
    became a file there that shoprel's stamp does not list, and that run's next `train
    --overwrite` was refused ('holds serve.sqlite, which shoprel did not write there'). Said at
    the line of `recorded_in` (the config.yaml recording it), with the way out that leaves the
    run as it is: `serve --translator-cache`, a cache elsewhere."""
    from shoprel.augment.translate_file import check_cache_path
    from shoprel.training.config_reading import located

    try:
        check_cache_path(cache, {"the translation table": table}, "data.translator.cache")
    except ShoprelError as exc:
        raise located(ConfigError(f"data.translator.cache (serve writes the translations of "
                                  f"new queries there): {exc} (or give serve --translator-cache "
                                  "FILE, a cache elsewhere)"), recorded_in) from None


def check_given_cache(cache: str, table: str | None) -> None:
    """`serve --translator-cache`, used in place of the run's recorded cache, is checked as
    `translate --cache` is (check_cache_path), in the option's words."""
    from shoprel.augment.translate_file import check_cache_path

    check_cache_path(cache, {"the translation table": table}, "--translator-cache")


def unused_cache(wanted: bool) -> ConfigError:
    """`serve --translator-cache` for a run serve makes no translations for: refused, not
    ignored, as it would read as applied."""
    why = ("the run's models read no translated queries" if not wanted else
           "the run records no translator (config.yaml data.translator)")
    return ConfigError(f"--translator-cache: {why}, so serve makes no translations; leave the "
                       "option out")


class QueryTranslation:
    """fill(rows, given) -> (rows as the run's models want them, pairs scored bare)."""

    def __init__(self, predictor, translator=None, target: str = "en",
                 cache: str | None = None):
        self.wanted = reads_translation(predictor)
        self.recorded, self.recorded_in = (_recorded_translator(predictor) if self.wanted
                                           else (None, None))
        if cache is not None and self.recorded is None:
            raise unused_cache(self.wanted)
        self.cache = cache  # serve --translator-cache: in place of the recorded one
        # asked as the training file was: 'pt' for a run translated before regional pairs
        self.target = self.recorded.asked if self.recorded is not None else target
        self._translator = translator  # given (tests) or built here, from the run's record
        self._memory: OrderedDict[tuple[str, str], str | None] = OrderedDict()
        # one thread: the translator (and its SQLite cache) is made and used on it alone
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="translate")
        # what the recorded translator gives instead of a region it lacks (es-pt for es-pt_BR
        # not installed), as `translate` warns: said once at start-up (run_server), since
        # each request would otherwise be translated into the base language without a word
        self.region_fallback: str | None = None
        if self._translator is None and self.recorded is not None:
            try:  # at start-up: one it cannot make is one error line, not a 500 per request
                self._thread.submit(self._make_recorded).result()
                self.region_fallback = self._thread.submit(
                    self._fallback, served_tags(predictor)).result()
            except BaseException:
                self.close()
                raise

    @property
    def can_translate(self) -> bool:
        return self._translator is not None or self.recorded is not None

    def _make_recorded(self) -> None:
        """The run's recorded translator; an error names the config.yaml line recording it."""
        from shoprel.augment.backends import make_translator
        from shoprel.training.config_reading import located

        r = self.recorded
        if self.cache is not None:
            check_given_cache(self.cache, r.table)
        elif r.cache is not None:
            check_recorded_cache(r.cache, r.table, self.recorded_in)
        try:
            self._translator = make_translator(r.backend, cache=self.cache or r.cache,
                                               table=r.table, model=r.model, progress=False)
        except ShoprelError as exc:
            if self.cache is not None and isinstance(exc, InputError) and exc.path is not None \
                    and Path(exc.path) == Path(self.cache):
                raise  # the --translator-cache file is at fault, not the config.yaml line
            raise located(ConfigError(
                f"data.translator: serve cannot make the run's translator ({exc}); it "
                "translates the queries sent without a translated_query"),
                self.recorded_in) from None

    def _fallback(self, sources: list[str]) -> str | None:
        """regional_fallback of these sources (served_tags) into the target asked."""
        from shoprel.augment.translate_file import regional_fallback

        return regional_fallback(self._translator, sources, self.target, done=False)

    def _translate(self, queries: list[str], languages: list[str]) -> list[str | None]:
        from shoprel.augment.translate_file import translate_queries

        keys = list(zip(queries, languages, strict=True))
        todo = list(dict.fromkeys(k for k in keys if k not in self._memory))
        if todo:
            made, _ = translate_queries([q for q, _ in todo], [lang for _, lang in todo],
                                        self._translator, self.target)
            for key, text in zip(todo, made, strict=True):
                self._memory[key] = text
            while len(self._memory) > MEMORY_ENTRIES:
                self._memory.popitem(last=False)
        return [self._memory[k] for k in keys]

    async def fill(self, queries: list[str], languages: list[str],
                   given: list[str | None]) -> tuple[list[str] | None, int]:
        """Each pair's translated query when the run reads one (None when it does not: no
        column is added); how many pairs got none. Lists, not a frame: the frame is built in
        the scoring thread (app.py's queued_rows says why)."""
        if not self.wanted:
            return None, 0
        # a blank translation is none, as predict reads an empty translated_query cell: it was
        # scored on the bare query (translated by nobody) and left out of bare_queries
        translations = [t if t is None or t.strip() else None for t in given]
        missing = [i for i, t in enumerate(translations) if t is None]
        if missing and self.can_translate:
            made = await asyncio.get_running_loop().run_in_executor(
                self._thread, self._translate, [queries[i] for i in missing],
                [languages[i] for i in missing])
            for i, text in zip(missing, made, strict=True):
                translations[i] = text
        bare = sum(t is None for t in translations)
        if bare:
            log.warning("scored %d of %d pairs on bare queries: the run was trained on "
                        "translated queries and %s", bare, len(queries),
                        "its translator had no route for them" if self.can_translate else
                        "the request sent no translated_query and the run records no "
                        "translator (config.yaml data.translator)")
        return ["" if t is None else t for t in translations], bare

    def close(self) -> None:
        self._thread.shutdown(wait=False)

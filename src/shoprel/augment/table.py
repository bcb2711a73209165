"""Translations someone already made (an LLM, a human, a shared file), served as a backend."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

from shoprel.augment.translator import check_batch, is_language_tag
from shoprel.data.language_tags import base_language, known_base
from shoprel.data.records import column_line, iter_records, position_label, written_kind
from shoprel.data.run_folder_input import refuse_run_folder
from shoprel.data.validate import unwritable_reason
from shoprel.errors import InputError

TABLE_COLUMNS = ("text", "source", "target", "translation")
# what a run folder given as the table is told (it holds none; "a pairs file" named the wrong one)
TABLE_FILE = "a translations table"
TABLE_ADVICE = ("give a file of text, source, target and translation columns (JSON lines, CSV, "
                "TSV or Parquet)")


class TableTranslator:
    """Looks up (text, source, target) in a CSV/TSV/JSONL/Parquet file; None when absent."""

    name = "table"

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.table: dict[tuple[str, str, str], str] = {}
        first: dict[tuple[str, str, str], int] = {}
        # per source and per target language (its base): the first line with it, and its rows
        self.sources: dict[str, tuple[int, int]] = {}
        self.targets: dict[str, tuple[int, int]] = {}
        refuse_run_folder(self.path, TABLE_FILE, TABLE_ADVICE)
        label = self.line_label = position_label(self.path)  # "line", or "row" in a Parquet file
        for line, record in iter_records(self.path):
            for column in TABLE_COLUMNS:
                if column not in record:
                    raise InputError("missing required column", path=self.path,
                                     line=column_line(self.path, line), field=column,
                                     line_label=label)
                if not isinstance(record[column], str):
                    raise InputError(f"{written_kind(record[column])} is not a text",
                                     path=self.path, line=line, field=column,
                                     line_label=label)
                # a NUL or lone surrogate would reach the output: unwritable, or refused there
                reason = unwritable_reason(record[column])
                if reason is not None:
                    raise InputError(reason, path=self.path, line=line, field=column,
                                     line_label=label)
            for column in ("source", "target"):  # else the row matched nothing, silently
                if not is_language_tag(record[column]):
                    raise InputError(f"{record[column]!r} is not a language tag (two or three "
                                     "letters, e.g. 'es', 'pt-BR'); this row would translate "
                                     "no query", path=self.path, line=line, field=column,
                                     line_label=label)
            if not record["text"].strip():  # no query is blank: it matched nothing, unsaid
                raise InputError("empty text; this row would translate no query: give the query "
                                 "it translates, or leave the row out", path=self.path,
                                 line=line, field="text", line_label=label)
            key = (record["text"], base_language(record["source"]),
                   base_language(record["target"]))
            translation = record["translation"].strip()
            if not translation:  # else its text was counted "no route", the table's mistake unsaid
                raise InputError("empty translation; give the text's translation, or leave the "
                                 "row out where there is none", path=self.path, line=line,
                                 field="translation", line_label=label)
            if key in first and self.table[key] != translation:
                raise InputError(f"conflicting translation ({label} {first[key]} differs)",
                                 path=self.path, line=line, field="translation",
                                 line_label=label)
            first.setdefault(key, line)
            self.table[key] = translation
            for tags, tag in ((self.sources, key[1]), (self.targets, key[2])):
                first_line, rows = tags.get(tag, (line, 0))
                tags[tag] = (first_line, rows + 1)
        if not first:
            raise InputError(f"holds no translations (expected rows with "
                             f"{', '.join(TABLE_COLUMNS)})", path=self.path)
        # The cache must not mix two different tables under one name.
        self.model = hashlib.sha256(self.path.read_bytes()).hexdigest()[:16]

    def translate(self, texts: list[str], source_langs: list[str], target: str
                  ) -> list[str | None]:
        check_batch(texts, source_langs)
        target = base_language(target)
        return [self.table.get((t, base_language(s), target)) for t, s in
                zip(texts, source_langs, strict=True)]

    def unknown_sources(self, languages: Iterable[str], input_path: str | Path) -> list[str]:
        """One line per source tag of the table that names no language (known_base: 'xx', or
        'sp' meant as 'es') and no row of the input (of these `languages`) is tagged: its rows
        translated none of its queries, silently. Said at its first line, not refused: the
        table may serve another file that uses the tag, and the rows it did translate stand.
        A language the input lacks ('de' for a file of es rows) is the table's to carry."""
        given = {base_language(lang) for lang in languages}
        return self._unknown(self.sources, "source", given,
                             f"no row of {input_path} is tagged so")

    def unknown_targets(self, target: str) -> list[str]:
        """One line per target tag of the table that names no language ('xx', or 'us' meant
        as 'en') and is not `target`, the one asked: its rows translated no query, silently
        (their sources' rows counted as no route, with no word of why). Not refused, as above:
        the table may serve a translation asked into that tag."""
        return self._unknown(self.targets, "target", {base_language(target)},
                             f"the translations asked were into {target!r}")

    def _unknown(self, tags: dict[str, tuple[int, int]], field: str, used: set[str],
                 why: str) -> list[str]:
        """The lines above: each of `tags` that names no language and is not `used`."""
        lines = []
        for tag, (line, rows) in tags.items():
            if known_base(tag) or tag in used:
                continue
            them = "its row" if rows == 1 else f"its {rows} rows"
            lines.append(str(InputError(
                f"{tag!r} names no language (ISO 639-1 codes such as es, pt, ja) and {why}: "
                f"{them} translated no query", path=self.path, line=line, field=field,
                line_label=self.line_label)))
        return lines

"""Write the small, hand-made demo dataset that ships inside ``shoprel``.

The rows are built from the hand-written lexicon in ``demo_lexicon.json`` beside this script
(product concepts with their category paths, search queries in several languages and
AliExpress-like item titles). They are illustrative only: they are NOT competition data and
say nothing about real model quality.

Outputs (under ``src/shoprel/data/demo/`` unless ``--out-dir`` is given):

* ``qc_demo.jsonl``  query vs category path
* ``qi_demo.jsonl``  query vs item title
* ``README.md``      description and row counts

Standard library only, and deterministic: running it twice writes byte-identical files.

    python scripts/make_demo_data.py [--out-dir DIR]
"""

from __future__ import annotations

import argparse
import json
import random
import re
from collections import Counter
from pathlib import Path

SEED = 20250801
DEFAULT_OUT = Path(__file__).resolve().parents[1] / "src" / "shoprel" / "data" / "demo"

QC_LANGUAGES = ["en", "es", "fr", "pt", "de", "it", "ja", "ko"]
QI_LANGUAGES = [*QC_LANGUAGES, "th"]

# Rows per language: (positives, hard negatives, easy negatives).
QC_PLAN = {lang: (30, 5, 10) for lang in QC_LANGUAGES}
QI_PLAN = {lang: (28, 5, 9) for lang in QC_LANGUAGES} | {"th": (16, 3, 5)}

# Chance that a QC positive uses one of the concept's other relevant paths ("alt"), if any.
P_ALT_PATH = 0.35

# Positives per language: two queries from each of this many concepts, then one per concept.
N_DOUBLE = 8

# Chance that a row uses an item title written in the query's language (when one exists),
# for positives and for easy negatives alike, so "same language" is no shortcut to the label.
P_LOCAL_TITLE = 0.4


# The hand-written lexicon: product concepts with their category paths, queries per language,
# item titles and near misses (its "fields" entry says what each key holds). Concepts whose
# paths share their first two levels (else their first level) are also used as hard negatives
# for each other.
LEXICON = Path(__file__).resolve().with_name("demo_lexicon.json")


def load_concepts(path: Path = LEXICON) -> list[dict]:
    """The lexicon's concepts, in file order (sections are for reading only)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    return [concept for section in data["sections"] for concept in section["concepts"]]


CONCEPTS: list[dict] = load_concepts()


# ---------------------------------------------------------------------------------------------
# Row building
# ---------------------------------------------------------------------------------------------

_LEVEL_SEPARATOR = re.compile(r",(?! )")


def levels(path: str) -> list[str]:
    return _LEVEL_SEPARATOR.split(path)


def top(path: str) -> str:
    return levels(path)[0]


def siblings(concept: dict, depth: int) -> list[dict]:
    """Other concepts whose path shares the first ``depth`` levels with this one's."""
    head = levels(concept["path"])[:depth]
    return [
        other
        for other in CONCEPTS
        if other["key"] != concept["key"] and levels(other["path"])[:depth] == head
    ]


def hard_paths(concept: dict) -> list[str]:
    """Near-miss category paths: siblings under the same two (else one) top levels."""
    close = siblings(concept, 2) or siblings(concept, 1)
    return [other["path"] for other in close] + concept.get("hard", [])


def hard_titles(concept: dict, lang: str) -> list[str]:
    """Near-miss titles: the concept's own look-alikes plus titles of two-level siblings."""
    titles = list(concept["near"])
    for other in siblings(concept, 2):
        titles.extend(other["en"][:1])
        titles.extend(other.get("loc", {}).get(lang, []))
    return titles


def unrelated(concept: dict) -> list[dict]:
    """Concepts under another top-level category and not marked as too close."""
    avoid = set(concept.get("avoid", []))
    return [
        other
        for other in CONCEPTS
        if top(other["path"]) != top(concept["path"])
        and other["key"] not in avoid
        and concept["key"] not in other.get("avoid", [])
    ]


def pick_title(rng: random.Random, concept: dict, lang: str) -> str:
    local = concept.get("loc", {}).get(lang, [])
    if local and rng.random() < P_LOCAL_TITLE:
        return rng.choice(local)
    return rng.choice(concept["en"])


def concept_order(rng: random.Random) -> list[dict]:
    """All concepts, grouped by top-level category (groups and members in shuffled order)."""
    tops = sorted({top(c["path"]) for c in CONCEPTS})
    rng.shuffle(tops)
    order = []
    for name in tops:
        members = [c for c in CONCEPTS if top(c["path"]) == name]
        rng.shuffle(members)
        order.extend(members)
    return order


def positive_pairs(
    order: list[dict], lang_index: int, n_languages: int, lang: str
) -> list[tuple[dict, str]]:
    """(concept, query) pairs to use as positives in one language.

    Each language starts at its own place in the grouped concept order (so, over all languages,
    every concept gets positives in several languages), takes two queries from each of its
    first N_DOUBLE concepts, then one query from each following concept.
    """
    start = lang_index * len(order) // n_languages
    rotated = order[start:] + order[:start]
    pairs = []
    for rank, concept in enumerate(c for c in rotated if c["q"].get(lang)):
        queries = concept["q"][lang][: 2 if rank < N_DOUBLE else 1]
        pairs.extend((concept, query) for query in queries)
    return pairs


def all_pairs(lang: str) -> list[tuple[dict, str]]:
    return [(c, q) for c in CONCEPTS for q in c["q"].get(lang, [])]


def build(task: str, plan: dict[str, tuple[int, int, int]], rng: random.Random) -> list[dict]:
    target_key = "category_path" if task == "QC" else "item_title"
    rows: list[dict] = []
    seen: set[tuple[str, str]] = set()

    def add(lang: str, query: str, target: str, label: int) -> bool:
        if (query, target) in seen:
            return False
        seen.add((query, target))
        rows.append(
            {
                "task": task,
                "language": lang,
                "origin_query": query,
                target_key: target,
                "label": label,
            }
        )
        return True

    order = concept_order(rng)
    for lang_index, (lang, (n_pos, n_hard, n_easy)) in enumerate(plan.items()):
        # Positives: a window of concepts, a few of them with two queries.
        made = 0
        for concept, query in positive_pairs(order, lang_index, len(plan), lang):
            if made == n_pos:
                break
            if task == "QI":
                target = pick_title(rng, concept, lang)
            elif concept.get("alt") and rng.random() < P_ALT_PATH:
                target = rng.choice(concept["alt"])
            else:
                target = concept["path"]
            made += add(lang, query, target, 1)

        # Hard negatives: sibling category / near-miss title of the query's own concept.
        shuffled = all_pairs(lang)
        rng.shuffle(shuffled)
        made = 0
        for concept, query in shuffled:
            if made == n_hard:
                break
            pool = hard_paths(concept) if task == "QC" else hard_titles(concept, lang)
            made += add(lang, query, rng.choice(pool), 0)

        # Easy negatives: a product from another top-level category.
        rng.shuffle(shuffled)
        made = 0
        for concept, query in shuffled:
            if made == n_easy:
                break
            other = rng.choice(unrelated(concept))
            target = other["path"] if task == "QC" else pick_title(rng, other, lang)
            made += add(lang, query, target, 0)

    rng.shuffle(rows)
    return [{"id": i, **row} for i, row in enumerate(rows, start=1)]


# ---------------------------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------------------------


def write_jsonl(path: Path, rows: list[dict]) -> None:
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")


def count_table(rows: list[dict], languages: list[str]) -> str:
    counts = Counter((row["language"], row["label"]) for row in rows)
    lines = ["| language | label 1 | label 0 | total |", "|---|---:|---:|---:|"]
    for lang in languages:
        pos, neg = counts[(lang, 1)], counts[(lang, 0)]
        lines.append(f"| {lang} | {pos} | {neg} | {pos + neg} |")
    pos = sum(row["label"] for row in rows)
    lines.append(f"| **all** | {pos} | {len(rows) - pos} | {len(rows)} |")
    return "\n".join(lines)


def readme(qc: list[dict], qi: list[dict]) -> str:
    tops = sorted({top(c["path"]) for c in CONCEPTS})
    n_comma_rows = sum(1 for row in qc if any(", " in lv for lv in levels(row["category_path"])))

    def rate(rows: list[dict]) -> str:
        return f"{100 * sum(r['label'] for r in rows) / len(rows):.1f}%"

    def example(rows: list[dict]) -> str:
        return json.dumps(min(rows, key=lambda r: r["id"]), ensure_ascii=False)

    return f"""# Demo data (hand-made, illustrative)

**These files are NOT competition data.** They were written by hand for this package so that
examples, tests and smoke runs have something small to work on. They do not come from the
CIKM 2025 AnalytiCup / AliExpress release, and scores measured on them say **nothing** about
how well a model works on real data. Do not use them to compare models or tune anything.

| file | task | rows | positive rate |
|---|---|---:|---:|
| `qc_demo.jsonl` | QC: query vs category path | {len(qc)} | {rate(qc)} |
| `qi_demo.jsonl` | QI: query vs item title | {len(qi)} | {rate(qi)} |

## How it was made

Generated by `scripts/make_demo_data.py` (standard library only, fixed random seed
{SEED}; running it again writes byte-identical files, including this README). The script holds
a hand-written lexicon of {len(CONCEPTS)} product concepts under {len(tops)} top-level
categories. Each concept has a category path, short search queries in each language (some
with brand names or model numbers, some misspelled the way shoppers type), AliExpress-style
item titles (mostly English, some in the query's language) and near-miss titles.

Rows are drawn per language:

* **positives**: a query with its own concept's category path (QC; sometimes another path
  where the product is also sold, e.g. a car phone holder under
  `phones & telecommunications,...,phone holders & stands`) or one of its titles (QI);
* **hard negatives** (about a third of the negatives): a sibling category under the same top
  levels (e.g. `iphone 15 case` vs `...,mobile phone accessories,screen protectors`) or a
  near-miss title (a screen protector, a cable, an accessory of the product...);
* **easy negatives**: a category or title from a different top-level category.

Rows are shuffled with the fixed seed; ids run 1..N within each file. No (query, target) pair
appears twice. Concepts that share their first two category levels (e.g. several
`automobiles, parts & accessories,...` paths) and queries for the same concept in several
languages give some cross-category and cross-lingual signal; a simple character n-gram model
learns something, but is far from perfect.

Top-level categories: {", ".join(f"`{t}`" for t in tops)}.

## Format

JSON lines, UTF-8, one object per line, keys in this order:

```
{example(qc)}
{example(qi)}
```

* `language`: `en`, `es`, `fr`, `pt`, `de`, `it`, `ja`, `ko` (both tasks) and `th` (QI only).
* `category_path`: lowercase English levels joined by `,` with **no** space; a level name may
  itself contain `, ` (comma + space), e.g.
  `automobiles, parts & accessories,car wash & maintenance,sponges, cloths & brushes` has
  three levels. {n_comma_rows} QC rows have such a path.
* `label`: 1 = relevant, 0 = not relevant.

## Row counts

### QC (`qc_demo.jsonl`)

{count_table(qc, QC_LANGUAGES)}

### QI (`qi_demo.jsonl`)

{count_table(qi, QI_LANGUAGES)}
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out-dir", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()

    qc = build("QC", QC_PLAN, random.Random(SEED))
    qi = build("QI", QI_PLAN, random.Random(SEED + 1))

    args.out_dir.mkdir(parents=True, exist_ok=True)
    write_jsonl(args.out_dir / "qc_demo.jsonl", qc)
    write_jsonl(args.out_dir / "qi_demo.jsonl", qi)
    (args.out_dir / "README.md").write_text(readme(qc, qi), encoding="utf-8", newline="\n")
    print(f"wrote {len(qc)} QC rows and {len(qi)} QI rows to {args.out_dir}")


if __name__ == "__main__":
    main()

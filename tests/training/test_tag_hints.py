"""Training rows tagged with a country code that is also a language's get predict's hint, and
rows tagged with no language code a note."""

import json
from collections import Counter

import pytest

import shoprel
from shoprel.demo import demo_file
from shoprel.training.tag_hints import training_tag_hints, unknown_tags_note

pytestmark = pytest.mark.usefixtures("no_report_charts")


def test_one_hint_per_language_with_its_rows_and_tags():
    languages = ["br", "se", "es", "br", "kr", "pt-BR", "se-SE", "se", "ko"]
    assert training_tag_hints(languages, "t.jsonl") == [
        "hint: t.jsonl tags 3 rows se, se-SE: 'se' is Northern Sami; Swedish is 'sv'",
        "hint: t.jsonl tags 2 rows br: 'br' is Breton; Brazilian Portuguese is 'pt-BR'",
        "hint: t.jsonl tags 1 row kr: 'kr' is Kanuri; Korean is 'ko'"]
    assert training_tag_hints(["ko", "sv", "pt-BR", "unk"], "t.jsonl") == []


@pytest.mark.parametrize("progress", [True, False])
def test_the_python_api_gives_the_hint_with_its_progress(tmp_path, capsys, progress):
    """shoprel.train said nothing of rows tagged kr; it says predict's hint on stderr, where
    its bars go, and progress=False silences both."""
    rows = [json.loads(line) for line in
            demo_file("QC").read_text(encoding="utf-8").splitlines()[:60]]
    for row in rows:
        row["language"] = "kr" if row["language"] == "ko" else row["language"]
    data = tmp_path / "d.jsonl"
    data.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                    encoding="utf-8")
    shoprel.train(data, tmp_path / "run", {"model.family": "fast", "folds.k": 2,
                                           "model.params.n_features": 4096,
                                           "model.params.n_estimators": 10,
                                           "model.params.n_jobs": 1}, progress=progress)
    said = capsys.readouterr()
    hints = [line for line in said.err.replace("\r", "\n").splitlines() if "Kanuri" in line]
    assert hints == ([f"hint: {data} tags 10 rows kr: 'kr' is Kanuri; Korean is 'ko'"]
                     if progress else [])
    assert "Kanuri" not in said.out


def test_tags_of_no_language_code_are_counted_in_one_note():
    """'xx' trained as a language of its own without a word; tags whose base is an ISO 639-1
    code or three letters (ISO 639-2/3), region or script aside, are languages, and untagged
    rows ('unk') are no tag."""
    languages = ["xx", "es", "mixed", "xx", "xx-YY", "pt-BR", "fil", "yue", "iw", "unk", "kr",
                 "zh-Hant", "q1"]
    assert unknown_tags_note(Counter(languages), "t.jsonl") == (
        "note: t.jsonl tags 5 rows with no language code (xx 2, mixed 1, q1 1, xx-YY 1): each "
        "tag is trained as a language of its own; write ISO 639 codes ('en', 'pt-BR') where "
        "they are languages")
    assert unknown_tags_note({"xx": 1}, "t.jsonl").startswith("note: t.jsonl tags 1 row with ")
    assert unknown_tags_note({f"x{i}": 1 for i in range(10)}, "t.jsonl").count(", ...)") == 1
    assert unknown_tags_note(Counter(["en", "ko", "sh", "unk", "ast"]), "t.jsonl") is None
    # predict's note on a file it scored: the same counts, its own verb
    assert unknown_tags_note({"en": 40, "xx": 1_200, "mixed": 0}, "in.jsonl", "scored") == (
        "note: in.jsonl tags 1,200 rows with no language code (xx 1,200): each tag is scored "
        "as a language of its own; write ISO 639 codes ('en', 'pt-BR') where they are "
        "languages")

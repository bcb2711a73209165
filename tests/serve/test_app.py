import asyncio
import io
import json
import re
import sys

import httpx
import numpy as np
import pytest
from prometheus_client.parser import text_string_to_metric_families

from shoprel.data.readers import read_pairs
from shoprel.predict.predictor import Predictor
from shoprel.serve import ServeSettings, create_app

TEST_PAIRS_LIMIT = 400
TEXT_LIMIT = 500


def _pairs(frame, target="category_path", with_language=True):
    out = []
    for row in frame.df.itertuples():
        pair = {"id": row.id, "query": row.query, target: row.target}
        if with_language:
            pair["language"] = row.language
        out.append(pair)
    return out


def _metric(client, name: str, **labels) -> float:
    text = client.get("/metrics").text
    total = 0.0
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                total += sample.value
    return total


def test_scores_equal_predictor(client, qc_run, qc_demo):
    frame = read_pairs(qc_demo)
    predictor = Predictor(qc_run)
    expected = predictor.probabilities(frame)
    results = []
    for start in range(0, len(frame), 150):
        r = client.post("/v1/score", json={"pairs": _pairs(frame.take(range(start, min(
            start + 150, len(frame)))))})
        assert r.status_code == 200, r.text
        body = r.json()
        results += body["results"]
    assert [r["id"] for r in results] == frame.df["id"].tolist()
    got = np.array([r["probability"] for r in results])
    assert np.abs(got - expected).max() < 1e-9
    assert [r["label"] for r in results] == (expected >= predictor.threshold).astype(int).tolist()
    assert body["threshold"] == pytest.approx(predictor.threshold)
    assert body["model"]["task"] == "QC" and body["model"]["family"] == "fast"
    assert body["model"]["name"] == predictor.run.name and len(body["model"]["version"]) == 12


def test_the_model_is_named_by_the_folder_served(qc_run, tmp_path, monkeypatch):
    """A run copied or moved elsewhere was named by the folder it was trained into (run.json's
    name), on /readyz and in each answer; that name stays, as trained_name."""
    import shutil

    from fastapi.testclient import TestClient

    served = shutil.copytree(qc_run, tmp_path / "qc-2026-12")
    monkeypatch.chdir(served)  # `shoprel serve .`: the folder's own name, not ''
    with TestClient(create_app(".")) as client:
        ready = client.get("/readyz").json()["model"]
        scored = client.post("/v1/score", json={"pairs": [
            {"query": "funda iphone", "category_path": "phones,cases"}]}).json()["model"]
    assert ready == scored
    assert (ready["name"], ready["trained_name"]) == ("qc-2026-12", qc_run.name)
    assert qc_run.name != "qc-2026-12"


def test_defaults_for_missing_id_and_language(client, qc_run):
    r = client.post("/v1/score", json={"pairs": [
        {"query": "funda iphone", "category_path": "phones & telecommunications,cases"},
        {"query": "funda iphone", "category_path": "phones & telecommunications,cases",
         "language": "unk", "id": "x"}]})
    assert r.status_code == 200
    a, b = r.json()["results"]
    assert (a["id"], b["id"]) == (0, "x")
    assert a["probability"] == b["probability"]  # a missing language is 'unk', as in files


def test_health_ready_docs(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["model"]["task"] == "QC"
    assert client.get("/docs").status_code == 200
    schema = client.get("/openapi.json").json()
    pair = schema["components"]["schemas"]["QCPair"]
    assert "category_path" in pair["properties"] and "item_title" not in pair["properties"]
    assert pair["properties"]["query"]["maxLength"] == TEXT_LIMIT


SHAPE = '{"query": ..., "category_path": ...}'


@pytest.mark.parametrize("body, said", [
    ({"pairs": []}, "body.pairs: an empty list; send at least one pair to score"),
    ({}, f'body.pairs: missing; send the pairs to score as {{"pairs": [{SHAPE}, ...]}}'),
    ({"pairs": "abc"}, f"body.pairs: a text is not a list; send the pairs as a list, "
                       f"[{SHAPE}, ...]"),
    ({"pairs": None}, f"body.pairs: null is not a list; send the pairs as a list, [{SHAPE}, ...]"),
    ({"pairs": {"query": "x", "category_path": "a"}},
     f"body.pairs: an object is not a list; send the pairs as a list, [{SHAPE}, ...]"),
    ([{"query": "x", "category_path": "a"}],
     f'body: a list is not an object; send {{"pairs": [{SHAPE}, ...]}}'),
    ({"pairs": ["vestidos"]}, f"body.pairs.0: a text is not a pair; send each pair as an "
                              f"object, {SHAPE}"),
    ({"pairs": [{"query": 1.5, "category_path": "a"}]},
     'body.pairs.0.query: the number 1.5 is not a text; send it as a JSON string, "1.5"'),
    ({"pairs": [{"query": None, "category_path": "a"}]},
     "body.pairs.0.query: null is not a text; send it as a JSON string"),
    ({"pairs": [{"query": "x", "category_path": ["a", "b"]}]},
     "body.pairs.0.category_path: a list is not a text; send it as a JSON string"),
    ({"pairs": [{"query": "x", "category_path": "a", "language": 5}]},
     'body.pairs.0.language: the number 5 is not a text; send it as a JSON string, "5"'),
    ({"pairs": [{"category_path": "a"}]},
     "body.pairs.0.query: missing; each pair needs a 'query' and a 'category_path'"),
])
def test_a_request_s_common_mistakes_are_said_in_the_house_s_words(client, body, said):
    """pydantic's own sentences ("List should have at least 1 item after validation, not 0",
    "Input should be a valid string", "Field required") said what was wrong in its words and
    not what to send: each now says the value's kind, as a file's error does, and what to send."""
    r = client.post("/v1/score", json=body)
    assert r.status_code == 422
    assert r.json()["error"] == said


def test_an_empty_body_is_told_what_to_send(client):
    """A POST with no body (curl -X POST, a client that lost its payload) read pydantic's
    "body: Field required"."""
    r = client.post("/v1/score", content=b"", headers={"content-type": "application/json"})
    assert r.status_code == 422
    assert r.json()["error"] == ('body: the body is empty; send the pairs to score as '
                                 '{"pairs": [{"query": ..., "category_path": ...}, ...]}')


def test_the_characters_in_all_are_said_with_the_other_limits_separators(client):
    """Pairs and text lengths were said as "1,000"; the characters in all as "200400" against
    "200000"."""
    pairs = [{"query": "q" * 500, "category_path": "c", "id": i} for i in range(400)]
    r = client.post("/v1/score", json={"pairs": pairs})
    assert r.status_code == 422
    assert r.json()["error"] == ("body.pairs: the pairs' texts hold 200,400 characters; one "
                                 "request may hold 200,000 (send fewer pairs per request)")


def test_wrong_task_field_is_named(client):
    """The missing category_path is the item_title's line's to say ("expects 'category_path'"),
    not a second line's."""
    r = client.post("/v1/score", json={"pairs": [{"query": "a", "item_title": "b"}]})
    assert r.status_code == 422
    body = r.json()
    assert [d["loc"] for d in body["detail"]] == [["body", "pairs", 0, "item_title"]]
    assert body["error"] == ("body.pairs.0.item_title: 'item_title' is for QI models; this model "
                             "is QC and expects 'category_path'")


def test_a_field_named_as_in_the_files_is_given_its_api_name(client):
    r = client.post("/v1/score", json={"pairs": [{"origin_query": "a", "category_path": "b"}]})
    assert r.status_code == 422
    assert r.json()["error"] == ("body.pairs.0.origin_query: the API calls this field 'query' "
                                 "('origin_query' is the training files' column)")


@pytest.mark.parametrize("body, said", [
    ({"pair": [{"origin_query": "x", "category_path": "a,b"}]},
     "body.pair: unknown field; did you mean 'pairs'?"),
    ({"Pairs": [{"query": "x", "category_path": "a,b"}]},
     "body.Pairs: unknown field; did you mean 'pairs'?"),
    ({"pairs": [{"origin_qurey": "x", "category_path": "a,b"}]},
     "body.pairs.0.origin_qurey: unknown field; did you mean 'query'?"),
    ({"pairs": [{"qurey": "x", "category_path": "a,b"}]},
     "body.pairs.0.qurey: unknown field; did you mean 'query'?"),
    ({"pairs": [{"query": "x", "category": "a,b"}]},
     "body.pairs.0.category: unknown field; did you mean 'category_path'?"),
    ({"pairs": [{"query": "x", "category_path": "a,b", "lang": "es"}]},
     "body.pairs.0.lang: unknown field; did you mean 'language'?"),
])
def test_a_misspelled_key_is_told_the_field_it_stands_for(client, body, said):
    """`{"pair": [...]}` read "body.pairs: Field required (and 1 more)", the unknown key left
    to the details; a misspelled key now names the field meant, and that field is not said
    to be missing apart (one detail, no "and 1 more")."""
    r = client.post("/v1/score", json=body)
    assert r.status_code == 422
    assert r.json()["error"] == said
    assert len(r.json()["detail"]) == 1


LABELLED_PAIR = {"query": "vestidos", "category_path": "women's clothing,dresses"}


def _scorer_rows(*labels) -> list[dict]:
    """LABELLED_PAIR as the Python API takes it, once per label."""
    return [{"id": i, "origin_query": LABELLED_PAIR["query"],
             "category_path": LABELLED_PAIR["category_path"], "label": label}
            for i, label in enumerate(labels)]


@pytest.mark.parametrize("label", [0, 1, None, "", "1", " ", True])
def test_a_pair_s_label_is_taken_and_unused_as_predict_takes_it(client, qc_run, label):
    """Any `label` key was refused ('unknown field') while predict and Scorer take a 0, 1 or
    empty label and ignore it: rows kept with their labelled file's label are now scored as
    without it, and Scorer takes the same label."""
    import shoprel

    plain = client.post("/v1/score", json={"pairs": [LABELLED_PAIR]}).json()["results"]
    r = client.post("/v1/score", json={"pairs": [{**LABELLED_PAIR, "label": label}]})
    assert r.status_code == 200, r.text
    assert r.json()["results"] == plain
    shoprel.Scorer(qc_run).probabilities(_scorer_rows(label))


@pytest.mark.parametrize("label, shown", [(2, "2"), ("x", "'x'"), (0.5, "0.5"), ("yes", "'yes'"),
                                          ([1], "a list")])
def test_a_label_that_is_no_label_is_refused_as_scorer_refuses_it(client, qc_run, label, shown):
    import shoprel
    from shoprel.errors import InputError

    r = client.post("/v1/score", json={"pairs": [LABELLED_PAIR, {**LABELLED_PAIR, "label": label}]})
    assert r.status_code == 422
    problem = f"label must be 0, 1 or empty (unused here), got {shown}"
    assert r.json()["error"] == (f"body.pairs.1.label: {problem}: a wrong field or a mixed-up "
                                 "pair; check the pair, or send its label as null or leave it out")
    with pytest.raises(InputError, match=f"^pair 1, field 'label': {re.escape(problem)}:"):
        shoprel.Scorer(qc_run).probabilities(_scorer_rows(0, label))


def test_the_schema_shows_the_label_as_optional_and_unused(client):
    pair = client.get("/openapi.json").json()["components"]["schemas"]["QCPair"]
    label = pair["properties"]["label"]
    assert "label" not in pair["required"]
    assert label["description"].startswith("Unused: ")
    assert label["enum"] == [0, 1, "", None]
    assert ('<code>label</code><br><span class="muted">optional</span></td><td>integer or '
            'string or null</td><td>Unused: ') in client.get("/docs").text


def test_an_unknown_key_like_no_field_is_told_the_fields(client):
    """Nothing alike, or alike a field the pair already holds: the fields there are."""
    pair = {"query": "x", "category_path": "a,b"}
    for extra in ({"score": 1}, {"qurey": "y"}):
        r = client.post("/v1/score", json={"pairs": [{**pair, **extra}]})
        assert r.status_code == 422
        assert r.json()["error"] == (f"body.pairs.0.{next(iter(extra))}: unknown field; drop it "
                                     "(the fields here: 'query', 'category_path', 'language', "
                                     "'id', 'translated_query', 'label')")
    r = client.post("/v1/score", json={"pairs": [pair], "options": {}})
    assert r.json()["error"] == "body.options: unknown field; drop it (the fields here: 'pairs')"


@pytest.mark.parametrize("content, fragment", [
    (b'{"pairs": [', "malformed JSON"),
    (b"not json at all", "malformed JSON"),
    (b"[]", "body"),
    (b'{"pairs": "x"}', "body.pairs"),
    (b'{"pairs": [{"query": 5, "category_path": "a"}]}', "body.pairs.0.query"),
    (b'{"pairs": [{"query": "a", "category_path": null}]}', "body.pairs.0.category_path"),
    (b'{"pairs": [{"query": "a", "category_path": "b", "id": 1.5}]}', "body.pairs.0.id"),
    (b'{"pairs": [{"query": "\\ud800", "category_path": "b"}]}', "body.pairs.0.query"),
    (b'{"pairs": [{"query": "a\\u0000b", "category_path": "b"}]}', "body.pairs.0.query"),
    (b'{"pairs": [{"query": "a", "category_path": "b", "id": 1180591620717411303424}]}',
     "body.pairs.0.id"),
    (b'{"pairs": [], "extra": 1}', "body"),
    (b'{"pairs": [{"query": "\xff", "category_path": "b"}]}', "not UTF-8 text"),
    (b"[" * 100_000, "malformed JSON"),
])
def test_malformed_bodies_are_422_naming_the_place(client, content, fragment):
    r = client.post("/v1/score", content=content, headers={"content-type": "application/json"})
    assert r.status_code == 422, r.text
    assert fragment in r.json()["error"]


@pytest.mark.parametrize("content, said", [
    (b'{"pairs": [{"query": "\xff", "category_path": "b"}]}',
     "malformed JSON: the body is not UTF-8 text (byte 0xff at offset 22 cannot be decoded); "
     "send it encoded as UTF-8"),
    (b"[" * 100_000, "malformed JSON: the body nests arrays or objects too deeply for the JSON "
                     'reader; send a flat {"pairs": [...]} list'),
    (b'{"pairs": [{"query": "a", "category_path": "b", "id": ' + b"9" * 5000 + b"}]}",
     "malformed JSON: the body holds a number of more digits than a JSON reader takes (5,000; "
     "at most 4,300)"),
])
def test_a_body_the_reader_cannot_parse_says_why(client, int_digit_limit, content, said):
    """Not UTF-8, nested too deeply, a too-long number: each got the one message naming all
    three; each now says which it is (still 422, as any malformed JSON)."""
    int_digit_limit(4300)  # Python's default, whatever PYTHONINTMAXSTRDIGITS says
    r = client.post("/v1/score", content=content, headers={"content-type": "application/json"})
    assert r.status_code == 422, r.text
    assert r.json() == {"error": said, "detail": []}


SURROGATE = "contains a lone surrogate (U+{}) at position {}, which no UTF-8 file can hold"
NAMES = "; send the fields' names as the API spells them"


@pytest.mark.parametrize("content, said", [
    (b'{"pairs": [{"query": "a\\ud800", "category_path": "b"}]}',
     "body.pairs.0.query: text " + SURROGATE.format("D800", 1)),
    (b'{"pairs": [{"query": "a", "category_path": "b\\udfff"}]}',
     "body.pairs.0.category_path: text " + SURROGATE.format("DFFF", 1)),
    (b'{"pairs": [{"query": "a", "category_path": "b", "language": "\\ud800"}]}',
     "body.pairs.0.language: text " + SURROGATE.format("D800", 0)),
    (b'{"pairs": [{"query": "a", "category_path": "b", "translated_query": "xy\\udc00"}]}',
     "body.pairs.0.translated_query: text " + SURROGATE.format("DC00", 2)),
    (b'{"pairs": [{"query": "a", "category_path": "b", "\\ud800": 1}]}',
     "body.pairs.0: a key " + SURROGATE.format("D800", 0) + NAMES),
    (b'{"pairs": [{"query": "a", "category_path": "b"}], "x\\ud800": 1}',
     "body: a key " + SURROGATE.format("D800", 1) + NAMES),
])
def test_a_lone_surrogate_in_any_text_is_said_as_in_an_id(client, content, said):
    """Only an id's lone surrogate was said so (its check runs before pydantic's); in a query,
    a target, a language, a translation or a key the client read pydantic's "Input should be
    a valid string, unable to parse raw data as a unicode string"."""
    r = client.post("/v1/score", content=content, headers={"content-type": "application/json"})
    assert r.status_code == 422, r.text
    assert r.json()["error"] == said


@pytest.mark.parametrize("limit, digits", [(640, 641), (1000, 5000), (10_000, 12_345)])
def test_a_too_long_number_is_told_the_limit_in_force(client, int_digit_limit, limit, digits):
    int_digit_limit(limit)
    body = b'{"pairs": [{"query": "a", "category_path": "b", "id": ' + b"9" * digits + b"}]}"
    r = client.post("/v1/score", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 422, r.text
    assert r.json()["error"] == ("malformed JSON: the body holds a number of more digits than a "
                                 f"JSON reader takes ({digits:,}; at most {limit:,})")


def test_without_a_digit_limit_a_long_id_is_refused_as_an_id(client, int_digit_limit):
    int_digit_limit(0)  # no limit: the reader takes the number, the id rule refuses it
    body = b'{"pairs": [{"query": "a", "category_path": "b", "id": ' + b"9" * 5000 + b"}]}"
    r = client.post("/v1/score", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 422 and "an id number must fit in 64 bits" in r.json()["error"]


def test_the_limit_said_is_the_one_that_refused_the_number(int_digit_limit):
    """The refusal names the limit it was made under, even when the limit has changed since."""
    from shoprel.serve.unparsable import unparsable_body_message

    int_digit_limit(1000)
    with pytest.raises(ValueError) as refused:
        json.loads("9" * 1500)
    int_digit_limit(4300)
    assert unparsable_body_message(refused.value).endswith("(1,500; at most 1,000)")


def test_ids_repeated_in_one_request_are_422(client):
    """As in a file, one request holds each id once; a pair without one goes by its position."""
    pair = {"query": "funda iphone", "category_path": "phones & telecommunications,cases"}
    for pairs, said in [([{**pair, "id": 1}, {**pair, "id": 1}],
                         "pair 1: duplicate id 1 (first seen on pair 0); send each id once"),
                        ([pair, {**pair, "id": 0}], "pair 1: duplicate id 0 (first seen on pair "
                         "0); a pair without an id goes by its position: give each pair an id "
                         "of its own")]:
        r = client.post("/v1/score", json={"pairs": pairs})
        assert r.status_code == 422 and r.json()["error"] == f"body.pairs: {said}", r.json()
    assert client.post("/v1/score", json={"pairs": [pair, {**pair, "id": 5}]}).status_code == 200


@pytest.mark.parametrize("first, second, said", [
    ("007", "007", "duplicate id '007' (first seen on pair 0)"),
    ("7", 7, "duplicate id: 7 is the id '7' of pair 0 (7, 7.0, \"7\" and \"007\" are one id)"),
    ("007", 7, "duplicate id: 7 is the id '007' of pair 0"),
    (7, "7", "duplicate id: '7' is the id 7 of pair 0"),
])
def test_a_repeated_id_is_said_as_the_request_wrote_it(client, first, second, said):
    """"007" twice was "the id 7", the key it is read as, which the request never wrote; it is
    said as written, and in both spellings where they differ, as the file readers say it
    (data/repeated_ids.py)."""
    pair = {"query": "funda iphone", "category_path": "phones & telecommunications,cases"}
    r = client.post("/v1/score", json={"pairs": [{**pair, "id": first}, {**pair, "id": second}]})
    assert r.status_code == 422, r.text
    assert r.json()["error"].startswith(f"body.pairs: pair 1: {said}"), r.json()


PAIR_TEXT = '{"query": "funda iphone", "category_path": "phones & telecommunications,cases"}'


@pytest.mark.parametrize("body, said", [
    ('{"pairs": [P], "pairs": [P, P]}', "body: the body gives the key 'pairs' twice"),
    ('{"pairs": [P, {"query": "a", "query": "b", "category_path": "c"}]}',
     "body.pairs.1: this pair gives the key 'query' twice"),
    ('{"pairs": [{"origin_query": "a", "origin_query": "b", "category_path": "c"}]}',
     "body.pairs.0: this pair gives the key 'origin_query' twice"),
    ('{"pairs": [{"query": "a", "id": 1, "category_path": "c", "id": 2, "id": 1}]}',
     "body.pairs.0: this pair gives the key 'id' 3 times"),
])
def test_a_key_given_twice_is_422_naming_it_and_where(client, body, said):
    """Python's JSON reader kept the last value of a repeated key without a word, so a client
    whose body said two things had one of them scored; it is told instead, at its place."""
    r = client.post("/v1/score", content=body.replace("P", PAIR_TEXT).encode(),
                    headers={"content-type": "application/json"})
    assert r.status_code == 422 and r.json()["error"].startswith(said), r.json()
    ok = client.post("/v1/score", content=f'{{"pairs": [{PAIR_TEXT}]}}'.encode(),
                     headers={"content-type": "application/json"})
    assert ok.status_code == 200, ok.text


@pytest.mark.parametrize("value, said", [
    ('"' + "x" * 5000 + '"', "an id text may hold at most 256 characters, this one holds 5,000"),
    ("1180591620717411303424", "an id number must fit in 64 bits"),
    ("true", "body.pairs.0.id: true is not an id; an id must be text or a "
             "whole number"),
    ("1.5", "1.5 is not a whole number; an id must be text or a whole number"),
    # said "nan is not a finite number", in words of its own and as Python spells it
    ("NaN", "NaN is not a number; an id must be text or a whole number"),
    ("-Infinity", "-Infinity is not a finite number; an id must be text or a whole number"),
    ("9" * 5000, "a number of more digits than a JSON reader takes"),
])
def test_a_bad_id_is_one_message_in_the_api_s_words(client, int_digit_limit, value, said):
    int_digit_limit(4300)  # Python's default, whatever PYTHONINTMAXSTRDIGITS says
    body = '{"pairs": [{"query": "a", "category_path": "b", "id": ' + value + "}]}"
    r = client.post("/v1/score", content=body.encode(),
                    headers={"content-type": "application/json"})
    assert r.status_code == 422 and said in r.json()["error"], r.json()
    assert "more)" not in r.json()["error"]  # one error, not one per branch of a union


def test_pair_ids_follow_the_files_rule(client):
    """serve wrote its own id rule: it echoed an empty id "" that a file refuses, and refused
    7.0 where a file reads the id 7 (JSON does not tell 7.0 from 7); now a pair's id is read
    by the files' rule, a text id still echoed as sent."""
    pair = {"query": "funda iphone", "category_path": "phones & telecommunications,cases"}
    r = client.post("/v1/score", json={"pairs": [{**pair, "id": ""}]})
    assert r.status_code == 422, r.text
    assert r.json()["error"] == ("body.pairs.0.id: an empty text is not an id; "
                                 "an id must be text or a whole number")
    assert r.json()["detail"][0]["msg"] == ("an empty text is not an id; an id must be text "
                                            "or a whole number")  # not pydantic's "Value error, "
    r = client.post("/v1/score", json={"pairs": [{**pair, "id": 7.0}, {**pair, "id": "7"}]})
    assert r.status_code == 422 and "pair 1: duplicate id: '7' is the id 7 of pair 0" in \
        r.json()["error"]
    r = client.post("/v1/score", json={"pairs": [{**pair, "id": 7.0}, {**pair, "id": "8"}]})
    assert r.status_code == 200, r.text
    assert [result["id"] for result in r.json()["results"]] == [7, "8"]


@pytest.mark.parametrize(("field", "text"), [("query", ""), ("query", " \t"),
                                           ("category_path", "\u3000")])
def test_an_empty_or_blank_text_is_refused_naming_its_pair_and_field(client, field, text):
    """A pair with an empty query was scored (a search never asks about one); it is refused at
    its index and field in one line, as a bad id is, and the other pairs are not scored."""
    pairs = [{"query": "funda iphone", "category_path": "phones,cases"}] * 3
    pairs = [*pairs[:2], {**pairs[2], field: text}]
    r = client.post("/v1/score", json={"pairs": pairs})
    assert r.status_code == 422, r.text
    assert r.json()["error"] == (f"body.pairs.2.{field}: an empty or blank text is "
                                 "not scored; send the pair with words in it or leave it out")


def test_pairs_limit_names_the_limit(client):
    pair = {"query": "a", "category_path": "b"}
    assert client.post("/v1/score", json={"pairs": [pair] * TEST_PAIRS_LIMIT}).status_code == 200
    r = client.post("/v1/score", json={"pairs": [pair] * (TEST_PAIRS_LIMIT + 1)})
    assert r.status_code == 422
    assert r.json()["error"] == (f"body.pairs: a request may hold at most {TEST_PAIRS_LIMIT} "
                                 f"pairs, this one holds {TEST_PAIRS_LIMIT + 1}; send fewer "
                                 "pairs per request")


def test_text_limit(client):
    ok = client.post("/v1/score", json={"pairs": [{"query": "a" * TEXT_LIMIT,
                                                   "category_path": "b"}]})
    assert ok.status_code == 200
    r = client.post("/v1/score", json={"pairs": [{"query": "a",
                                                  "category_path": "b" * (TEXT_LIMIT + 1)}]})
    assert r.status_code == 422
    assert r.json()["error"].startswith("body.pairs.0.category_path:")
    assert r.json()["error"] == (f"body.pairs.0.category_path: 'category_path' holds "
                                 f"{TEXT_LIMIT + 1} characters, at most {TEXT_LIMIT} here; "
                                 "send a shorter one")


@pytest.mark.parametrize("field, chars, said", [
    ("language", 40_000, "'language' holds 40,000 characters, at most 32 here; send its "
                         "language code, e.g. 'es'"),
    ("translated_query", TEXT_LIMIT + 1, f"'translated_query' holds {TEXT_LIMIT + 1} "
                                         f"characters, at most {TEXT_LIMIT} here; send a "
                                         "shorter one"),
])
def test_a_text_over_its_limit_is_said_of_its_field(client, field, chars, said):
    """A 40,000-character language was told "a text may hold at most 32 characters", as if a
    query were too long; the field is named, with its own limit and what it takes."""
    pair = {"query": "a", "category_path": "b", field: "x" * chars}
    r = client.post("/v1/score", json={"pairs": [{"query": "a", "category_path": "b"}, pair]})
    assert r.status_code == 422
    assert r.json()["error"] == f"body.pairs.1.{field}: {said}"


def test_body_limit_with_and_without_content_length(client, qc_server):
    limit = qc_server.app.state.settings.max_body_bytes
    big = json.dumps({"pairs": [{"query": "q" * 400, "category_path": "c"}] * 700}).encode()
    assert len(big) > limit
    r = client.post("/v1/score", content=big, headers={"content-type": "application/json"})
    assert r.status_code == 413 and str(limit) in r.json()["error"]

    def chunked():  # no Content-Length: the server must count as it reads
        for i in range(0, len(big), 8192):
            yield big[i:i + 8192]

    r = client.post("/v1/score", content=chunked(), headers={"content-type": "application/json"})
    assert r.status_code == 413
    assert client.get("/healthz").status_code == 200  # still alive


def test_metrics_count_requests_pairs_and_errors(client):
    before_pairs = _metric(client, "shoprel_pairs_scored_total")
    before_ok = _metric(client, "shoprel_requests_total", path="/v1/score", status="200")
    before_err = _metric(client, "shoprel_errors_total", kind="validation")
    before_lat = _metric(client, "shoprel_request_latency_seconds_count", path="/v1/score")
    pairs = [{"query": "a", "category_path": "b"}] * 3
    assert client.post("/v1/score", json={"pairs": pairs}).status_code == 200
    assert client.post("/v1/score", json={"pairs": []}).status_code == 422
    assert _metric(client, "shoprel_pairs_scored_total") == before_pairs + 3
    assert _metric(client, "shoprel_requests_total", path="/v1/score",
                   status="200") == before_ok + 1
    assert _metric(client, "shoprel_errors_total", kind="validation") == before_err + 1
    assert _metric(client, "shoprel_request_latency_seconds_count",
                   path="/v1/score") == before_lat + 2
    assert _metric(client, "shoprel_model_calls_total") >= 1


def test_a_client_gone_mid_body_is_not_counted_as_our_fault(client, qc_server):
    """Content-Length 1000, part of a body, then the connection closed: 499 in /metrics (the
    client's doing), not a 500 and an 'internal' error."""
    import socket
    import time
    from urllib.parse import urlparse

    before_internal = _metric(client, "shoprel_errors_total", kind="internal") or 0
    before_gone = _metric(client, "shoprel_errors_total", kind="client_closed") or 0
    url = urlparse(qc_server.url)
    with socket.create_connection((url.hostname, url.port), timeout=5) as raw:
        raw.sendall(b"POST /v1/score HTTP/1.1\r\nHost: x\r\ncontent-type: application/json"
                    b"\r\ncontent-length: 1000\r\n\r\n" + b'{"pairs": [')
    for _ in range(50):  # the server notices the closed connection on its own time
        if (_metric(client, "shoprel_errors_total", kind="client_closed") or 0) > before_gone:
            break
        time.sleep(0.1)
    assert _metric(client, "shoprel_errors_total", kind="client_closed") == before_gone + 1
    assert (_metric(client, "shoprel_errors_total", kind="internal") or 0) == before_internal


def test_metrics_count_pairs_in_languages_absent_from_training(client, qc_run):
    import json

    trained = set(json.loads((qc_run / "metrics.json").read_text())["per_language"])
    assert "en" in trained and "xx" not in trained
    name = "shoprel_pairs_new_language_total"
    before = [_metric(client, name), _metric(client, name, language="xx"),
              _metric(client, name, language="untagged")]
    pairs = [{"query": "a", "category_path": "b", "language": lang}
             for lang in ("en", "xx", "XX-yy", "xx_zz", "unk", "en-GB")]
    assert client.post("/v1/score", json={"pairs": pairs}).status_code == 200
    # labelled by base language, as predict's warnings count them: never the tag as sent
    assert [_metric(client, name), _metric(client, name, language="xx"),
            _metric(client, name, language="untagged")] == [before[0] + 4, before[1] + 3,
                                                            before[2] + 1]
    assert _metric(client, name, language="xx-yy") == _metric(client, name, language="XX-yy") == 0
    # no cascade, none rescored: the counter is there, at 0
    assert "\nshoprel_pairs_rescored_total 0.0\n" in client.get("/metrics").text



def _exposed(text: str, name: str, **labels) -> float:
    return sum(sample.value for family in text_string_to_metric_families(text)
               for sample in family.samples if sample.name == name
               and all(sample.labels.get(k) == v for k, v in labels.items()))


def test_metrics_count_languages_seen_only_translated_apart(augmented_runs):
    """Pairs in Thai, which the "tr" run trained on only as translated rows (augment.translate
    {th: es}), counted as simply new; they are new still (as predict says), and counted apart
    as translated-only, 'th-TH' read as 'th' as predict reads it."""
    plain, translated = augmented_runs
    pairs = [{"query": "a", "category_path": "b", "language": lang}
             for lang in ("th", "th-TH", "xx", "es", "th")]

    async def scraped(run):
        app = create_app(run)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
                assert (await c.post("/v1/score", json={"pairs": pairs})).status_code == 200
                return (await c.get("/metrics")).text

    for run, new, only_translated in ((translated, 4, 3), (plain, 4, 0)):
        text = asyncio.run(scraped(run))
        assert _exposed(text, "shoprel_pairs_new_language_total") == new
        assert _exposed(text, "shoprel_pairs_translated_only_language_total") == only_translated
        # labelled by base language, as the new-language counter is
        assert _exposed(text, "shoprel_pairs_translated_only_language_total",
                        language="th") == only_translated


def test_unknown_paths_and_methods_are_4xx(client):
    assert client.get("/v1/nothing").status_code == 404
    assert client.get("/v1/score").status_code == 405
    assert client.post("/v1/score", content=b"a=b",
                       headers={"content-type": "application/x-www-form-urlencoded"}
                       ).status_code == 415
    assert _metric(client, "shoprel_errors_total", kind="not_found") >= 1


def test_a_trailing_slash_is_a_404_naming_the_path(client):
    """`POST /v1/score/` got a 307 redirect, which many clients do not follow for a POST (the
    pairs went unscored, with no error). Each route's path with a slash added is now a 404
    naming the path; an unknown path's 404 says no more than before."""
    pair = {"query": "vestido", "category_path": "women's clothing,dresses"}
    scored = client.post("/v1/score/", json={"pairs": [pair]}, follow_redirects=False)
    assert (scored.status_code, scored.json()) == (404, {
        "error": "Not Found: /v1/score/ ends with a slash; the path is /v1/score", "detail": []})
    health = client.get("/healthz/", follow_redirects=False)
    assert health.status_code == 404 and health.json()["error"].endswith("the path is /healthz")
    assert client.get("/nothing/").json() == {"error": "Not Found", "detail": []}
    assert client.post("/v1/score", json={"pairs": [pair]}).status_code == 200


def test_qi_run_takes_item_titles(trained_runs, qi_demo):
    app = create_app(trained_runs["QI"])
    frame = read_pairs(qi_demo).take(range(40))
    expected = Predictor(trained_runs["QI"]).probabilities(frame)

    async def go():
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
                good = await c.post("/v1/score", json={"pairs": _pairs(frame, "item_title")})
                bad = await c.post("/v1/score", json={"pairs": _pairs(frame, "category_path")})
                return good, bad


    good, bad = asyncio.run(go())
    assert good.status_code == 200
    got = np.array([r["probability"] for r in good.json()["results"]])
    assert np.abs(got - expected).max() < 1e-9
    assert bad.status_code == 422 and "is for QC models" in bad.json()["error"]


def test_model_failure_is_a_json_500_and_shutdown_a_503(qc_run):
    app = create_app(qc_run)
    batcher = app.state.batcher
    working = batcher.score_rows
    pair = {"pairs": [{"query": "a", "category_path": "b"}]}

    def broken(rows):
        raise RuntimeError("model exploded")

    async def go():
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
                batcher.score_rows = broken
                failed = await c.post("/v1/score", json=pair)
                batcher.score_rows = working
                recovered = await c.post("/v1/score", json=pair)
                await batcher.close()
                closed = await c.post("/v1/score", json=pair)
                ready = await c.get("/readyz")
                metrics = (await c.get("/metrics")).text
                return failed, recovered, closed, ready, metrics


    failed, recovered, closed, ready, metrics = asyncio.run(go())
    assert failed.status_code == 500 and failed.json()["error"] == "internal error (RuntimeError)"
    assert recovered.status_code == 200
    assert closed.status_code == 503 and "shutting down" in closed.json()["error"]
    assert ready.status_code == 503
    assert 'shoprel_errors_total{kind="internal"} 1.0' in metrics


@pytest.mark.parametrize("recent_texts", [ServeSettings().recent_texts, 0])
def test_a_backbone_gone_since_training_is_named_in_the_run_s_config(embed_run, tmp_path,
                                                                     recent_texts):
    """serve said 'model.params.backbone ...: no such folder' without saying whose: the run's
    config.yaml and its line are named now, as train names its config file's. With
    --recent-texts 0 it started, then answered every request 500: it refuses at start-up too."""
    from tests.training.test_far_pairs import gone_backbone_copy

    from shoprel.errors import ConfigError

    copy, gone, line = gone_backbone_copy(embed_run, tmp_path)
    with pytest.raises(ConfigError) as info:
        create_app(copy, ServeSettings(recent_texts=recent_texts))
    assert str(info.value).startswith(f"{copy / 'config.yaml'}: line {line}: "
                                      f"model.params.backbone {gone!r}: no such folder")


def test_malformed_json_is_located_by_line_and_column_not_as_a_pair(client):
    """FastAPI locates a JSON syntax error by its offset: the line read 'body.50: malformed
    JSON', like pair 50 of the body. It is now said as the line and column of the body."""
    content = b'{"pairs": [{"query": "a", "category_path": "b"},, ]}'
    r = client.post("/v1/score", content=content, headers={"content-type": "application/json"})
    assert r.status_code == 422
    assert r.json()["error"] == "body: malformed JSON at line 1, column 49 (Expecting value)"
    assert r.json()["detail"][0]["loc"] == ["body"]
    content = b'{"pairs": [\n  {"query": "a",\n   "category_path": "b" x}\n]}'
    r = client.post("/v1/score", content=content, headers={"content-type": "application/json"})
    assert r.json()["error"] == ("body: malformed JSON at line 3, column 25 (Expecting ',' "
                                 "delimiter)")


def test_malformed_json_without_its_text_is_located_by_character():
    from shoprel.data.tasks import Task
    from shoprel.serve.validation_errors import validation_error_body

    error = {"type": "json_invalid", "loc": ("body", 49), "ctx": {"error": "Expecting value"}}
    said = validation_error_body([error], Task.QC)["error"]
    assert said == "body: malformed JSON at character 50 (Expecting value)"


def test_a_region_tag_of_a_training_language_is_no_new_language(client, qc_run):
    before = _metric(client, "shoprel_pairs_new_language_total")
    pair = {"query": "tapis de yoga", "category_path": "sports,yoga,mats"}
    answers = [client.post("/v1/score", json={"pairs": [{**pair, "language": lang}]}).json()
               for lang in ("fr", "fr-FR", "FR_ca")]
    assert len({a["results"][0]["probability"] for a in answers}) == 1
    assert _metric(client, "shoprel_pairs_new_language_total") == before


def test_a_request_s_tags_are_mapped_once_for_counting_and_scoring(client, monkeypatch):
    """The new-language count and the scoring read the same mapped tags: one mapping per
    request, not one in the handler and another in the batch."""
    import shoprel.predict.languages as languages

    calls = []
    mapping = languages.moved_tags
    monkeypatch.setattr(languages, "moved_tags",
                        lambda tags, known: calls.append(1) or mapping(tags, known))
    pairs = [{"query": "tapis de yoga", "category_path": "sports,yoga,mats", "language": lang}
             for lang in ("fr-FR", "xx", "fr")]
    assert client.post("/v1/score", json={"pairs": pairs}).status_code == 200
    assert len(calls) == 1


def test_a_blank_language_is_unk_as_the_file_readers_read_it(tmp_path):
    """A whitespace-only language in a request was "" while the same cell in a file is "unk";
    serve reads it as the files do, so the pair is scored and counted alike."""
    from shoprel.data.tasks import Task
    from shoprel.serve.app import pairs_to_rows
    from shoprel.serve.schemas import pair_model

    file = tmp_path / "pairs.jsonl"
    file.write_text(json.dumps({"id": 1, "origin_query": "funda",
                                "category_path": "phones,cases", "language": "   "}) + "\n")
    pair = pair_model(Task.QC, ServeSettings())(query="funda", category_path="phones,cases",
                                                language="   ")
    assert read_pairs(file).df["language"].tolist() == ["unk"]
    assert pairs_to_rows([pair], Task.QC)["language"].tolist() == ["unk"]


def _ready_then_scored(app, loaded: list):
    """(/readyz's status, what `loaded` held when it answered, the first /score's response)
    of `app` started as a server starts it; `loaded`: what the test counts loading."""

    async def served():
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
                ready = (await c.get("/readyz")).status_code
                loaded_when_ready = list(loaded)
                pairs = [{"query": "new , level", "category_path": "new , level"}]
                scored = await c.post("/v1/score", json={"pairs": pairs})
                return ready, loaded_when_ready, scored

    return asyncio.run(served())


def test_the_encoder_is_loaded_before_the_server_says_it_is_ready(embed_run, monkeypatch):
    """An embedding run's encoder was loaded at the first text no index or cache held: /readyz
    said ready, and the first new query then waited ~10 s for EmbeddingGemma to load (a QI
    run on 2 cores: 9.8 s, the next new query 0.26 s). The app loads it before it answers."""
    from shoprel.models.embed import model as embed_model

    made = []
    make = embed_model.make_encoder
    monkeypatch.setattr(embed_model, "make_encoder",
                        lambda *args, **kwargs: made.append(args[0].name) or make(*args,
                                                                                   **kwargs))
    ready, loaded_when_ready, scored = _ready_then_scored(create_app(embed_run), made)
    assert ready == 200 and len(loaded_when_ready) == 1
    assert scored.status_code == 200 and made == loaded_when_ready  # not loaded again
    assert 0 <= scored.json()["results"][0]["probability"] <= 1


def test_a_bi_encoder_s_tuned_encoder_is_loaded_before_the_server_says_it_is_ready(
        biencoder_run, monkeypatch, capsys):
    """The bi-encoder had no part in the loading serve does before it says it is ready: its
    first request loaded torch, the backbone and the tuned weights (3.2 s for a tiny local
    BERT on 2 cores, 0.04 s once loaded). The app loads them before /readyz answers, and
    says nothing of it under --quiet."""
    from shoprel.models.biencoder import encoder_parts
    from shoprel.utils.progress import quiet_while

    loaded = []
    load = encoder_parts.load_parts
    monkeypatch.setattr(encoder_parts, "load_parts",
                        lambda backbone, *args: loaded.append(backbone.name) or load(backbone,
                                                                                     *args))
    capsys.readouterr()
    with quiet_while():
        app = create_app(biencoder_run)
        ready, loaded_when_ready, scored = _ready_then_scored(app, loaded)
    assert capsys.readouterr().err == ""
    assert ready == 200 and len(loaded_when_ready) == 1
    assert scored.status_code == 200 and loaded == loaded_when_ready  # not loaded again
    assert 0 <= scored.json()["results"][0]["probability"] <= 1


def test_the_encoder_s_loading_is_said_at_start_up_only(embed_run, monkeypatch, capsys):
    """serve loads its encoders before it says it is ready, silently (~10 s for
    EmbeddingGemma): its start-up says so with the seconds taken, and a request says
    nothing."""
    import re

    from shoprel.models.backbones import encoders

    monkeypatch.setattr(encoders, "NAMED_ENCODERS", set())
    capsys.readouterr()
    app = create_app(embed_run)
    started = capsys.readouterr().err
    assert re.fullmatch(r"loading encoder \S+/bert \(transformers\)\.\.\. \d+\.\d s\n", started)

    async def served():
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
                pairs = [{"query": "new , level", "category_path": "new , level"}]
                return await c.post("/v1/score", json={"pairs": pairs})

    assert asyncio.run(served()).status_code == 200
    assert capsys.readouterr().err == ""


class Writes(io.StringIO):
    """A log that keeps each write apart."""

    def __init__(self):
        super().__init__()
        self.writes = []

    def write(self, text):
        self.writes.append(text)
        return super().write(text)


@pytest.mark.parametrize("quiet", ["", "1"])
def test_a_worker_says_its_loading_whole_and_not_under_quiet(embed_run, monkeypatch, quiet):
    """`serve --workers N --quiet`: each worker process loads its encoders outside the
    command's --quiet, so it said their loading all the same; and workers loading at once
    would each write into the line another began: a worker writes its line whole."""
    import re

    from shoprel.models.backbones import encoders
    from shoprel.serve.app import app_from_env
    from shoprel.serve.parent_watch import SUPERVISOR_ENV
    from shoprel.serve.settings import QUIET_ENV, RUN_DIR_ENV

    monkeypatch.setattr(encoders, "NAMED_ENCODERS", set())
    monkeypatch.setenv(RUN_DIR_ENV, str(embed_run))
    monkeypatch.setenv(QUIET_ENV, quiet)
    monkeypatch.delenv(SUPERVISOR_ENV, raising=False)  # no supervisor to watch
    monkeypatch.setattr(sys, "stderr", Writes())
    app_from_env()
    said = [text for text in sys.stderr.writes if "loading encoder" in text]
    if quiet:
        assert said == []
    else:
        assert len(said) == 1 and re.fullmatch(
            r"loading encoder \S+/bert \(transformers\)\.\.\. \d+\.\d s\n", said[0]), said


def test_head_is_answered_wherever_get_is(client):
    """A monitor checking /healthz with HEAD (or `curl -I`) read 405, "allow: GET", and called
    a live server down. HEAD now answers as GET does, headers without the body; a route
    that takes no GET still answers 405, and an unknown path 404."""
    for path in ("/healthz", "/readyz", "/metrics", "/openapi.json", "/docs"):
        got, head = client.get(path), client.head(path)
        assert head.status_code == got.status_code == 200, path
        assert head.content == b""
        assert head.headers["content-type"] == got.headers["content-type"]
    head = client.head("/healthz")
    assert int(head.headers["content-length"]) == len(client.get("/healthz").content)
    score = client.head("/v1/score")
    assert (score.status_code, score.headers["allow"]) == (405, "POST")
    assert client.head("/nothing").status_code == 404


def test_health_answers_while_a_request_s_frame_is_built(qc_run, start_server, monkeypatch):
    """A request's pairs are queued as they are and its frame is built in the scoring thread,
    with its batch's (queued_rows): built on the event loop, pandas' and numpy's calls let go
    of the GIL and the loop waited up to 5 ms each time for the scoring thread to hand it
    back, holding /healthz and every other request up (p50 69-70 ms, now 21-22, beside 64
    fast-model clients of 100 pairs on 2 cores). Here building takes 0.8 s; /healthz answers
    meanwhile.
    (test_scores_equal_predictor: the scores are a plain predict's.)"""
    import threading
    import time

    from shoprel.serve import app as serving

    built_on = []

    def slow_rows(pairs, task):
        built_on.append(threading.current_thread().name)
        time.sleep(0.8)  # holds whichever thread builds the frame
        return pairs_to_rows(pairs, task)

    pairs_to_rows = serving.pairs_to_rows
    monkeypatch.setattr(serving, "pairs_to_rows", slow_rows)
    pairs = [{"query": "vestido", "category_path": "women's clothing,dresses"},
             {"query": "taza", "category_path": "home & garden,kitchen,drinkware"}]
    scored = []
    with start_server(create_app(qc_run, ServeSettings(max_wait_ms=0))) as live:
        scoring = threading.Thread(target=lambda: scored.append(httpx.post(
            live.url + "/v1/score", json={"pairs": pairs}, timeout=30)))
        scoring.start()
        time.sleep(0.3)  # the request is queued, its frame being built
        asked = time.monotonic()
        health = httpx.get(live.url + "/healthz", timeout=30)
        took = time.monotonic() - asked
        scoring.join(30)
    assert (scored[0].status_code, health.status_code) == (200, 200)
    assert took < 0.3, took
    assert built_on and all(name.startswith("shoprel-model") for name in built_on)

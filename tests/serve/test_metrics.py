"""The /metrics counters a client's tags label: bounded whatever the client sends."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from shoprel.serve.metrics import LanguageLabels, ServeMetrics


def _new_language_samples(metrics: ServeMetrics,
                          name: str = "shoprel_pairs_new_language_total") -> dict[str, float]:
    text = metrics.exposition().decode()
    return {sample.labels["language"]: sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples
            if sample.name == name}


def test_tags_are_labelled_by_base_language_never_as_sent():
    labels = LanguageLabels()
    assert [labels(tag) for tag in ("pt-BR", "PT", "pt_br", "por", "vn", "", "unk", " ",
                                    "12345", "x" * 40, "de-AT")] == [
        "pt", "pt", "pt", "pt", "vi", "untagged", "untagged", "untagged", "other", "other", "de"]


def test_languages_past_the_limit_are_other():
    """A client sending a new two-letter tag per request grew a series per tag."""
    labels = LanguageLabels(limit=3)
    assert [labels(tag) for tag in ("aa", "bb", "aa-XX", "cc", "dd", "ee", "bb", "")] == [
        "aa", "bb", "aa", "cc", "other", "other", "bb", "untagged"]


def test_the_new_language_counter_has_at_most_limit_plus_two_series():
    metrics = ServeMetrics(language_labels=2)
    metrics.count_new_languages({"pt-BR": 2, "PT": 1, "pt_br": 1, "de": 1})
    metrics.count_new_languages({f"{a}{b}": 1 for a in "abc" for b in "xyz"})
    metrics.count_new_languages({"unk": 3, "not a tag": 1})
    assert _new_language_samples(metrics) == {"pt": 4.0, "de": 1.0, "other": 10.0,
                                              "untagged": 3.0}


def test_the_translated_only_counter_is_labelled_and_capped_as_the_new_language_one():
    """It had no label: which language a run saw only through translations could not be told
    from /metrics. Now it takes the new-language counter's labels (one labeller: a language
    is 'other' in both or in neither)."""
    metrics = ServeMetrics(language_labels=2)
    metrics.count_new_languages({"th": 2, "th-TH": 1, "xx": 1}, translated_only=["th", "th-TH"])
    metrics.count_new_languages({"ko": 3, "yy": 1}, translated_only=["ko"])
    metrics.count_new_languages({"th": 1, "unk": 2}, translated_only=["th"])
    assert _new_language_samples(metrics) == {"th": 4.0, "xx": 1.0, "other": 4.0,
                                              "untagged": 2.0}
    assert _new_language_samples(metrics, "shoprel_pairs_translated_only_language_total") == {
        "th": 4.0, "other": 3.0}


def test_a_method_no_http_defines_is_other(qc_server):
    """The request counter was labelled by the method as sent: any token is a method to the
    HTTP parser, so a client sending a new one per request (up to 16 KiB each) grew a series
    per method, kept for the server's life, as the languages' labels once did."""
    import httpx

    def methods() -> dict[str, float]:
        text = httpx.get(qc_server.url + "/metrics").text
        return {sample.labels["method"]: sample.value
                for family in text_string_to_metric_families(text)
                for sample in family.samples if sample.name == "shoprel_requests_total"
                and sample.labels["path"] == "/healthz" and sample.labels["status"] == "405"}

    before = methods()
    for method in ("FOO", "BAR1", "X" * 5000, "DELETE"):
        assert httpx.request(method, qc_server.url + "/healthz").status_code == 405
    after = methods()
    assert not {"FOO", "BAR1", "X" * 5000} & set(after)
    assert after["other"] - before.get("other", 0) == 3
    assert after["DELETE"] - before.get("DELETE", 0) == 1

"""Apertium backend: real translations through the installed Debian pairs."""

from __future__ import annotations

import shutil

import pytest

from shoprel.augment.apertium import ApertiumTranslator, pair_graph, plan_route

needs_apertium = pytest.mark.skipif(
    shutil.which("apertium") is None,
    reason="the apertium command is absent: apt-get install apertium apertium-eng-spa "
           "apertium-fr-es apertium-es-pt apertium-spa-ita")

MODES = ["spa-eng", "eng-spa", "fr-es", "es-fr", "pt-es", "es-pt", "ita-spa", "spa-eng_US",
         "eco-fr-es", "cat-eng", "fra-cat"]


def test_route_planning_direct_pivot_and_none():
    graph = pair_graph(MODES)
    assert "eng_US" not in str(graph) and "eco" not in str(graph)
    assert plan_route(graph, "es", "en") == ["spa-eng"]
    # fr reaches en through es or ca in two hops: Spanish is the preferred pivot
    assert plan_route(graph, "fr", "en") == ["fr-es", "spa-eng"]
    assert plan_route(graph, "it", "fr") == ["ita-spa", "es-fr"]
    assert plan_route(graph, "en", "en") == []
    assert plan_route(graph, "ja", "en") is None
    assert plan_route(graph, "en", "it") is None  # no eng→ita nor spa→ita pair listed


@pytest.fixture(scope="module")
def apertium():
    if shutil.which("apertium") is None:
        pytest.skip("the apertium command is absent (apt-get install apertium apertium-eng-spa)")
    translator = ApertiumTranslator()
    if translator.route("es", "en") is None:
        pytest.skip("apertium is installed without the eng-spa pair (apertium-eng-spa)")
    return translator


@needs_apertium
def test_spanish_query_to_english(apertium):
    out = apertium.translate(["zapatos de mujer", "reloj inteligente"], ["es", "es"], "en")
    assert out == ["shoes of woman", "intelligent clock"]


@needs_apertium
def test_french_pivots_through_spanish(apertium):
    if apertium.route("fr", "en") is None:
        pytest.skip("no fr→en route: install apertium-fr-es")
    assert apertium.route("fr", "en")[0] == "fr-es"
    calls = apertium.process_calls
    out = apertium.translate(["chaussures de femme", "chapeau femme"], ["fr", "fr"], "en")
    assert out == ["shoes of woman", "hat woman"]
    assert apertium.process_calls - calls == 2  # one batched call per hop, not per text


@needs_apertium
def test_unrouted_language_gives_none_not_passthrough(apertium):
    out = apertium.translate(["電動ドリル", "zapatos", "무선 마우스"], ["ja", "es", "ko"], "en")
    assert out[0] is None and out[2] is None
    assert out[1] == "shoes"


@needs_apertium
def test_batch_keeps_alignment_with_awkward_texts(apertium):
    texts = ["funda\npara iphone", "", "[oferta] ^hola$ 50%", "cable usb-c", "⟦0⟧ raro"]
    out = apertium.translate(texts, ["es"] * len(texts), "en")
    assert len(out) == 5
    assert out[1] == ""
    assert out[3] == "cable usb-c"
    assert "iphone" in out[0] and "\n" not in out[0]


@needs_apertium
def test_batched_output_equals_one_call_per_text(apertium):
    if apertium.route("fr", "en") is None:
        pytest.skip("no fr→en route: install apertium-fr-es")
    # Without sentence boundaries around each text, the tagger's context leaked between
    # neighbouring queries and changed these translations.
    texts = ["grand seiko montre", "protection cigare électronique", "chapeau femme été",
             "basket homme sneakers"]
    single = ApertiumTranslator(chunk_size=1)
    assert apertium.translate(texts, ["fr"] * 4, "en") == single.translate(texts, ["fr"] * 4, "en")


@needs_apertium
def test_separator_inside_a_text_falls_back_to_single_calls(apertium):
    calls = apertium.process_calls
    out = apertium.translate(["zapatos", "⟦0⟧", "bolso"], ["es"] * 3, "en")
    assert out == ["shoes", "⟦0⟧", "bag"]
    assert apertium.process_calls - calls == 4  # the failed batch, then one call per text


def test_missing_binary_is_a_clear_error():
    from shoprel.augment.translator import TranslationError

    with pytest.raises(TranslationError, match="'no-such-apertium' command is not installed"):
        ApertiumTranslator(binary="no-such-apertium")


def test_regional_variants_are_keyed_by_their_plain_pair_and_region():
    from shoprel.augment.apertium import regional_modes

    assert regional_modes(MODES + ["es-pt_BR", "spa-cat_valencia", "eco-es-fr"]) == {
        ("spa-eng", "us"): "spa-eng_US", ("es-pt", "br"): "es-pt_BR",
        ("spa-cat", "valencia"): "spa-cat_valencia"}


@needs_apertium
def test_a_regional_target_takes_the_regional_pair_when_installed(apertium):
    """`--to pt-BR` went through es-pt (European Portuguese: 'autocarro', 'comboio') though
    es-pt_BR was installed; the last pair of the route is now its regional variant where one
    is listed, and the plain pair, said by unmet_region, where none is."""
    if "es-pt_BR" not in apertium.model.split(","):
        pytest.skip("no es-pt_BR pair: install apertium-es-pt")
    assert apertium.route("es", "pt-BR") == ["es-pt_BR"]
    assert apertium.route("fr", "pt_br") == ["fr-es", "es-pt_BR"]
    assert apertium.route("es", "pt") == ["es-pt"]
    texts = ["autobús de juguete", "tren eléctrico"]
    assert apertium.translate(texts, ["es", "es"], "pt-BR") == ["ônibus de brinquedo",
                                                                 "trem elétrico"]
    assert apertium.translate(texts, ["es", "es"], "pt") == ["autocarro de brinquedo",
                                                              "comboio elétrico"]
    assert apertium.unmet_region("es", "pt-BR") is None
    assert apertium.unmet_region("es", "pt-PT") == "es-pt"  # no es-pt_PT: the plain pair
    assert apertium.route("es", "pt-PT") == ["es-pt"]
    assert apertium.unmet_region("es", "pt") is None and apertium.unmet_region("ja", "pt-BR") \
        is None

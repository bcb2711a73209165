from shoprel.models.model_words import model_words


def test_a_family_without_a_backbone_is_named_alone():
    """train's student line said "student (fast on -)"."""
    assert model_words("fast", None) == "fast"
    assert model_words("embed", "use-multilingual") == "embed on use-multilingual"
    assert model_words("embed", ["e5-small", "use-multilingual"]) == (
        "embed on e5-small, use-multilingual")

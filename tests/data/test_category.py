from shoprel.data.category import join_levels, node_prefixes, prefix, split_levels, top_level
from shoprel.data.readers import read_pairs


def test_level_names_keep_their_comma_space():
    path = "automobiles, parts & accessories,car wash & maintenance,sponges, cloths & brushes"
    assert split_levels(path) == ["automobiles, parts & accessories", "car wash & maintenance",
                                  "sponges, cloths & brushes"]
    assert top_level(path) == "automobiles, parts & accessories"
    assert prefix(path, 2) == "automobiles, parts & accessories,car wash & maintenance"


def test_plain_paths_and_prefixes():
    path = "home & garden,kitchen,drinkware"
    assert split_levels(path) == ["home & garden", "kitchen", "drinkware"]
    assert node_prefixes(path) == ["home & garden", "home & garden,kitchen", path]
    assert prefix(path, 10) == path
    assert split_levels("") == []


def test_every_real_path_round_trips(real_qc):
    paths = read_pairs(real_qc).df["target"].unique()
    with_comma_space = [p for p in paths if ", " in p]
    assert len(with_comma_space) > 100
    for path in paths:
        levels = split_levels(path)
        assert join_levels(levels) == path
        assert all(level == level.strip() and level for level in levels)
    assert ["jewelry & accessories", "jewelry making", "jewelry findings & components（new）",
            "jewelry findings & components(old, obsolete)"] in [split_levels(p) for p in paths]


def test_levels_are_a_fresh_list_each_call():
    """split_levels is cached per path: a caller changing its list must not change the next."""
    path = "home & garden,kitchen,drinkware"
    split_levels(path).append("mugs")
    assert split_levels(path) == ["home & garden", "kitchen", "drinkware"]
    assert prefix(path, 2) == "home & garden,kitchen"

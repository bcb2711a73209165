from pathlib import Path

from shoprel.utils.shoprel_folders import occupied


def test_a_dangling_link_occupies_its_path_and_nothing_else_does(tmp_path: Path):
    empty = tmp_path / "nothing"
    assert not occupied(empty)
    dangling = tmp_path / "link"
    dangling.symlink_to(tmp_path / "gone")
    assert not dangling.exists()
    assert occupied(dangling)
    (tmp_path / "file").write_text("x")
    (tmp_path / "folder").mkdir()
    assert occupied(tmp_path / "file") and occupied(tmp_path / "folder")

import errno
import tempfile

import pytest

from shoprel.errors import OutputError
from shoprel.utils.atomic import atomic_dir, atomic_file


def _no_new_files(*args, **kwargs):
    raise FileNotFoundError(errno.ENOENT, "No such file or directory")


@pytest.mark.parametrize("write", [atomic_file, atomic_dir], ids=["file", "folder"])
def test_a_folder_that_takes_no_new_file_is_said_in_one_line(tmp_path, monkeypatch, write):
    """`predict RUN rows.txt --out /proc/x.csv` (a folder whose access test passes, where a
    new file is 'No such file or directory') was a FileNotFoundError traceback."""
    monkeypatch.setattr(tempfile, "mkstemp", _no_new_files)
    monkeypatch.setattr(tempfile, "mkdtemp", _no_new_files)
    with pytest.raises(OutputError) as info, write(tmp_path / "out.csv"):
        pass
    assert str(info.value) == (f"{tmp_path / 'out.csv'}: cannot write in {tmp_path} "
                               "(No such file or directory)")
    assert list(tmp_path.iterdir()) == []

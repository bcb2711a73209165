import os

from shoprel.utils.lock_files import foreign_lock_words


def test_a_bare_pid_is_named_with_or_without_its_line_end():
    """A pid written by `echo` ends in a newline: it was said to be 'another program's' with
    no pid, where the same pid without it was named and checked."""
    mine = os.getpid()
    for held in (f"{mine}", f"{mine}\n", f"{mine}\r\n"):
        said = foreign_lock_words(held.encode())
        assert said.startswith(f"it holds pid {mine}, a running "), held
    assert foreign_lock_words(b"12 34\n") == "another program's, or an older shoprel's"
    assert foreign_lock_words(b"").startswith("it is empty")

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


def test_a_number_no_process_can_have_is_no_running_pid():
    """A lock holding a time in milliseconds (past a pid's C type) was an OverflowError
    traceback; 0 addresses the process group, so it was called a running process's."""
    for number in ("1733500000000", "99999999999999999999\n", "0"):
        said = foreign_lock_words(number.encode())
        assert said == (f"it holds pid {int(number)}, not running: left by an older shoprel or "
                        "another program that stopped"), number

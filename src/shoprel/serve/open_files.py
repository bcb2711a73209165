"""Room in the process's open-file limit for --max-connections: each connection is a file
descriptor, and a soft limit of 1,024 (many systems' default) ran out before the connection
cap applied, every connection past it refused by the kernel ("too many open files") and
nothing else the server opens (a cache, a model file) able to open either."""

from __future__ import annotations

from collections.abc import Callable

try:
    import resource
except ImportError:  # Windows: no such limit to make room in
    resource = None

# descriptors the process holds besides its connections: model and cache files, SQLite,
# the listening socket, the event loop's own, a worker supervisor's pipes
RESERVED_FILES = 128


def make_room_for(max_connections: int, warn: Callable[[str], None] | None = None) -> int | None:
    """Raise the soft open-file limit toward what `max_connections` need (up to the hard
    limit, which needs no privilege; workers inherit it), and say in one line when the hard
    limit leaves too little. Returns the soft limit in force after, or None where the
    system has no such limit (Windows: no `resource` module), nothing to raise or say."""
    if resource is None:
        return None
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    needed = max_connections + RESERVED_FILES
    if soft == resource.RLIM_INFINITY or soft >= needed:
        return soft
    raised = needed if hard == resource.RLIM_INFINITY else min(hard, needed)
    if raised > soft:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (raised, hard))
            soft = raised
        except (ValueError, OSError):  # a system that will not raise it: said below
            pass
    if soft < needed and warn is not None:
        room = max(soft - RESERVED_FILES, 0)
        warn(f"warning: --max-connections {max_connections} needs ~{needed} open files but this "
             f"process may open {soft} (ulimit -n); about {room} connections can be served: "
             f"raise the limit (ulimit -n {needed}) or give --max-connections {max(room, 1)}")
    return soft

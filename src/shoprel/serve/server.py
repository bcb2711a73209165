"""Run the app under uvicorn: one process, or N worker processes rebuilt from the environment."""

from __future__ import annotations

import errno
import os
import socket
from collections.abc import Callable
from pathlib import Path

import uvicorn
from uvicorn.supervisors import Multiprocess

from shoprel.errors import ConfigError
from shoprel.run.folder import Run
from shoprel.run.students import scoring_run
from shoprel.serve.connections import (
    DEFAULT_MAX_CONNECTIONS,
    KEEP_ALIVE_SECONDS,
    GuardedHTTPProtocol,
    uvicorn_limit,
)
from shoprel.serve.guards import exposure_warning
from shoprel.serve.logs import log_config
from shoprel.serve.open_files import make_room_for
from shoprel.serve.parent_watch import SUPERVISOR_ENV
from shoprel.serve.settings import QUIET_ENV, RUN_DIR_ENV, ServeSettings
from shoprel.utils.progress import bars_allowed

GRACEFUL_SHUTDOWN_SECONDS = 30
WORKERS_PER_CORE = 2  # the most --workers per core this process may use


def usable_cores() -> int:
    """The CPU cores this process may run on (its affinity, where the system says it)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


def check_workers(workers: int, cores: int | None = None) -> None:
    """At most WORKERS_PER_CORE workers a core: each loads the model and scores with its own
    threads, so more only share the cores, and uvicorn's supervisor starts every one before it
    heeds a signal: `--workers 99999999` started processes until the machine ran out of
    memory, and no Ctrl-C or SIGTERM stopped it."""
    cores = cores or usable_cores()
    most = WORKERS_PER_CORE * cores
    if workers > most:
        raise ConfigError(f"--workers {workers}: more than this machine can use ({cores} CPU "
                          f"core{'s' if cores != 1 else ''}, {WORKERS_PER_CORE} workers a core "
                          f"at most; each loads the model and scores with its own threads); "
                          f"give --workers {most} or fewer (1 suits a machine with few cores)")


def check_address(host: str, port: int) -> None:
    """The address must resolve and be free: one ConfigError line, not uvicorn's log and exit
    code 3 (the port may still be taken between this check and the server's own bind)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise ConfigError(f"--host {host!r}: not an address this machine can listen on "
                          f"({exc})") from None
    if port == 0:
        return  # the system picks a free port
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            probe.bind(address)
        except OSError as exc:
            why = ("already in use" if exc.errno == errno.EADDRINUSE
                   else exc.strerror or str(exc))
            # an address of another machine is the host's fault, not the port's
            if exc.errno == errno.EADDRNOTAVAIL:
                option, fix = f"--host {host}", "give an address of this machine (127.0.0.1)"
            else:
                option, fix = f"--port {port}", ("stop what listens there, or give another "
                                                 "--port (0: any free one)")
            raise ConfigError(f"{option}: cannot listen on {host}:{port} ({why}); {fix}") from None


class ClosingSupervisor(Multiprocess):
    """uvicorn's supervisor of worker processes, closing its own copy of the listening socket
    when shutdown begins: otherwise it stays open until every worker has exited, so a client
    that connects meanwhile is queued where no worker accepts it and reset at exit after
    sending its request, instead of being refused as by a single process."""

    def terminate_all(self) -> None:
        for sock in self.sockets:
            sock.close()
        super().terminate_all()


def run_server(run_dir: str | Path, settings: ServeSettings, host: str = "127.0.0.1",
               port: int = 8000, workers: int = 1, log_level: str = "info",
               warn: Callable[[str], None] | None = None,
               max_connections: int = DEFAULT_MAX_CONNECTIONS) -> None:
    """Blocks until stopped; on SIGINT/SIGTERM in-flight requests finish before exit; each
    process serves `max_connections` connections at most (serve/connections.py). `warn`
    hears of a server others can reach without an API key, and of a recorded translator
    without the region it is asked (translate's warning), once the address and the run have
    passed their checks (not before a failure)."""
    from shoprel.serve.app import create_app, open_served_predictor

    run_dir = Path(run_dir).resolve()
    check_workers(workers)
    check_address(host, port)
    # a bad run directory (or a student it lacks) is one clear error, before any worker starts
    scoring_run(Run.open(run_dir), "student" if settings.scorer == "cascade" else settings.scorer)
    # so is a broken model file, an --index folder that cannot be used, a translator the run
    # records that cannot be made, or more --recent-texts than fit (open_predictor checks
    # that before any model loads), before the warning: one process builds its app here;
    # for N workers the run is opened here as each worker will open it, so it fails once,
    # not in a traceback per worker that uvicorn restarts without end
    if workers == 1:
        app = create_app(run_dir, settings, warn=False)  # said below, after the exposure line
        fallback = app.state.translation.region_fallback
    else:
        from shoprel.serve.translation import QueryTranslation

        translation = QueryTranslation(open_served_predictor(run_dir, settings),
                                       cache=settings.translator_cache)
        translation.close()
        fallback = translation.region_fallback
    warning = exposure_warning(host, settings.api_key)
    if warning and warn is not None:
        warn(warning)
    if fallback and warn is not None:  # once here, not per worker or request
        warn(f"warning: {fallback}")
    make_room_for(max_connections, warn)  # before the workers, which inherit the limit
    common = {"host": host, "port": port, "log_level": log_level,
              "log_config": log_config(log_level),  # long paths and values cut in log lines
              "timeout_graceful_shutdown": GRACEFUL_SHUTDOWN_SECONDS,
              # requests sent before a shutdown are answered; each has a deadline to arrive
              "http": GuardedHTTPProtocol,
              "limit_concurrency": uvicorn_limit(max_connections),
              "timeout_keep_alive": KEEP_ALIVE_SECONDS}
    if workers == 1:
        uvicorn.run(app, **common)
        return
    os.environ[RUN_DIR_ENV] = str(run_dir)
    os.environ[SUPERVISOR_ENV] = str(os.getpid())  # workers stop when this process is gone
    os.environ.update(settings.to_env())
    os.environ[QUIET_ENV] = "" if bars_allowed() else "1"  # a worker's notes (loading encoders)
    config = uvicorn.Config("shoprel.serve.app:app_from_env", factory=True, workers=workers,
                            **common)
    ClosingSupervisor(config, sockets=[config.bind_socket()]).run()

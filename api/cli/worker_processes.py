"""``sconet serve --workers N``: N processes, each serving both applications, supervised by the
command's own process.

The parent binds both ports once and hands the listening sockets to every worker, so that
each one serves the staff portal with the API and the families portal and the kernel spreads
the connections over them. Workers are started by ``spawn`` (a fresh interpreter, as uvicorn
does): nothing of the parent's event loop or database connections is inherited. Whatever the
processes must agree on lives in the databases, not in a process: sessions and their CSRF
tokens, guess counters and request windows, the outbox claims, the OAuth signing keys, the
replication lock. What must run once (the outbox worker, the replication schedule) runs in
the parent, beside the supervision.

Stopping: SIGTERM or Ctrl-C on the parent sends SIGTERM to every worker, which finishes its
open requests (for ``GRACEFUL_SHUTDOWN_SECONDS`` at most) before the parent kills whatever
remains. A worker whose parent died without stopping it (SIGKILL) stops by itself, so no
orphan keeps serving the ports. A worker that dies otherwise is replaced, unless it could not
start, which stops ``serve`` (the next one would fail alike).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
import signal
import socket
import sys
import time
from collections.abc import Callable, Iterator
from multiprocessing.context import SpawnProcess

import uvicorn
from uvicorn.config import STARTUP_FAILURE

from api.cli.servers import Listening, app_configs, configure_logging, tune_garbage_collection
from api.settings import Settings

log = logging.getLogger("sconet.serve")

# A stopping worker waits this long for its open requests (an export being written)...
GRACEFUL_SHUTDOWN_SECONDS = 20
# ... and the parent kills it if it is still there after this.
KILL_AFTER_SECONDS = GRACEFUL_SHUTDOWN_SECONDS + 10.0
# How often the parent looks for dead workers, and a worker for its parent.
WATCH_SECONDS = 0.5
# Connections waiting to be accepted while every worker is busy (uvicorn's default).
BACKLOG = 2048


def bind(host: str, port: int) -> socket.socket:
    """A listening socket, bound once in the parent for every worker (as uvicorn binds)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP named, not 0: asyncio sets TCP_NODELAY only on sockets that say they are TCP,
    # and without it every small answer waits 40 ms for the client's delayed acknowledgement.
    listening = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listening.bind((host, port))
        listening.listen(BACKLOG)
    except OSError:
        listening.close()
        raise
    return listening


class WorkerProcesses:
    """The worker processes of one ``serve``, over the sockets the parent bound."""

    def __init__(
        self,
        settings: Settings,
        listening: Listening,
        sockets: list[socket.socket],
        count: int,
    ) -> None:
        self.settings = settings
        self.listening = listening
        self.sockets = sockets
        self.count = count
        self.processes: list[SpawnProcess] = []

    def _start_one(self) -> SpawnProcess:
        process = multiprocessing.get_context("spawn").Process(
            target=serve_in_worker,
            args=(self.settings, self.listening, self.sockets, os.getpid()),
            name="sconet-serve-worker",
        )
        process.start()
        return process

    def start(self) -> None:
        self.processes = [self._start_one() for _ in range(self.count)]

    def replace_dead(self) -> str | None:
        """Replace the workers that died; the reason to stop when one could not start."""
        for index, process in enumerate(self.processes):
            if process.is_alive():
                continue
            process.join()
            if process.exitcode == STARTUP_FAILURE:
                return (
                    f"un processus serveur (pid {process.pid}) n'a pas pu démarrer : "
                    "voir son message ci-dessus"
                )
            log.warning(
                "Processus serveur %s arrêté (code %s) : remplacé.", process.pid, process.exitcode
            )
            self.processes[index] = self._start_one()
        return None

    def _join_within(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        for process in self.processes:
            process.join(max(0.0, deadline - time.monotonic()))

    async def stop(self) -> None:
        """SIGTERM to every worker; those still there after ``KILL_AFTER_SECONDS`` are killed."""
        for process in self.processes:
            if process.is_alive():
                process.terminate()
        await asyncio.to_thread(self._join_within, KILL_AFTER_SECONDS)
        for process in self.processes:
            if process.is_alive():
                log.warning("Processus serveur %s tué : il ne s'arrêtait pas.", process.pid)
                process.kill()
            process.join()


async def supervise(workers: WorkerProcesses) -> str | None:
    """Run the workers until SIGTERM or Ctrl-C, then stop them all; returns why ``serve``
    must fail (a worker could not start), or None after a requested stop."""
    loop = asyncio.get_running_loop()
    stopping = asyncio.Event()
    with _handled(loop, stopping):
        try:
            workers.start()
            while True:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stopping.wait(), WATCH_SECONDS)
                if stopping.is_set():
                    return None
                failure = workers.replace_dead()
                if failure is not None:
                    return failure
        finally:
            await workers.stop()


@contextlib.contextmanager
def _handled(loop: asyncio.AbstractEventLoop, stopping: asyncio.Event) -> Iterator[None]:
    signals = (signal.SIGINT, signal.SIGTERM)
    for number in signals:
        loop.add_signal_handler(number, stopping.set)
    try:
        yield
    finally:
        for number in signals:
            loop.remove_signal_handler(number)


# ------------------------------------------------------------------------ in each worker


class _WorkerServer(uvicorn.Server):
    """A uvicorn server that leaves the signals to its process: one SIGTERM stops both of the
    worker's servers (uvicorn would give it to the last one started only)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def serve_in_worker(
    settings: Settings, listening: Listening, sockets: list[socket.socket], parent_pid: int
) -> None:
    """A worker process: both applications, on the sockets its parent bound."""
    # Ctrl-C reaches every process of the terminal: the parent alone decides, and stops the
    # workers with SIGTERM (each then finishes its requests).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    configure_logging()
    try:
        configs = app_configs(settings, listening, GRACEFUL_SHUTDOWN_SECONDS)
    except Exception:
        log.exception("Les applications n'ont pas pu être construites.")
        sys.exit(STARTUP_FAILURE)
    tune_garbage_collection()
    servers = [_WorkerServer(config) for config in configs]
    asyncio.run(_serve(servers, sockets, parent_pid))


async def _serve(
    servers: list[_WorkerServer], sockets: list[socket.socket], parent_pid: int
) -> None:
    def stop() -> None:
        for server in servers:
            # A second SIGTERM does not wait for the open requests any more.
            server.force_exit = server.should_exit
            server.should_exit = True

    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop)
    orphaned = asyncio.create_task(_stop_when_orphaned(parent_pid, stop))
    try:
        await asyncio.gather(
            *(server.serve(sockets=[bound]) for server, bound in zip(servers, sockets, strict=True))
        )
    finally:
        orphaned.cancel()


async def _stop_when_orphaned(parent_pid: int, stop: Callable[[], None]) -> None:
    """Stop when the parent is gone (killed): the worker is then the child of another."""
    while os.getppid() == parent_pid:  # noqa: ASYNC110 (no portable event for a parent's death)
        await asyncio.sleep(WATCH_SECONDS)
    log.warning("Le processus parent %s a disparu : arrêt.", parent_pid)
    stop()

"""Loopback TCP to Unix socket relays, for answers in a sandbox without a network.

A confined answer has a network namespace of its own: it cannot reach the fake upstream
services the checks run, and the checks cannot reach into it. The services listen on Unix
sockets in a folder the sandbox sees read-only; this relay listens on 127.0.0.1 inside the
sandbox and opens one Unix connection per TCP connection, so what a service observes
(connections opened, requests, streamed bytes) is what the answer did.

The relay is a process of its own, forked before the answer's code is loaded, and it makes
itself undumpable, so the answer can stop it but cannot change what it does.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import signal
import socket

PR_SET_DUMPABLE = 4
PARENT_POLL_SECONDS = 0.05
CHUNK = 65536


def open_listeners(targets: dict[str, str]) -> dict[str, tuple[socket.socket, str]]:
    """One loopback listener per service, on a port the kernel picks."""
    listeners = {}
    for name, path in targets.items():
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.bind(("127.0.0.1", 0))
        sock.listen(128)
        listeners[name] = (sock, path)
    return listeners


def start(targets: dict[str, str]) -> dict[str, str]:
    """Fork the relay process; return each service's loopback URL for the answer."""
    if not targets:
        return {}
    listeners = open_listeners(targets)
    urls = {
        name: f"http://127.0.0.1:{sock.getsockname()[1]}" for name, (sock, _) in listeners.items()
    }
    answer = os.getpid()
    pid = os.fork()
    if pid == 0:
        try:
            # The stop signal goes to the answer's whole process group; the relay outlives it
            # until the answer itself has ended, so that what the app sends while it shuts
            # down (a flush in its lifespan) still reaches the services.
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            _close_all_but(sock.fileno() for sock, _ in listeners.values())
            _undumpable()
            asyncio.run(_serve(listeners, answer))
        finally:
            os._exit(0)
    for sock, _ in listeners.values():
        sock.close()
    return urls


def _close_all_but(keep: object) -> None:
    """The relay holds nothing of the answer's: not its app socket, not its report pipe.

    Otherwise they would stay open after the answer ends, and the checks could not tell.
    """
    kept = sorted(set(keep))  # type: ignore[call-overload]
    low = 3
    for fd in kept:
        os.closerange(low, fd)
        low = fd + 1
    os.closerange(low, os.sysconf("SC_OPEN_MAX"))


def _undumpable() -> None:
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)


async def _serve(listeners: dict[str, tuple[socket.socket, str]], answer: int) -> None:
    servers = []
    for sock, path in listeners.values():

        async def handle(reader, writer, path=path):  # type: ignore[no-untyped-def]
            await _relay(reader, writer, path)

        servers.append(await asyncio.start_server(handle, sock=sock))
    serving = asyncio.gather(*(server.serve_forever() for server in servers))
    await _answer_ended(answer)
    serving.cancel()


async def _answer_ended(answer: int) -> None:
    """Return once the answer process (the relay's parent) has ended."""
    try:
        watched = os.pidfd_open(answer)  # readable when that process ends (Linux 5.3 on)
    except OSError:
        while os.getppid() == answer:  # noqa: ASYNC110 - no event tells of another's end
            await asyncio.sleep(PARENT_POLL_SECONDS)
        return
    ended = asyncio.Event()
    asyncio.get_running_loop().add_reader(watched, ended.set)
    try:
        await ended.wait()
    finally:
        asyncio.get_running_loop().remove_reader(watched)
        os.close(watched)


async def _relay(
    client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter, path: str
) -> None:
    try:
        upstream_reader, upstream_writer = await asyncio.open_unix_connection(path)
    except OSError:
        client_writer.close()
        return

    async def pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(CHUNK):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            with contextlib.suppress(OSError, RuntimeError):
                if writer.can_write_eof():
                    writer.write_eof()

    await asyncio.gather(pump(client_reader, upstream_writer), pump(upstream_reader, client_writer))
    for writer in (client_writer, upstream_writer):
        with contextlib.suppress(OSError):
            writer.close()

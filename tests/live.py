"""A real ``byline serve`` process on a free loopback port, for tests that speak HTTP."""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import httpx2

ROOT = Path(__file__).resolve().parent.parent
STARTUP_TIMEOUT_S = 30.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def live_server(database_url: str, log: Path | None = None, /, **env: str) -> Iterator[str]:
    """Run ``byline serve`` from the repository root; yield its base URL; stop it. With
    ``log``, what the server prints goes to that file (else to a pipe read when it fails)."""
    port = free_port()
    environment = {**os.environ, "BYLINE_DATABASE_URL": database_url, **env}
    output: IO[str] | int = log.open("w") if log is not None else subprocess.PIPE
    process = subprocess.Popen(
        [sys.executable, "-m", "app", "serve", "--port", str(port)],
        cwd=ROOT,
        env=environment,
        stdout=output,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while True:
            if process.poll() is not None:
                printed = (
                    process.stdout.read() if process.stdout else log.read_text() if log else ""
                )
                raise RuntimeError(f"byline serve exited with {process.returncode}:\n{printed}")
            try:
                # Ready, as a load balancer would wait: the search index holds the store.
                if httpx2.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx2.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("byline serve was not ready (/readyz) in time")
            time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout:
            process.stdout.close()
        if not isinstance(output, int):
            output.close()

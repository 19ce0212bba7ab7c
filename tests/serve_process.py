"""`python build.py serve --port 0` run as a process for tests: its output lines as they come, its pages and its reload events."""

from __future__ import annotations

import http.client
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from conftest import ROOT, as_from_a_terminal


class ServeProcess:
    """The preview, started in `folder` with these further arguments. Both output streams are read
    by threads as the process prints; `seen` holds every line read so far, as (stream, line) with
    stream "out" or "err", in the order read (the two streams' lines interleave in any order)."""

    def __init__(self, folder: Path, *args: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(ROOT / "build.py"), "serve", "--port", "0", *args],
            cwd=folder, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"}, preexec_fn=as_from_a_terminal)
        self.lines: queue.Queue[tuple[str, str]] = queue.Queue()
        self.seen: list[tuple[str, str]] = []
        self.pumps = [threading.Thread(target=self._pump, args=(name, stream), daemon=True)
                      for name, stream in (("out", self.process.stdout), ("err", self.process.stderr))]
        for pump in self.pumps:
            pump.start()
        line = self.wait_for("out", "serving ")
        self.url = line.split(" at ", 1)[1].split()[0]
        self.host, self.port = self.url.removeprefix("http://").rstrip("/").split(":")

    def _pump(self, name: str, stream) -> None:
        for line in stream:
            self.lines.put((name, line))

    def find(self, stream: str, text: str | tuple[str, ...], since: int = 0, timeout: float = 120) -> int:
        """Where in `seen` the first line on `stream` holding `text` (or one of several) is, from
        line `since` of everything printed; waits for it up to `timeout` seconds. Fails at once if
        the process ends without printing it."""
        texts = (text,) if isinstance(text, str) else text
        deadline = time.monotonic() + timeout
        checked = since
        while True:
            for at in range(checked, len(self.seen)):
                name, line = self.seen[at]
                if name == stream and any(text in line for text in texts):
                    return at
            checked = max(checked, len(self.seen))
            if time.monotonic() > deadline:
                raise AssertionError(f"no {text!r} on std{stream}: {self.seen[since:][-20:]}")
            try:
                self.seen.append(self.lines.get(timeout=0.2))
            except queue.Empty:
                # An ended process may still have lines in the pipes: it has said all once both are read.
                assert self.process.poll() is None or any(pump.is_alive() for pump in self.pumps), \
                    f"the preview ended without {text!r} on std{stream}: {self.seen[since:][-20:]}"

    def wait_for(self, stream: str, text: str | tuple[str, ...], since: int = 0, timeout: float = 120) -> str:
        """The first line on `stream` holding `text` (or one of several) from line `since` (find)."""
        return self.seen[self.find(stream, text, since, timeout)][1]

    def printed(self, stream: str, since: int = 0) -> str:
        """What `stream` has printed so far, from line `since` of everything printed; all of it once
        the process has ended."""
        if self.process.poll() is not None:
            for pump in self.pumps:
                pump.join(timeout=10)
        while True:
            try:
                self.seen.append(self.lines.get_nowait())
            except queue.Empty:
                break
        return "".join(line for name, line in self.seen[since:] if name == stream)

    def get(self, path: str = "") -> tuple[int, bytes]:
        connection = http.client.HTTPConnection(self.host, int(self.port), timeout=30)
        try:
            connection.request("GET", "/" + path)
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()

    def events(self, wait: float) -> list[tuple[str, str]]:
        """The events a page opening now receives within `wait` seconds."""
        with socket.create_connection((self.host, int(self.port)), timeout=30) as connection:
            connection.sendall(b"GET /__livereload HTTP/1.1\r\nHost: preview\r\n\r\n")
            connection.settimeout(wait)
            data = b""
            try:
                while chunk := connection.recv(65536):
                    data += chunk
            except TimeoutError:
                pass
        found: list[tuple[str, str]] = []
        for block in data.decode().split("\r\n\r\n", 1)[-1].split("\n\n"):
            name = next((line[7:] for line in block.splitlines() if line.startswith("event: ")), None)
            payload = "\n".join(line[6:] for line in block.splitlines() if line.startswith("data: "))
            if name:
                found.append((name, payload))
        return found

    def interrupt(self) -> int:
        """Ctrl-C, as a terminal sends it; the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        return self.process.wait(timeout=60)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=30)

"""A local Hugging Face Daily Papers API for tests: recorded responses, paged with a cap on
`limit`, and each fault a client must survive, injected on demand."""

from __future__ import annotations

import json
import socket
import struct
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from conftest import FIXTURES

RECORDED = FIXTURES / "hf-api"
CAP = 10
"""The replay server sends at most this many items a page, whatever `limit` asks."""
DAYS = {day: json.loads((RECORDED / f"{day}.json").read_text(encoding="utf-8"))
        for day in ("2024-09-03", "2025-10-06", "2025-10-07", "2025-10-08")}


class Replay(ThreadingHTTPServer):
    """GET /api/daily_papers?date=&p=&limit= from the recorded days; any other date is an empty
    list, as a weekend is. `faults[(date, page)]` lists what the next requests for that page get
    instead of their answer, one each: an HTTP status ("404", "429", "500", "503"), "reset" (the
    connection closed without a response), "slow" (the answer after `slow` seconds), "truncated"
    (half the body announced whole), "invalid" (a body that is not JSON), "redirect" (302 to the same
URL with `&moved=1`) or "interrupt" (sets `waiting`, then answers after `slow` seconds)."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), ReplayHandler)
        self.url = f"http://127.0.0.1:{self.server_address[1]}"
        self.bodies = {day: items for day, items in DAYS.items()}
        self.faults: dict[tuple[str, int], list[str]] = {}
        self.requests: list[dict] = []  # path, date, page, limit, headers, time
        self.retry_after = "1"
        self.slow = 2.0
        self.overlap = 0  # each page after the first repeats this many items of the one before
        self.ignore_page = False
        self.waiting = threading.Event()  # set when a request hits "interrupt"
        self.lock = threading.Lock()

    def handle_error(self, request, client_address) -> None:
        pass  # a client that gave up on a slow answer closed its end: expected here

    def pages(self, day: str) -> list[int]:
        return [request["page"] for request in self.requests if request["date"] == day]


class ReplayHandler(BaseHTTPRequestHandler):
    server: Replay

    def log_message(self, format, *args) -> None:
        pass

    def send_body(self, status: int, body: bytes, announced: int | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body) if announced is None else announced))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        server = self.server
        url = urlsplit(self.path)
        query = {key: values[0] for key, values in parse_qs(url.query).items()}
        day, page, limit = query.get("date", ""), int(query.get("p", 0)), int(query.get("limit", 50))
        with server.lock:
            server.requests.append({"path": url.path, "date": day, "page": page, "limit": limit,
                                    "headers": dict(self.headers), "time": time.monotonic()})
            pending = server.faults.get((day, page))
            fault = pending.pop(0) if pending else None
        if not url.path.endswith("/api/daily_papers"):
            return self.send_body(404, b'{"error":"Not Found"}')
        items = server.bodies.get(day, [])
        size = min(limit, CAP)
        start = 0 if server.ignore_page else max(0, page * size - server.overlap)
        body = json.dumps(items[start:start + size + (server.overlap if page else 0)]).encode()
        if page * size >= len(items) and not server.ignore_page:
            body = b"[]"
        if fault is None:
            self.send_body(200, body)
        elif fault.isdigit():
            self.send_response(int(fault))
            if fault == "429":
                self.send_header("Retry-After", server.retry_after)
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif fault == "reset":
            # Linger 0: closing sends a reset, with no response at all.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
        elif fault == "slow":
            time.sleep(server.slow)
            self.send_body(200, body)
        elif fault == "truncated":
            self.send_body(200, body[: len(body) // 2], announced=len(body))
            self.close_connection = True
        elif fault == "invalid":
            self.send_body(200, body[: len(body) // 2])
        elif fault == "redirect":
            self.send_response(302)
            self.send_header("Location", f"{self.path}&moved=1")
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif fault == "interrupt":
            server.waiting.set()
            time.sleep(server.slow)
            self.send_body(200, body)


@contextmanager
def replaying() -> Iterator[Replay]:
    """A Replay server answering from a thread until the block ends."""
    replay = Replay()
    thread = threading.Thread(target=replay.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield replay
    finally:
        replay.shutdown()
        replay.server_close()

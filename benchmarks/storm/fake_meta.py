"""The fake Meta, in two processes of its own: one answers each send at once, the other posts
the three signed status webhooks back when they are due."""

from __future__ import annotations

import hashlib
import heapq
import hmac
import http.client
import itertools
import json
import multiprocessing
import queue
import random
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .config import PHONE_NUMBER_ID, POSTERS, SECRET


def status_body(message_id: str, status: str, to: str) -> bytes:
    entry: dict[str, Any] = {
        "id": message_id,
        "status": status,
        "timestamp": str(int(time.time())),
        "recipient_id": to,
    }
    if status != "read":
        entry["pricing"] = {
            "billable": True,
            "pricing_model": "PMP",
            "category": "utility",
            "type": "regular",
        }
        entry["conversation"] = {"id": "conv-" + to, "origin": {"type": "utility"}}
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "390700000000", "phone_number_id": PHONE_NUMBER_ID},
        "statuses": [entry],
    }
    return json.dumps(
        {
            "object": "whatsapp_business_account",
            "entry": [{"id": "1", "changes": [{"field": "messages", "value": value}]}],
        },
        separators=(",", ":"),
    ).encode()


def fake_meta(port: int, control: Any, handoff: Any) -> None:
    """Answer sends at once, and hand each one's three statuses, with the times they are due,
    to the poster process (two processes: the answers must not wait for the posting's GIL).
    On "dump", send back the sends seen."""
    sends: list[tuple[float, str]] = []
    lock = threading.Lock()
    ids = itertools.count(1)
    rng = random.Random(17)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # The answer's headers and body leave in two writes: with Nagle's algorithm on, the
        # body waited for the client's delayed ACK, ~40 ms per send, which capped each batch
        # task's sequential sends near 20/s (4 worker processes: ~80/s at best, 55/s seen).
        # Meta's servers answer without that stall; so does the fake now.
        disable_nagle_algorithm = True

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            to = str(json.loads(body or b"{}").get("to", "")).lstrip("+")
            now = time.time()
            wamid = f"wamid.storm{next(ids):09d}"
            sent = now + rng.uniform(0.3, 1.0)
            delivered = sent + rng.uniform(0.5, 2.5)
            read = delivered + rng.uniform(1.0, 8.0)
            with lock:
                sends.append((now, to))
            handoff.put((wamid, to, sent, delivered, read))
            data = json.dumps(
                {"messaging_product": "whatsapp", "messages": [{"id": wamid}]}
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    control.send("ready")
    while True:
        command = control.recv()
        if command == "stop":
            return
        with lock:
            control.send(list(sends))
            if command == "reset":
                sends.clear()


def fake_meta_poster(webhook_port: int, control: Any, handoff: Any) -> None:
    """Post each send's signed status webhooks when due, over POSTERS keep-alive connections.
    On "dump", send back (answered at, latency, HTTP status) of each post and how many wait."""
    posted: list[tuple[float, float, int]] = []
    due: list[tuple[float, int, bytes]] = []
    ready: queue.Queue = queue.Queue()
    lock = threading.Condition()
    order = itertools.count()

    def receiver() -> None:
        while True:
            wamid, to, *times = handoff.get()
            with lock:
                for at, status in zip(times, ("sent", "delivered", "read"), strict=True):
                    heapq.heappush(due, (at, next(order), status_body(wamid, status, to)))
                lock.notify()

    def scheduler() -> None:
        while True:
            with lock:
                while not due or due[0][0] > time.time():
                    lock.wait(timeout=(due[0][0] - time.time()) if due else 0.5)
                _at, _n, payload = heapq.heappop(due)
            ready.put(payload)

    def poster() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", webhook_port, timeout=30)
        while True:
            payload = ready.get()
            signature = "sha256=" + hmac.new(SECRET.encode(), payload, hashlib.sha256).hexdigest()
            started = time.time()
            # A keep-alive connection gunicorn closed while idle (between the two runs) fails
            # once without reaching the product: sent again on a new one, timed from there.
            for attempt in (1, 2):
                try:
                    connection.request(
                        "POST",
                        "/webhooks/whatsapp/meta/",
                        body=payload,
                        headers={
                            "Content-Type": "application/json",
                            "X-Hub-Signature-256": signature,
                        },
                    )
                    response = connection.getresponse()
                    response.read()
                    code = response.status
                    break
                except (OSError, http.client.HTTPException):
                    connection.close()
                    connection = http.client.HTTPConnection("127.0.0.1", webhook_port, timeout=30)
                    code = 0
                    started = time.time()
                    if attempt == 2:
                        break
            done = time.time()
            with lock:
                posted.append((done, done - started, code))

    for target in (receiver, scheduler) + (poster,) * POSTERS:
        threading.Thread(target=target, daemon=True).start()
    control.send("ready")
    while True:
        command = control.recv()
        if command == "stop":
            return
        with lock:
            control.send((list(posted), len(due) + ready.qsize()))
            if command == "reset":
                posted.clear()


class FakeMeta:
    """The two processes of the fake Meta, asked together."""

    def __init__(self, graph_port: int, web_port: int) -> None:
        handoff: Any = multiprocessing.Queue()
        self.answers, answers_child = multiprocessing.Pipe()
        self.posts, posts_child = multiprocessing.Pipe()
        self.processes = [
            multiprocessing.Process(target=fake_meta, args=(graph_port, answers_child, handoff)),
            multiprocessing.Process(target=fake_meta_poster, args=(web_port, posts_child, handoff)),
        ]
        for process in self.processes:
            process.start()
        assert self.answers.recv() == "ready"
        assert self.posts.recv() == "ready"

    def dump(self, command: str = "dump") -> dict[str, Any]:
        self.answers.send(command)
        self.posts.send(command)
        sends = self.answers.recv()
        posted, waiting = self.posts.recv()
        return {"sends": sends, "posted": posted, "due": waiting}

    def stop(self) -> None:
        self.answers.send("stop")
        self.posts.send("stop")
        for process in self.processes:
            process.join(timeout=10)
            if process.is_alive():
                process.kill()

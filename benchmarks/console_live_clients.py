"""The clients of benchmarks/console_live.py: the citizens writing through signed webhooks at a
fixed rate, and the operators' consoles kept live as tickets/live.js keeps them."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import random
import re
import sys
import threading
import time
import uuid
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.fixtures.fake_graph import PHONE_NUMBER_ID

sys.path.insert(0, str(Path(__file__).resolve().parent))
from live_console_client import LiveClient

SECRET = "bench-app-secret"
RATE = float(os.environ.get("BENCH_RATE", "5"))
POLL_SECONDS = 2.0
PASSWORD = "una-password-lunga-per-il-benchmark"
CITIZENS = 400


def citizen_number(n: int) -> str:
    return f"39340{n:07d}"


def webhook_body(n: int, number: str) -> tuple[bytes, str]:
    wamid = f"wamid.console.{uuid.uuid4().hex}.{n}"
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "390700000000", "phone_number_id": PHONE_NUMBER_ID},
        "contacts": [{"profile": {"name": f"Cittadino {number[-4:]}"}, "wa_id": number}],
        "messages": [
            {
                "from": number,
                "id": wamid,
                "timestamp": str(int(time.time())),
                "type": "text",
                "text": {"body": f"Buongiorno, una domanda sulla TARI numero {n}"},
            }
        ],
    }
    data = json.dumps(
        {
            "object": "whatsapp_business_account",
            "entry": [{"id": "1", "changes": [{"field": "messages", "value": value}]}],
        }
    ).encode()
    return data, wamid


def sign(data: bytes) -> str:
    return "sha256=" + hmac.new(SECRET.encode(), data, hashlib.sha256).hexdigest()


class Citizens(threading.Thread):
    """Signed webhooks at a fixed rate; one in five from a citizen whose conversation a
    console has open, the others spread over CITIZENS numbers (new tickets and follow-ups)."""

    def __init__(self, base: str, open_numbers: list[str], seconds: float) -> None:
        super().__init__(daemon=True)
        self.base, self.open_numbers, self.seconds = base, open_numbers, seconds
        self.sent: dict[str, float] = {}
        self.sent_wall: dict[str, float] = {}  # the same moments by the wall clock
        self.failures = 0

    def run(self) -> None:
        session = requests.Session()
        start = time.monotonic()
        n = 0
        while True:
            due = start + n / RATE
            if due - start > self.seconds:
                return
            time.sleep(max(due - time.monotonic(), 0))
            if self.open_numbers and n % 5 == 0:
                number = self.open_numbers[(n // 5) % len(self.open_numbers)]
            else:
                number = citizen_number(random.randrange(CITIZENS))
            data, wamid = webhook_body(n, number)
            at, wall = time.monotonic(), time.time()
            try:
                response = session.post(
                    f"{self.base}/webhooks/whatsapp/meta/",
                    data=data,
                    headers={"Content-Type": "application/json", "X-Hub-Signature-256": sign(data)},
                    timeout=10,
                )
                if response.status_code == 200:
                    self.sent[wamid] = at
                    self.sent_wall[wamid] = wall
                else:
                    self.failures += 1
            except requests.RequestException:
                self.failures += 1
            n += 1


class Console(threading.Thread):
    """What tickets/live.js does in a browser, for one operator (benchmarks/live_console_client.py
    speaks its protocol): a poll every 2 s; an inbox patches the rows the poll carries, a
    conversation fetches its live parts when its ticket changed."""

    def __init__(self, base: str, username: str, *, ticket: int | None, stop: threading.Event):
        super().__init__(daemon=True)
        self.base, self.username, self.ticket, self.stop = base, username, ticket, stop
        self.session = requests.Session()
        self.live = LiveClient(self.session, page_url=self.page_url(), ticket=ticket, base=base)
        self.shown: list[tuple[int, float]] = []  # (message id, when it was on screen)
        self.poll_ms: list[float] = []
        self.page_ms: list[float] = []
        self.errors = 0

    def login(self) -> None:
        page = self.session.get(f"{self.base}/admin/login/", timeout=30)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        assert token, "no CSRF token on the sign-in page"
        answer = self.session.post(
            f"{self.base}/admin/login/",
            data={
                "csrfmiddlewaretoken": token.group(1),
                "username": self.username,
                "password": PASSWORD,
                "next": "/admin/",
            },
            headers={"Referer": f"{self.base}/admin/login/"},
            timeout=30,
        )
        assert "sessionid" in self.session.cookies, (
            f"{self.username} not signed in: {answer.status_code}"
        )

    def page_url(self) -> str:
        if self.ticket:
            return f"/admin/tickets/ticket/{self.ticket}/conversation/"
        return "/admin/tickets/ticket/"

    def run(self) -> None:
        self.live.open()
        time.sleep(random.random() * POLL_SECONDS)  # consoles opened at different moments
        waiting: dict[int, list[int]] = {}  # ticket -> its messages not on screen yet
        while not self.stop.is_set():
            began = time.monotonic()
            try:
                fresh = self.live.poll()
            except (requests.RequestException, ValueError):
                self.errors += 1
                time.sleep(POLL_SECONDS)
                continue
            polled = time.monotonic()
            self.poll_ms.append((polled - began) * 1000)
            for key, ticket, *_flags in fresh:
                if key.startswith("m") and self.live.shows([key, ticket]):
                    waiting.setdefault(ticket, []).append(int(key[1:]))
            try:
                fetched = self.live.draw()
            except requests.RequestException:
                self.errors += 1
                fetched = False
            done = time.monotonic()
            if fetched:
                self.page_ms.append((done - polled) * 1000)
                on_screen = set(waiting)  # a page fetched whole shows every change
            else:
                # The rows the poll carried are on screen once it answered.
                on_screen = {row[0] for row in self.live.last.get("rows", []) if row[1]}
            for ticket in on_screen & set(waiting):
                self.shown.extend((message, done) for message in waiting.pop(ticket))
            self.stop.wait(max(POLL_SECONDS - (time.monotonic() - began), 0))

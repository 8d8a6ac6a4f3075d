"""What tickets/static/tickets/live.js does, for the benchmarks: one operator's console, over
Django's test client or a requests.Session (`base` then names the server)."""

from __future__ import annotations

import json
import re
from typing import Any

LIVE_URL = "/admin/tickets/ticket/live/"


class LiveClient:
    def __init__(self, client: Any, *, page_url: str, ticket: int | None = None, base: str = ""):
        self.client, self.page_url, self.ticket, self.base = client, page_url, ticket, base
        self.cursor: dict[str, Any] = {}
        self.seen: set[str] = set()
        self.ask_rows: set[int] = set()
        self.last: dict[str, Any] = {}
        self.fresh: list[list] = []

    def _get(self, url: str, params: dict | None = None):
        headers = {"X-URP-Background": "1"}
        if self.base:  # requests
            return self.client.get(self.base + url, params=params, headers=headers, timeout=30)
        return self.client.get(url, params or {}, headers=headers)

    def open(self) -> None:
        page = self._get(self.page_url)
        text = page.text if hasattr(page, "text") else page.content.decode()
        found = re.search(r'id="live-config">(.*?)</script>', text, re.S)
        assert found, f"no live configuration on {self.page_url}"
        config = json.loads(found.group(1))
        self.cursor = {"m": config["m"], "e": config["e"], "v": ""}

    def poll(self) -> list[list]:
        """One poll, as live.js sends it; the changes this console had not seen yet."""
        params = dict(self.cursor)
        if self.ticket:
            params["t"] = self.ticket
        else:
            params["inbox"] = ""  # the inbox's default view
        if self.ask_rows:
            params["rows"] = ",".join(map(str, sorted(self.ask_rows)))
            self.ask_rows.clear()
        data = self._get(LIVE_URL, params).json()
        before = self.cursor
        self.cursor = {"m": data["m"], "e": data["e"], "v": data.get("v", "")}
        self.fresh = [c for c in data["changes"] if c[0] not in self.seen]
        self.seen.update(c[0] for c in self.fresh)
        for key, ticket, *_flags in self.fresh:
            if int(key[1:]) <= before["m" if key[0] == "m" else "e"]:
                self.ask_rows.add(ticket)
        self.last = data
        return self.fresh

    def shows(self, change: list) -> bool:
        return not self.ticket or change[1] == self.ticket

    def draw(self) -> bool:
        """What the page fetches after the last poll: True when it fetched a page. An inbox
        patches the rows the poll carried and fetches nothing, unless told to redraw whole."""
        if self.ticket:
            signature_moved = False  # the benchmark's citizens write; no tick is compared
            if not (self.last.get("full") or signature_moved or any(map(self.shows, self.fresh))):
                return False
            self._get(self.page_url + "?live=1")
            return True
        if self.last.get("full"):
            self._get(self.page_url)
            return True
        return False

    def poll_and_draw(self) -> None:
        self.poll()
        self.draw()

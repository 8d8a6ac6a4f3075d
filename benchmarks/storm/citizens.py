"""Citizens writing to the comune's number while the broadcast goes out."""

from __future__ import annotations

import hashlib
import hmac
import http.client
import itertools
import json
import threading
import time

from .config import PHONE_NUMBER_ID, SECRET


class Citizens(threading.Thread):
    """A new citizen writes "Iscrivimi" `per_second` times a second (1: about one in a hundred
    of a 10,000 list answering a broadcast within its two minutes); when each wrote, by number."""

    def __init__(self, port: int, prefix: str, per_second: float = 1.0) -> None:
        super().__init__(daemon=True)
        self.port, self.prefix, self.every = port, prefix, 1.0 / per_second
        self.wrote: dict[str, float] = {}
        self.latencies: list[float] = []
        self.halt = threading.Event()

    def run(self) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        for n in itertools.count():
            if self.halt.wait(self.every):
                return
            number = f"39{self.prefix}{n:05d}"
            body = json.dumps(
                {
                    "object": "whatsapp_business_account",
                    "entry": [
                        {
                            "id": "1",
                            "changes": [
                                {
                                    "field": "messages",
                                    "value": {
                                        "messaging_product": "whatsapp",
                                        "metadata": {
                                            "display_phone_number": "390700000000",
                                            "phone_number_id": PHONE_NUMBER_ID,
                                        },
                                        "contacts": [
                                            {"profile": {"name": "Cittadino"}, "wa_id": number}
                                        ],
                                        "messages": [
                                            {
                                                "from": number,
                                                "id": f"wamid.citizen{self.prefix}{n}",
                                                "timestamp": str(int(time.time())),
                                                "type": "text",
                                                "text": {"body": "Iscrivimi"},
                                            }
                                        ],
                                    },
                                }
                            ],
                        }
                    ],
                }
            ).encode()
            signature = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
            started = time.time()
            connection.request(
                "POST",
                "/webhooks/whatsapp/meta/",
                body=body,
                headers={"Content-Type": "application/json", "X-Hub-Signature-256": signature},
            )
            connection.getresponse().read()
            self.latencies.append(time.time() - started)
            self.wrote[number] = started

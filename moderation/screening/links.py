"""Links to outside sites: full URLs, www. addresses and bare domains ("soldifacili.com/x").

A link is fine when its host is one of the comune's own domains or a public one (a parent
domain counts: "servizi.comune.cagliari.it" is under "comune.cagliari.it"). An email address
is not a link. Bare domains are only recognised with a known top-level domain; for those that
are also short Italian words or common typos after a full stop ("pagato.Io", "grazie.me")
a path is required ("t.me/gruppo", "paypal.me/nome").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

_TLDS = (
    "it com net org eu info biz ly tv xyz club online site shop store app live link top gl ws"
    " cc us uk de fr es ch ru cn news blog page pro mobi vip win bet casino click icu ai ms"
)
_TLDS_NEEDING_PATH = "io me to co"
_HOST_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_PATH = r"""[^\s<>"]*"""
LINK = re.compile(
    rf"(?:https?://|www\.){_PATH}"
    rf"|(?<![\w@.-])(?:{_HOST_LABEL}\.)+(?:{'|'.join(_TLDS.split())})(?![\w-])(?:[/:?#]{_PATH})?"
    rf"|(?<![\w@.-])(?:{_HOST_LABEL}\.)+(?:{'|'.join(_TLDS_NEEDING_PATH.split())})/{_PATH}"
)
_TRAILING_PUNCTUATION = ".,;:!?)]}'\""


@dataclass(frozen=True)
class Link:
    start: int
    end: int
    host: str


def find_links(text: str) -> Iterator[Link]:
    """Links in normalised (lower case) text."""
    for match in LINK.finditer(text):
        url = match.group().rstrip(_TRAILING_PUNCTUATION)
        host = re.sub(r"^https?://", "", url)
        host = re.split(r"[/:?#]", host, maxsplit=1)[0].rstrip(".")
        if "." not in host:
            continue
        yield Link(match.start(), match.start() + len(url), host)


def domain_matcher(domains: Iterable[str]):
    """A test for "this host is one of these domains or under one of them"."""
    names = frozenset(domain.lower().strip().lstrip(".") for domain in domains if domain.strip())

    def is_listed(host: str) -> bool:
        host = host.lower().rstrip(".")
        while True:
            if host in names:
                return True
            if "." not in host:
                return False
            host = host.split(".", 1)[1]

    return is_listed

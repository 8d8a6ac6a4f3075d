"""What a screening rule reports: the policy categories and the flag itself."""

from __future__ import annotations

from dataclasses import dataclass

# The published moderation policy, in its order: promoting or supporting illegal activity;
# offensive or vulgar language; defamation or threats; spreading third parties' personal data;
# attacks on ethnic, political or religious groups or minorities; spam or off-topic links;
# promotion of products, services or political organisations; copyright or trademark
# violations; fundraising.
CATEGORY_CODES = (
    "illegal",
    "offensive",
    "defamation_threat",
    "third_party_data",
    "discrimination",
    "spam_links",
    "promotion",
    "copyright",
    "fundraising",
)


@dataclass(frozen=True)
class Flag:
    rule: str
    category: str
    reason: str
    start: int
    end: int

    def __post_init__(self) -> None:
        if self.category not in CATEGORY_CODES:
            raise ValueError(f"unknown category {self.category!r}")

"""Requests that belong to another channel (issue #22): reports and access-to-records requests,
which Assemini and Ancona do not take on WhatsApp. The rules are rows an administrator edits
(`ElsewhereRule`), seeded from data/rules_it.txt; `classify` reads a message with them."""

from .classifier import ElsewhereClassifier, classifier_from_rules

__all__ = ["ElsewhereClassifier", "classifier_from_rules"]

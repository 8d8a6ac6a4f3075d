"""The scan of every table for a citizen's personal data, shared by the erasure tests."""

import json

from django.apps import apps
from django.contrib.postgres.search import SearchVectorField
from django.db import models

# Fields that can hold a person's words: text, JSON, file names and raw bodies, and the search
# documents (the words of a chat, lower case and without accents, as PostgreSQL prints them).
SCANNED_FIELDS = (
    models.CharField,
    models.TextField,
    models.JSONField,
    models.FileField,
    models.BinaryField,
    SearchVectorField,
)


def scanned_models() -> list[type[models.Model]]:
    return [
        model
        for model in apps.get_models()
        if any(isinstance(f, SCANNED_FIELDS) for f in model._meta.concrete_fields)
    ]


def personal_data_left(needles: list[str]) -> list[str]:
    """Every text, JSON, file name and binary value of every model of every installed app that
    still contains one of the needles (lower case)."""
    found = []
    for model in scanned_models():
        fields = [f for f in model._meta.concrete_fields if isinstance(f, SCANNED_FIELDS)]
        for row in model._default_manager.values_list(*(f.attname for f in fields)):
            for field, value in zip(fields, row, strict=True):
                if value is None:
                    continue
                if isinstance(value, (bytes, memoryview)):
                    haystack = bytes(value).decode("utf-8", "replace").lower()
                elif isinstance(value, (dict, list)):
                    haystack = json.dumps(value, ensure_ascii=False).lower()
                else:
                    haystack = str(value).lower()
                found += [
                    f"{model._meta.label}.{field.name}: {needle}"
                    for needle in needles
                    if needle in haystack
                ]
    return found

"""The environment every settings module reads: the project folder, django-environ's reader and
DEBUG, read first because several components depend on it (HackSoft's config/env.py)."""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
# A developer's .env is convenient on a laptop; in production the real environment wins.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)

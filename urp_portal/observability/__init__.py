"""Operations' ground: the request id and the client of the request in progress, carried into
logs, Celery tasks and the audit trail; JSON logs; optional Sentry. Imports no app."""

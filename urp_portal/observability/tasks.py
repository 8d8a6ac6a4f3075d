"""The request id travels with every Celery task: written into the task message's headers when
it is published, restored around the task's run, so the worker's log lines (and the tasks it
publishes in turn) carry the id of the request that caused them."""

from typing import Any

from celery.signals import before_task_publish, task_postrun, task_prerun

from .context import current_request_id, request_id_new, request_id_var

HEADER = "urp_request_id"
_tokens: dict[str, Any] = {}


@before_task_publish.connect(weak=False)
def request_id_to_task_headers(headers: dict | None = None, **kwargs: Any) -> None:
    if headers is not None and not headers.get(HEADER):
        request_id = current_request_id()
        if request_id:
            headers[HEADER] = request_id


def _from_request(task: Any) -> str:
    request = getattr(task, "request", None)
    if request is None:
        return ""
    value = getattr(request, HEADER, None)
    if not value:
        # Celery keeps custom headers either on the request itself or under `headers`.
        value = (getattr(request, "headers", None) or {}).get(HEADER)
    return value or ""


@task_prerun.connect(weak=False)
def request_id_from_task_headers(task_id: str = "", task: Any = None, **kwargs: Any) -> None:
    # A task with no originating request (beat's schedule) gets its own id, so its lines group.
    request_id = _from_request(task) or request_id_new()
    _tokens[task_id] = request_id_var.set(request_id)


@task_postrun.connect(weak=False)
def request_id_forget(task_id: str = "", **kwargs: Any) -> None:
    token = _tokens.pop(task_id, None)
    if token is not None:
        request_id_var.reset(token)

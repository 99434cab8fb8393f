"""Recording from the page: a form per recording command, a confirmation step, then the record.

`GET /agreements/{id}/record/{action}` shows the form; posting it records nothing: it reads
the fields into the command the command line would build (`concordat.inputs`), decides it on
the current facts and shows what it would set off (`App.consequences`: dates added and
removed, messages added and withdrawn), with the fields carried as hidden inputs and a Record
button. Posting that (`.../confirm`) reads the fields again and records through `App.record`,
the command line's own handler and unit of work, which decides again on the facts as they
are then; the browser is sent on (303) to `/agreements/{id}/recorded/{n}`.

A field that cannot be read is shown beside the field (422); a refusal of the domain beside
the form (409); nothing is recorded by either. Every POST needs the CSRF token.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from concordat import inputs
from concordat.app import App
from concordat.exits import lookup
from jobs.dry_run import compare_plans
from jobs.handlers import Outcome
from lifecycle import commands as c
from lifecycle.agreement import Agreement
from lifecycle.errors import ConcordatError
from lifecycle.facts import to_payload
from web import links
from web.form_fields import (
    CHECKED,
    FORMS,
    FormSpec,
    agreement_choices,
    check_choices,
    form_fields,
    label_of,
)
from web.pages import render
from web.security import check_csrf
from web.server import HTTP_STATUSES

ACTOR = "web:admin"
MAX_BODY = 64 * 1024  # a recording form is a few hundred bytes; refuse a flood unread
SHOWN = 60  # rows of each list on the confirmation and result pages


def routes() -> list[BaseRoute]:
    """The forms' routes and the signed variation links' (`web.links`)."""
    base = "/agreements/{agreement_id}"
    return [
        Route(f"{base}/record/{{action}}", form_page, methods=["GET"]),
        Route(f"{base}/record/{{action}}", preview, methods=["POST"]),
        Route(f"{base}/record/{{action}}/confirm", confirm, methods=["POST"]),
        Route(f"{base}/recorded/{{number}}", recorded_page, methods=["GET"]),
        *links.routes(),
    ]


async def form_page(request: Request) -> Response:
    """The empty form."""
    app, agreement, action, spec = _target(request)
    return await _form_response(request, app, agreement, action, spec, {}, {}, "", 200)


async def _read_command(
    request: Request,
) -> tuple[App, Agreement, str, FormSpec, inputs.Fields, c.Command] | Response:
    """The posted form as the command the CLI would build, or the form again with each
    field's reason (422)."""
    app, agreement, action, spec = _target(request)
    form = await read_form(request)
    fields = form_fields(form, spec)
    try:
        command = await run_in_threadpool(_command, app, agreement, action, spec, fields)
    except inputs.InvalidFields as error:
        errors = {name: str(reason) for name, reason in error.errors.items()}
        return await _form_response(request, app, agreement, action, spec, fields, errors, "", 422)
    return app, agreement, action, spec, fields, command


async def preview(request: Request) -> Response:
    """The confirmation step: what the command would set off; nothing recorded."""
    read = await _read_command(request)
    if isinstance(read, Response):
        return read
    app, agreement, action, spec, fields, command = read
    try:
        consequences = await run_in_threadpool(app.consequences, command)
    except ConcordatError as error:
        return await _refused(request, app, agreement, action, spec, fields, error)
    return render(request, "record_confirm.html.j2", {
        **_page(agreement, action, spec),
        "hidden": _hidden(spec, _resolved(fields, command)),
        "fact": consequences.fact,
        "details": to_payload(consequences.fact),
        "plan": consequences.plan,
        "added": consequences.plan.added[:SHOWN],
        "removed": consequences.plan.removed[:SHOWN],
        "messages_added": consequences.messages_added[:SHOWN],
        "messages_withdrawn": consequences.messages_withdrawn[:SHOWN],
        "shown": SHOWN,
        "zone": app.configuration().settings.timezone,
    })  # fmt: skip


async def confirm(request: Request) -> Response:
    """Record the confirmed command, decided again on the facts as they are now."""
    read = await _read_command(request)
    if isinstance(read, Response):
        return read
    app, agreement, action, spec, fields, command = read
    try:
        outcome: Outcome = await run_in_threadpool(as_actor(app, ACTOR).record, command)
    except ConcordatError as error:
        return await _refused(request, app, agreement, action, spec, fields, error)
    where = f"/agreements/{agreement.id}/recorded/{outcome.recorded.id}"
    return RedirectResponse(where, status_code=303)


async def recorded_page(request: Request) -> Response:
    """What a recorded fact is and what it set off in the plan."""
    app = _app(request)
    agreement = app.agreement(request.path_params["agreement_id"])
    text: str = request.path_params["number"]
    if not (text.isascii() and text.isdigit()) or len(text) > 18:
        raise HTTPException(404, "there is no such fact: facts are numbered 1, 2, 3...")
    number = int(text)
    page = await run_in_threadpool(_recorded, app, agreement, number)
    return render(request, "record_done.html.j2", page)


def _recorded(app: App, agreement: Agreement, number: int) -> dict[str, Any]:
    history = app.history(agreement.id)
    position = next((i for i, item in enumerate(history) if item.id == number), None)
    if position is None:
        raise HTTPException(404, f"no fact #{number} is recorded for {agreement.id}")
    item = history[position]
    earlier = [each.fact for each in history[:position]]
    difference = compare_plans(app.configuration(), agreement, earlier, item.fact, app.today())
    return {
        "agreement": agreement,
        "item": item,
        "details": to_payload(item.fact),
        "plan": difference,
        "added": difference.added[:SHOWN],
        "removed": difference.removed[:SHOWN],
        "shown": SHOWN,
    }


def as_actor(app: App, actor: str) -> App:
    """The same App (configuration, store, clock, secret) recording as `actor`."""
    return dataclasses.replace(app, actor=actor)


async def read_form(request: Request) -> FormData:
    """The posted form, CSRF-checked before anything in it is read; a body past `MAX_BODY`
    is refused (413) before it is read."""
    length = request.headers.get("content-length", "")
    if not length.isdigit() or int(length) > MAX_BODY:
        raise HTTPException(413, f"the form must be sent whole and under {MAX_BODY} bytes")
    form = await request.form(max_files=0, max_fields=100)
    check_csrf(request, form)
    return form


def _command(
    app: App, agreement: Agreement, action: str, spec: FormSpec, fields: inputs.Fields
) -> c.Command:
    """The command the fields ask for, as the command line builds it, after checking each
    select against its choices; `InvalidFields` with every field's reason otherwise."""
    errors = check_choices(spec, fields, agreement_choices(app, agreement))
    context = inputs.Context(lambda: app.configuration().settings.timezone, app.today)
    labels = label_of(spec)
    try:
        command = inputs.build(action, agreement.id, fields, context, lambda f: labels[f])
    except inputs.InvalidFields as error:
        raise inputs.InvalidFields({**errors, **error.errors}) from error
    if errors:
        raise inputs.InvalidFields(errors)
    inputs.check_local_start(command)
    return command


def _target(request: Request) -> tuple[App, Agreement, str, FormSpec]:
    app = _app(request)
    agreement = app.agreement(request.path_params["agreement_id"])
    action = request.path_params["action"]
    spec = FORMS.get(action)
    if spec is None:
        shown = action if len(action) <= 60 else action[:60] + "..."
        raise HTTPException(404, f"there is no form {shown!r}; known: {', '.join(FORMS)}")
    return app, agreement, action, spec


async def _refused(
    request: Request,
    app: App,
    agreement: Agreement,
    action: str,
    spec: FormSpec,
    fields: inputs.Fields,
    error: ConcordatError,
) -> Response:
    """The form again with the refusal beside it: 409, or the status its kind of error has
    (a database that cannot be used is 503, and is not the administrator's input)."""
    status = lookup(HTTP_STATUSES, error) or 409
    if status >= 500:
        raise error
    status = 422 if status == 422 else 409
    return await _form_response(request, app, agreement, action, spec, fields, {}, str(error),
                                status)  # fmt: skip


async def _form_response(
    request: Request,
    app: App,
    agreement: Agreement,
    action: str,
    spec: FormSpec,
    fields: inputs.Fields,
    errors: Mapping[str, str],
    refusal: str,
    status: int,
) -> Response:
    choices = await run_in_threadpool(agreement_choices, app, agreement)
    return render(request, "record_form.html.j2", {
        **_page(agreement, action, spec),
        "choices": choices,
        "values": {name: _as_list(value) for name, value in fields.items()},
        "errors": errors,
        "refusal": refusal,
        "checked": CHECKED,
    }, status=status)  # fmt: skip


def _page(agreement: Agreement, action: str, spec: FormSpec) -> dict[str, Any]:
    return {"agreement": agreement, "action": action, "spec": spec}


def _hidden(spec: FormSpec, fields: inputs.Fields) -> list[tuple[str, str]]:
    """The fields as (name, value) pairs for hidden inputs, repeated fields once each."""
    return [(f.name, value) for f in spec.fields for value in _as_list(fields.get(f.name, ""))]


def _resolved(fields: inputs.Fields, command: c.Command) -> inputs.Fields:
    """The fields with a blank day (`on`, which defaults to today) filled with the day the
    confirmation shows, so that a confirm after midnight records that day, not the next."""
    day = getattr(command, "on", None)
    if fields.get("on") or not isinstance(day, dt.date):
        return fields
    return {**fields, "on": day.isoformat()}


def _as_list(value: str | tuple[str, ...]) -> list[str]:
    return list(value) if isinstance(value, tuple) else [value]


def _app(request: Request) -> App:
    found: App = request.app.state.concordat
    return found

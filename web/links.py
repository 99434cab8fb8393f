"""`/sign/{token}`: a party signs a variation from the link its chaser e-mail carries.

The token (`concordat.variation_links`) names the variation, the party and an expiry, signed
with the site secret: a malformed or tampered token is 404, an expired one 410, each a short
page. The page shows the variation and who has signed, and a button to sign on behalf of the
token's party; pressing it (CSRF-checked) records `SignVariation` through `App.record`, the
command line's handler. The link is good for one signature: the domain refuses a party's
second (409, with its reason).
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from concordat.app import App
from concordat.variation_links import LinkExpired, LinkInvalid, SignGrant, read_token
from lifecycle import commands as c
from lifecycle.decisions import unsigned_parties
from lifecycle.errors import ConcordatError, Refused, UnknownName
from lifecycle.state import fold
from web.pages import render
from web.security import check_csrf

LOG = logging.getLogger("concordat.web")

MAX_BODY = 4096


def routes() -> list[BaseRoute]:
    """The signing page and its button."""
    return [
        Route("/sign/{token}", sign_page, methods=["GET"]),
        Route("/sign/{token}", sign, methods=["POST"]),
    ]


async def sign_page(request: Request) -> Response:
    """The variation, who has signed, and the button for the link's party."""
    app = _app(request)
    grant = _grant(app, request)
    if isinstance(grant, Response):
        return grant
    try:
        page = await run_in_threadpool(_variation_page, app, grant)
    except UnknownName:
        return _problem(request, 404, "Not found", "This variation is not recorded.")
    return render(request, "sign_variation.html.j2", {**page, "refusal": ""})


async def sign(request: Request) -> Response:
    """Record the party's signature; refused (409) once it has signed."""
    app = _app(request)
    length = request.headers.get("content-length", "")
    if not length.isdigit() or int(length) > MAX_BODY:
        return _problem(request, 413, "Too large", "The form must be sent whole and small.")
    form = await request.form(max_files=0, max_fields=10)
    check_csrf(request, form)
    grant = _grant(app, request)
    if isinstance(grant, Response):
        return grant
    recorder = dataclasses.replace(app, actor=f"web:link:{grant.party}")
    command = c.SignVariation(grant.variation, grant.party, app.today())
    try:
        await run_in_threadpool(recorder.record, command)
    except ConcordatError as error:
        if not isinstance(error, Refused | UnknownName):  # the detail is for the log only
            LOG.warning("signing through a link failed: %s", error)
            return _problem(request, 503, "Not available", "Try again later.")
        try:
            page = await run_in_threadpool(_variation_page, app, grant)
        except UnknownName:
            return _problem(request, 404, "Not found", "This variation is not recorded.")
        return render(request, "sign_variation.html.j2", {**page, "refusal": str(error)},
                      status=409)  # fmt: skip
    return RedirectResponse(str(request.url.path), status_code=303)


def _grant(app: App, request: Request) -> SignGrant | Response:
    """The token's grant, or the short page saying why there is none."""
    try:
        grant = read_token(app.secret, request.path_params["token"], app.clock.now())
    except LinkInvalid as error:
        return _problem(request, 404, "Link not valid", str(error))
    except LinkExpired as error:
        return _problem(request, 410, "Link expired", str(error))
    agreement = app.configuration().agreement(grant.variation.agreement)
    if agreement is None or agreement.party(grant.party) is None:  # never one of ours
        return _problem(request, 404, "Link not valid", "This link names no party of it.")
    return grant


def _variation_page(app: App, grant: SignGrant) -> dict[str, Any]:
    agreement = app.agreement(grant.variation.agreement)
    state = fold(item.fact for item in app.stores.reader().history(agreement.id))
    variation = state.variations.get(str(grant.variation))
    if variation is None:
        raise UnknownName("variation", str(grant.variation), [])
    party = agreement.party(grant.party)
    names = {p.id: p.name for p in agreement.parties}
    return {
        "agreement": agreement,
        "variation": variation,
        "party": grant.party,
        "party_name": party.name if party is not None else grant.party,
        "signed": [(names.get(who, who), day) for who, day in variation.signatures],
        "unsigned": [names[p] for p in unsigned_parties(agreement, variation)],
        "has_signed": variation.signed_by(grant.party),
        "expires": grant.expires,
    }


def _problem(request: Request, status: int, heading: str, message: str) -> Response:
    return render(request, "error.html.j2", {"heading": heading, "message": message,
                                             "hint": ""}, status=status)  # fmt: skip


def _app(request: Request) -> App:
    found: App = request.app.state.concordat
    return found

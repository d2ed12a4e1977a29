"""The call simulator page (demo and development): a keypad, what the line says, the volunteers' phones."""

from __future__ import annotations

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from orientation.core.models import OutboxMessage, Request
from orientation.core.phones import InvalidPhone, mask, to_e164
from orientation.core.runtime import db, now, runtime
from orientation.simulator.engine import InvalidInput
from orientation.web.console import simulation as sim
from orientation.web.console.ids import parse_id
from orientation.web.console.web import bp, territory_or_404, user, visible_territories
from volunteers.models import Volunteer
from volunteers.services import on_duty_volunteers

DEFAULT_CALLER = "+33611223344"


def _enabled() -> None:
    if not runtime().config.simulator_enabled:
        abort(404)


@bp.get("/simulateur")
def simulator() -> str:
    """Choose a line and call it; then play the call step by step."""
    _enabled()
    territories = [t for t in visible_territories() if t.numbers]
    simulation = sim.store(current_app).get(request.args.get("appel", ""), user().id)
    territory = None
    if simulation is not None:
        territory = territory_or_404(simulation.territory_id)
    elif (asked := parse_id(request.args.get("territory"))) is not None:
        territory = territory_or_404(asked)
    elif territories:
        territory = territories[0]
    context: dict[str, object] = {}
    if territory is not None:
        session = db()
        moment = now()
        volunteers = list(session.scalars(select(Volunteer).where(Volunteer.territory_id == territory.id)))
        names = {v.phone: v.name for v in volunteers}
        on_duty = on_duty_volunteers(session, territory, None, moment)
        call = simulation.call if simulation else None
        found = None
        if call is not None:
            found = session.scalar(select(Request).where(Request.call_sid == call.call_sid))
        context = {
            "on_duty": on_duty,
            "transcript": [line for e in (call.events if call else []) if (line := sim.describe(e, names))],
            "ringing": sim.ringing_number(call) if call else None,
            "found": found,
            "recent": list(
                session.scalars(
                    select(Request).where(Request.territory_id == territory.id).order_by(Request.id.desc()).limit(5)
                )
            ),
            "outbox": list(
                session.scalars(
                    select(OutboxMessage)
                    .where(OutboxMessage.territory_id == territory.id)
                    .order_by(OutboxMessage.id.desc())
                    .limit(5)
                )
            ),
            "names": names,
            "waiting": call.waiting_for.attrs if call and call.waiting_for else {},
            # Offers of waiting callers the line placed (kept in the outbox without Twilio): pick one up.
            "offers": list(
                session.scalars(
                    select(OutboxMessage)
                    .where(
                        OutboxMessage.territory_id == territory.id,
                        OutboxMessage.purpose == "queue_offer",
                        OutboxMessage.status == "stored",
                    )
                    .order_by(OutboxMessage.id)
                    .limit(10)
                )
            ),
        }
    return render_template(
        "console/simulator.html",
        territory=territory,
        section="simulator",
        territories=territories,
        simulation=simulation,
        call=simulation.call if simulation else None,
        caller=DEFAULT_CALLER,
        mask=mask,
        **context,
    )


@bp.post("/simulateur/appel")
def simulator_call() -> Response:
    """Start a call to a territory's line from a caller number."""
    _enabled()
    territory_id = parse_id(request.form.get("territory_id"))
    territory = territory_or_404(territory_id) if territory_id is not None else abort(404)
    if not territory.numbers:
        abort(404)
    try:
        caller = to_e164(request.form.get("caller") or DEFAULT_CALLER)
    except InvalidPhone:
        flash("Numéro d'appelant invalide.", "error")
        return redirect(url_for("console.simulator", territory=territory.id))  # type: ignore[return-value]
    db().rollback()  # end this request's read transaction before the webhooks write
    config = runtime().config
    simulation = sim.start_call(
        current_app._get_current_object(),  # type: ignore[attr-defined]
        config,
        territory.numbers[0].phone,
        caller,
        territory.id,
        user().id,
        runtime().clock,
    )
    return redirect(url_for("console.simulator", appel=simulation.id, _anchor="telephone"))  # type: ignore[return-value]


@bp.post("/simulateur/offre/<int:outbox_id>")
def simulator_offer(outbox_id: int) -> Response:
    """A volunteer's phone picks up an offer call the line placed: play it like any simulated call."""
    _enabled()
    session = db()
    placed = session.get(OutboxMessage, outbox_id)
    if placed is None or placed.channel != "call" or placed.status != "stored" or placed.territory_id is None:
        abort(404)
    territory_or_404(placed.territory_id)
    simulation = sim.answer_placed_call(
        current_app._get_current_object(),  # type: ignore[attr-defined]
        runtime().config,
        placed,
        user().id,
        runtime().clock,
    )
    session.commit()  # the call is placed now: it leaves the list of offers to pick up
    simulation.call.start()
    return redirect(url_for("console.simulator", appel=simulation.id, _anchor="telephone"))  # type: ignore[return-value]


@bp.post("/simulateur/<simulation_id>")
def simulator_step(simulation_id: str) -> Response:
    """One input of the caller or of the ringing volunteer."""
    _enabled()
    simulation = sim.store(current_app).get(simulation_id, user().id)
    if simulation is None:
        abort(404)
    territory_or_404(simulation.territory_id)
    db().rollback()
    call = simulation.call
    action = request.form.get("action", "")
    try:
        if action == "press":
            keys = (request.form.get("digit") or request.form.get("keys") or "").strip()
            if keys:
                call.press(keys)
            else:
                call.silence()
        elif action == "speak":
            call.speak(request.form.get("words", "").strip() or "…")
        elif action == "silence":
            call.silence()
        elif action == "record":
            call.record(duration=12)
        elif action in ("accept", "decline"):
            if call.state == "dial_leg":
                call.leg_answer()
            if call.state == "leg_gather":
                call.leg_press("1" if action == "accept" else "2")
        elif action == "ignore":
            call.leg_no_answer()
        elif action == "end_conversation":
            call.end_bridge(duration=180)
        elif action == "hangup":
            call.hangup()
        else:
            abort(400)
    except InvalidInput:
        flash("Cette action n'est pas possible à ce moment de l'appel.", "error")
    return redirect(url_for("console.simulator", appel=simulation.id, _anchor="telephone"))  # type: ignore[return-value]

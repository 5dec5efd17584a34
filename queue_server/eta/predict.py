"""The one call the server makes: estimates for every waiting ticket and every service."""

from __future__ import annotations

import math
from collections.abc import Collection
from datetime import datetime

from queue_server.eta.blend import Blend, fit_blend, state_features
from queue_server.eta.calibrate import range_quantiles, recalibrate
from queue_server.eta.closed_form import predict_closed_form
from queue_server.eta.history import MAX_OUTCOMES, History
from queue_server.eta.model import Estimate, HallState, Predictions
from queue_server.eta.simulate import simulate


def predict(
    state: HallState,
    history: History,
    now: datetime,
    rng_seed: int | None = None,
    *,
    only: Collection[str] | None = None,
) -> Predictions:
    """Minutes until each waiting ticket is called and the wait of a new arrival per service.

    Runs the hall forward from ``now`` (:func:`simulate`); estimates it cannot give (a
    ticket no window will call within the horizon) come from the closed form
    (:func:`predict_closed_form`), and stay NaN when neither can tell. With a seed the
    result is deterministic. ``only`` limits the work to some ticket ids.

    The ranges are recalibrated on ``history.outcomes`` (see :mod:`.calibrate`) and
    the points corrected by a blend fitted on ``history.feature_outcomes`` when it has
    proved better (see :mod:`.blend`). ``Predictions.model`` keeps the uncalibrated
    estimates and ``Predictions.features`` what the blend saw: the server stores both
    with the ticket at issue and feeds them back with :meth:`HistoryBuilder.outcome`.
    """
    result = simulate(state, history, now, rng_seed, only=only)
    tickets = dict(result.tickets)
    services = dict(result.services)
    missing = [k for k, e in tickets.items() if not math.isfinite(e.minutes)]
    missing_services = [k for k, e in services.items() if not math.isfinite(e.minutes)]
    if missing or missing_services:
        fallback = predict_closed_form(state, history, now)
        nan = Estimate(math.nan, math.nan, math.nan)
        for k in missing:
            tickets[k] = fallback.tickets.get(k, nan)
        for k in missing_services:
            services[k] = fallback.services.get(k, nan)
    ticket_features, service_features = state_features(
        state,
        history,
        now,
        {k: e.minutes for k, e in tickets.items() if math.isfinite(e.minutes)},
        {k: e.minutes for k, e in services.items() if math.isfinite(e.minutes)},
    )
    blend = fit_blend(history.feature_outcomes)
    quantiles = range_quantiles(
        history.outcomes if blend is None else _blended_outcomes(blend, history)
    )

    def shown(estimate: Estimate, features: tuple[float, ...] | None) -> Estimate:
        return recalibrate(_corrected(estimate, blend, features), quantiles)

    return Predictions(
        tickets={k: shown(e, ticket_features.get(k)) for k, e in tickets.items()},
        services={k: shown(e, service_features.get(k)) for k, e in services.items()},
        method=result.method,
        model=tickets,
        features=ticket_features,
    )


def _corrected(
    estimate: Estimate, blend: Blend | None, features: tuple[float, ...] | None
) -> Estimate:
    """The blend's point with the model's range (whose width scales the recalibration).

    An estimate of zero with an empty range (a window is free now) stays as it is.
    """
    if blend is None or features is None or not estimate.high - estimate.low > 1e-6:
        return estimate
    point = blend.apply(features)
    return Estimate(point, min(estimate.low, point), max(estimate.high, point))


def _blended_outcomes(blend: Blend, history: History) -> list[tuple[float, float, float, float]]:
    """The recent outcomes as (blend estimate, model low, model high, actual)."""
    recent = history.feature_outcomes[-MAX_OUTCOMES:]
    return [(blend.apply(f), low, high, actual) for f, low, high, actual in recent]

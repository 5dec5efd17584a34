"""The live wait predictor in the app's lifecycle, and the lookups handlers pass to services.

Kept apart from the routes so handlers can import it while the route table is built.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from aiohttp import web

from queue_server.api.http import state_key
from queue_server.service.live_eta import (
    Forecast,
    Forecasts,
    LiveEta,
    LiveEtaConfig,
    Predictor,
    no_forecasts,
)

live_eta_key = web.AppKey("live_eta", LiveEta)
predictor_key = web.AppKey("eta_predictor", Predictor)
"""Set before start-up to run another predictor (tests slow it down to watch the loop)."""


async def eta_context(app: web.Application) -> AsyncIterator[None]:
    """Start the live estimator after storage; stop it (without waiting for a run) first."""
    st = app[state_key]
    config = LiveEtaConfig.from_settings(st.settings.extra)
    if not config.enabled:
        yield
        return
    predictor = app.get(predictor_key)
    live = (
        LiveEta(st.db, st.bus, st.clock, config, predictor)
        if predictor is not None
        else LiveEta(st.db, st.bus, st.clock, config)
    )
    app[live_eta_key] = live
    task = asyncio.create_task(live.run())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
        await live.close()


def forecasts(request: web.Request) -> Forecasts:
    """The lookup of fresh forecasts for service calls (closed form when none runs)."""
    live = request.app.get(live_eta_key)
    return live.forecast if live is not None else no_forecasts


def forecast_for(request: web.Request, hall_id: str) -> Forecast | None:
    """One hall's fresh forecast, if any."""
    return forecasts(request)(hall_id)

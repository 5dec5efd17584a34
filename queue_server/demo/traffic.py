"""Simulated citizens and clerks that drive a running hall server over HTTP, so screens move.

Citizens arrive at every hall that is issuing, as a Poisson process whose rate follows the
local hour (a morning and an afternoon peak) and the hall's open windows, so queues build up
at the peaks and drain afterwards. Each takes a ticket at the hall's kiosk with a generated,
valid resident ID number. Clerks log in and work their windows: call the next ticket, now and
then recall it or mark a no-show, serve it for a lognormal time around the service's typical
minutes, and once in a while take a short break.

Everything talks to the server through its public HTTP API only; ``speed`` scales arrivals up
and service times down together. Setting ``stop`` ends all activity within about a second.
ID numbers are never logged.
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp

from queue_server.demo.city import TIMEZONE, service_traits
from queue_server.domain.ids import check_digit

log = logging.getLogger(__name__)

# Address codes (GB/T 2260) of real districts: mostly Hangzhou, some from other provinces.
REGION_CODES = (
    "330102",  # 杭州市上城区
    "330105",  # 杭州市拱墅区
    "330106",  # 杭州市西湖区
    "330108",  # 杭州市滨江区
    "330109",  # 杭州市萧山区
    "330110",  # 杭州市余杭区
    "330302",  # 温州市鹿城区
    "330602",  # 绍兴市越城区
    "110105",  # 北京市朝阳区
    "310104",  # 上海市徐汇区
    "320102",  # 南京市玄武区
    "340104",  # 合肥市蜀山区
    "360102",  # 南昌市东湖区
    "420106",  # 武汉市武昌区
    "510107",  # 成都市武侯区
)
ELDERLY_SHARE = 0.12
NO_SHOW_SHARE = 0.05
RECALL_SHARE = 0.08
BREAK_SHARE = 0.02
SERVICE_TIME_CV = 0.5
MIN_ARRIVALS_PER_MINUTE = 1.0
MAX_ARRIVALS_PER_MINUTE = 4.0
WARM_UP_MIN, WARM_UP_MAX = 3, 8
"""How many citizens are already waiting at an issuing hall when the demo starts."""
DEFAULT_TYPICAL_MINUTES = 10.0
DEFAULT_OPEN_WINDOWS = 4
HALLS_REFRESH_SECONDS = 20.0
REQUEST_TIMEOUT = aiohttp.ClientTimeout(total=10, connect=3)
MAX_BACKOFF_SECONDS = 30.0

_ZONE = ZoneInfo(TIMEZONE)


class _Unauthorized(Exception):
    """The server refused the staff token: log in again."""


# -- ID numbers ---------------------------------------------------------------------------


def make_id_number(rng: random.Random, min_age: int, max_age: int, today: date) -> str:
    """A valid 18-digit resident ID number (GB 11643) of someone aged ``min_age..max_age``.

    The address code is one of ``REGION_CODES``, the birth date is uniform over the dates that
    give an age (周岁) in range on ``today``, and the last character is the MOD 11-2 check.
    """
    if min_age < 0 or max_age < min_age:
        raise ValueError("ages must satisfy 0 <= min_age <= max_age")
    latest = _years_before(today, min_age)
    earliest = _years_before(today, max_age + 1) + timedelta(days=1)
    birth = earliest + timedelta(days=rng.randrange((latest - earliest).days + 1))
    first17 = f"{rng.choice(REGION_CODES)}{birth:%Y%m%d}{rng.randrange(1, 1000):03d}"
    return first17 + check_digit(first17)


def citizen_id_number(rng: random.Random, today: date) -> str:
    """A visitor's ID number: mostly working age, about one in eight aged 70 to 85."""
    if rng.random() < ELDERLY_SHARE:
        return make_id_number(rng, 70, 85, today)
    return make_id_number(rng, 21, 69, today)


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a year without one
        return day.replace(year=day.year - years, day=28)


# -- rates and durations ------------------------------------------------------------------


def load_factor(local_hour: float) -> float:
    """Arrivals relative to a hall's capacity at a local hour (0..24): peaks near 10 and 15."""

    def bump(centre: float, width: float = 1.3) -> float:
        return math.exp(-0.5 * ((local_hour - centre) / width) ** 2)

    daytime = 0.35 if 8.0 <= local_hour < 19.0 else 0.0
    return 0.15 + daytime + 0.55 * bump(10.0) + 0.45 * bump(15.0)


def arrivals_per_minute(local_hour: float, open_windows: int, mean_minutes: float) -> float:
    """Tickets per minute for a hall (at speed 1), kept within a demo-friendly range."""
    capacity = max(open_windows, 0) / max(mean_minutes, 1.0)
    rate = load_factor(local_hour) * capacity
    return min(MAX_ARRIVALS_PER_MINUTE, max(MIN_ARRIVALS_PER_MINUTE, rate))


def service_minutes(rng: random.Random, typical_minutes: float) -> float:
    """A lognormal service time with mean ``typical_minutes`` and CV 0.5, capped at 4x."""
    sigma2 = math.log(1.0 + SERVICE_TIME_CV**2)
    mu = math.log(max(typical_minutes, 0.1)) - sigma2 / 2.0
    return min(rng.lognormvariate(mu, math.sqrt(sigma2)), 4.0 * typical_minutes)


# -- plumbing -----------------------------------------------------------------------------


async def _pause(stop: asyncio.Event, seconds: float) -> bool:
    """Sleep up to ``seconds``; True when ``stop`` was set (now or meanwhile)."""
    if stop.is_set():
        return True
    if seconds <= 0:
        return False
    try:
        async with asyncio.timeout(seconds):
            await stop.wait()
    except TimeoutError:
        return False
    return True


@dataclass
class _Backoff:
    """Exponential back-off for an unreachable server: 1, 2, 4 ... 30 seconds."""

    current: float = 0.0

    def next(self) -> float:
        self.current = min(MAX_BACKOFF_SECONDS, max(1.0, self.current * 2))
        return self.current

    def reset(self) -> None:
        self.current = 0.0


@dataclass
class _Http:
    session: aiohttp.ClientSession
    base_url: str

    async def call(
        self, method: str, path: str, *, token: str | None = None, body: Any = None
    ) -> tuple[int, Any]:
        """Status and decoded JSON body (None when there is none)."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        async with self.session.request(
            method, self.base_url + path, json=body, headers=headers
        ) as response:
            if response.status == 204:
                return 204, None
            try:
                data = await response.json(content_type=None)
            except ValueError:
                data = None
            return response.status, data


def _error_code(data: Any) -> str:
    if isinstance(data, dict):
        error = data.get("error")
        if isinstance(error, dict):
            return str(error.get("code", ""))
    return ""


async def _login(http: _Http, username: str, password: str) -> str | None:
    status, data = await http.call(
        "POST", "/api/v1/auth/login", body={"username": username, "password": password}
    )
    if status == 200 and isinstance(data, dict) and isinstance(data.get("token"), str):
        return str(data["token"])
    log.warning("login of %s refused (HTTP %s, %s)", username, status, _error_code(data))
    return None


@dataclass
class _HallView:
    issuing_now: bool
    services: list[str]
    open_windows: int = DEFAULT_OPEN_WINDOWS


@dataclass
class _Directory:
    """What the simulation knows about the halls, refreshed from the server."""

    halls: dict[str, _HallView] = field(default_factory=dict)


# -- the simulation -----------------------------------------------------------------------


async def run_traffic(
    base_url: str,
    credentials: Mapping[str, Any],
    kiosk_tokens: Mapping[str, str],
    stop: asyncio.Event,
    speed: float = 1.0,
    rng: random.Random | None = None,
) -> None:
    """Drive the server at ``base_url`` with citizens and clerks until ``stop`` is set.

    ``credentials`` has the shape of ``credentials.json`` (the manager's login is used to
    read window states); ``kiosk_tokens`` maps hall ids to kiosk device tokens. Returns once
    every simulated actor has stopped.
    """
    if speed <= 0:
        raise ValueError("speed must be positive")
    rng = rng if rng is not None else random.Random()
    base = base_url.rstrip("/")
    traits = service_traits()
    directory = _Directory()
    async with aiohttp.ClientSession(timeout=REQUEST_TIMEOUT) as session:
        http = _Http(session, base)
        jobs: list[tuple[str, Callable[[], Awaitable[None]]]] = []
        manager = credentials.get("manager") or {}
        jobs.append(("halls", lambda: _watch_halls(http, directory, manager, stop)))
        for hall_id, token in kiosk_tokens.items():
            citizens = _Citizens(http, hall_id, token, directory, stop, speed, _fork(rng), traits)
            jobs.append((f"citizens {hall_id}", citizens.run))
        for clerk in credentials.get("clerks", []):
            worker = _Clerk(http, clerk, stop, speed, _fork(rng), traits)
            jobs.append((f"clerk {clerk.get('username')}", worker.run))
        tasks = [asyncio.create_task(_guarded(name, job, stop), name=name) for name, job in jobs]
        try:
            await stop.wait()
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
    log.info("simulated traffic stopped")


def _fork(rng: random.Random) -> random.Random:
    """An independent generator per actor, so the actors' draws don't interleave."""
    return random.Random(rng.getrandbits(64))


async def _guarded(name: str, job: Callable[[], Awaitable[None]], stop: asyncio.Event) -> None:
    """Run a simulated actor; an unexpected error is logged and the actor restarts."""
    while not stop.is_set():
        try:
            await job()
        except (aiohttp.ClientError, TimeoutError) as err:
            log.info("%s: server unreachable (%s)", name, type(err).__name__)
        except Exception:
            log.exception("%s failed; restarting it", name)
        if await _pause(stop, 5.0):
            return


async def _watch_halls(
    http: _Http, directory: _Directory, manager: Mapping[str, Any], stop: asyncio.Event
) -> None:
    """Refresh which halls issue now, their services and their open windows."""
    backoff = _Backoff()
    token: str | None = None
    may_log_in = bool(manager.get("username"))
    while not stop.is_set():
        try:
            status, data = await http.call("GET", "/api/v1/halls")
            if status == 200 and isinstance(data, dict):
                if token is None and may_log_in:
                    token = await _login(http, str(manager["username"]), str(manager["password"]))
                    may_log_in = token is not None  # refused once: don't ask again
                for hall in data.get("halls", []):
                    view = _HallView(
                        issuing_now=bool(hall.get("issuing_now")),
                        services=[str(s["id"]) for s in hall.get("services", [])],
                    )
                    if token is not None:
                        token, view.open_windows = await _open_windows(http, token, hall["id"])
                    directory.halls[str(hall["id"])] = view
            else:
                log.info("hall list unavailable (HTTP %s)", status)
            backoff.reset()
            delay = HALLS_REFRESH_SECONDS
        except (aiohttp.ClientError, TimeoutError) as err:
            log.info("hall list: server unreachable (%s), retrying", type(err).__name__)
            delay = backoff.next()
        if await _pause(stop, delay):
            return


async def _open_windows(http: _Http, token: str, hall_id: str) -> tuple[str | None, int]:
    """Count the hall's open windows with the manager's token (None token: log in again)."""
    status, data = await http.call("GET", f"/api/v1/halls/{hall_id}/windows", token=token)
    if status == 401:
        return None, DEFAULT_OPEN_WINDOWS
    if status != 200 or not isinstance(data, dict):
        return token, DEFAULT_OPEN_WINDOWS
    windows = data.get("windows", [])
    return token, sum(1 for w in windows if isinstance(w, dict) and w.get("state") == "open")


@dataclass
class _Citizens:
    """The visitors of one hall, taking tickets at its kiosk."""

    http: _Http
    hall_id: str
    token: str
    directory: _Directory
    stop: asyncio.Event
    speed: float
    rng: random.Random
    traits: Mapping[str, tuple[float, float]]

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        backoff = _Backoff()
        next_at = loop.time()
        warmed = False
        while not self.stop.is_set():
            view = self.directory.halls.get(self.hall_id)
            if view is None or not view.issuing_now or not view.services:
                # Not listed yet (the first refresh is under way), or not issuing now.
                if await _pause(self.stop, 1.0 if view is None else 5.0):
                    return
                next_at = loop.time()
                continue
            if not warmed:
                warmed = await self._warm_up(view)
                continue
            rate = self._rate(view) * self.speed / 60.0
            # Never "catch up" with a burst after a stall.
            next_at = max(next_at, loop.time() - 5.0) + self.rng.expovariate(rate)
            if await _pause(self.stop, next_at - loop.time()):
                return
            try:
                await self._take_ticket(view)
                backoff.reset()
            except (aiohttp.ClientError, TimeoutError) as err:
                log.info("kiosk %s: server unreachable (%s)", self.hall_id, type(err).__name__)
                if await _pause(self.stop, backoff.next()):
                    return
                next_at = loop.time()

    async def _warm_up(self, view: _HallView) -> bool:
        """A newcomer opening the demo sees a queue at once: a few citizens were already
        waiting when the doors of the demo opened (about one per open window)."""
        for _ in range(min(WARM_UP_MAX, max(WARM_UP_MIN, view.open_windows))):
            try:
                await self._take_ticket(view)
            except (aiohttp.ClientError, TimeoutError):
                return False
        return True

    def _rate(self, view: _HallView) -> float:
        typical = [self.traits.get(s, (DEFAULT_TYPICAL_MINUTES, 1.0)) for s in view.services]
        total = sum(popularity for _, popularity in typical)
        mean = sum(m * p for m, p in typical) / total if total > 0 else DEFAULT_TYPICAL_MINUTES
        local = datetime.now(_ZONE)
        hour = local.hour + local.minute / 60.0
        return arrivals_per_minute(hour, view.open_windows, mean)

    async def _take_ticket(self, view: _HallView) -> None:
        weights = [self.traits.get(s, (DEFAULT_TYPICAL_MINUTES, 1.0))[1] for s in view.services]
        service_id = self.rng.choices(view.services, weights=weights)[0]
        today = datetime.now(_ZONE).date()
        body = {"service_id": service_id, "id_number": citizen_id_number(self.rng, today)}
        status, data = await self.http.call(
            "POST", f"/api/v1/halls/{self.hall_id}/tickets", token=self.token, body=body
        )
        if status == 201:
            ticket = data.get("ticket", {}) if isinstance(data, dict) else {}
            log.debug("%s: issued %s (%s)", self.hall_id, ticket.get("number"), service_id)
        elif status in (409, 422):
            log.debug("%s: no ticket for %s (%s)", self.hall_id, service_id, _error_code(data))
        elif status in (401, 403):
            log.warning("%s: kiosk token refused (HTTP %s)", self.hall_id, status)
            await _pause(self.stop, 30.0)
        else:
            log.info("%s: issuing answered HTTP %s (%s)", self.hall_id, status, _error_code(data))


class _Clerk:
    """One clerk working one window."""

    def __init__(
        self,
        http: _Http,
        clerk: Mapping[str, Any],
        stop: asyncio.Event,
        speed: float,
        rng: random.Random,
        traits: Mapping[str, tuple[float, float]],
    ) -> None:
        self.http = http
        self.username = str(clerk["username"])
        self.password = str(clerk["password"])
        self.window_id = str(clerk["window_id"])
        self.stop = stop
        self.speed = speed
        self.rng = rng
        self.traits = traits
        self.token: str | None = None
        self.idle_polls = 0

    async def run(self) -> None:
        backoff = _Backoff()
        while not self.stop.is_set():
            try:
                if self.token is None:
                    self.token = await _login(self.http, self.username, self.password)
                    delay = 30.0 if self.token is None else 0.0
                else:
                    delay = await self._work_once()
                backoff.reset()
            except _Unauthorized:
                self.token = None
                delay = 1.0
            except (aiohttp.ClientError, TimeoutError) as err:
                log.info("%s: server unreachable (%s)", self.username, type(err).__name__)
                delay = backoff.next()
            if await _pause(self.stop, delay):
                return

    def _scaled(self, seconds: float, floor: float = 0.2) -> float:
        return max(floor, seconds / self.speed)

    async def _post(self, action: str, body: Mapping[str, Any] | None = None) -> tuple[int, Any]:
        status, data = await self.http.call(
            "POST",
            f"/api/v1/windows/{self.window_id}/{action}",
            token=self.token,
            body=dict(body or {}),
        )
        if status == 401:
            raise _Unauthorized
        if status >= 300:
            log.debug("%s %s: HTTP %s (%s)", self.window_id, action, status, _error_code(data))
        return status, data

    async def _work_once(self) -> float:
        """Serve at most one ticket; the seconds to wait before trying again."""
        status, data = await self._post("call-next")
        if status == 204:
            # Poll less often the longer nobody comes (a quiet night, a closed hall).
            self.idle_polls += 1
            slowdown = min(3.0, 1.0 + self.idle_polls / 10.0)
            return self._scaled(self.rng.uniform(2.0, 5.0) * slowdown, floor=0.5)
        self.idle_polls = 0
        if status == 409 and _error_code(data) == "window_not_open":
            return self.rng.uniform(20.0, 40.0)
        if status != 200 or not isinstance(data, dict) or not isinstance(data.get("ticket"), dict):
            if status >= 500 or status in (403, 404):
                log.info("%s call-next: HTTP %s (%s)", self.window_id, status, _error_code(data))
            return 10.0
        ticket = data["ticket"]
        log.debug("%s called %s", self.window_id, ticket.get("number"))
        if await self._serve(str(ticket.get("service_id", ""))):
            return 0.0
        if self.rng.random() < BREAK_SHARE:
            await self._take_break()
        return self._scaled(self.rng.uniform(1.0, 4.0))

    async def _serve(self, service_id: str) -> bool:
        """Walk the called ticket through recall/no-show or start/finish; True when stopped."""
        walk = self._scaled(self.rng.uniform(5.0, 30.0))
        roll = self.rng.random()
        if roll < NO_SHOW_SHARE:
            for _ in range(self.rng.randint(1, 2)):
                if await _pause(self.stop, walk):
                    return True
                await self._post("recall")
            if await _pause(self.stop, walk):
                return True
            await self._post("no-show")
            return False
        if roll < NO_SHOW_SHARE + RECALL_SHARE:
            if await _pause(self.stop, walk):
                return True
            await self._post("recall")
        if await _pause(self.stop, walk):
            return True
        status, _ = await self._post("start")
        if status != 200:
            return False
        typical = self.traits.get(service_id, (DEFAULT_TYPICAL_MINUTES, 1.0))[0]
        if await _pause(self.stop, self._scaled(60.0 * service_minutes(self.rng, typical))):
            return True
        await self._post("finish")
        return False

    async def _take_break(self) -> None:
        status, _ = await self._post("pause")
        if status != 200:
            return  # e.g. the last open window of a service with people waiting
        log.debug("%s paused for a short break", self.window_id)
        await _pause(self.stop, self._scaled(60.0 * self.rng.uniform(2.0, 8.0)))
        if not self.stop.is_set():
            await self._post("resume")

"""Uniform draws for the simulation's replications, in antithetic pairs."""

from __future__ import annotations

import math
import random

# Draw channels: each kind of draw has its own stream of uniforms, so a mirrored run
# pairs the i-th service time with the i-th service time of its twin even where the
# two runs have taken different paths (more or fewer arrivals, another window free).
SERVICE, OUTCOME, GAP, ARRIVAL, PATIENCE, LATE, TRANSFER, RESIDUAL = range(8)
_CHANNELS = 8


class Draws:
    """Uniform draws for one replication; every second run mirrors the previous one.

    A mirrored run uses ``1 - u`` wherever the previous run used ``u`` for the same
    purpose (antithetic variates): a run with long services is paired with one with
    short services, which cuts the Monte-Carlo noise of the mean for the same number
    of runs. Each purpose (:data:`SERVICE`, :data:`ARRIVAL`, ...) keeps its own
    sequence, so the pairing survives the runs drifting apart.
    """

    def __init__(self, source: random.Random) -> None:
        self.source = source
        self.recorded: list[list[float]] = [[] for _ in range(_CHANNELS)]
        self.replay: list[list[float]] = [[] for _ in range(_CHANNELS)]
        self.position = [0] * _CHANNELS

    def start(self, mirror: bool) -> None:
        self.replay = self.recorded if mirror else [[] for _ in range(_CHANNELS)]
        self.recorded = [[] for _ in range(_CHANNELS)]
        self.position = [0] * _CHANNELS

    def random(self, channel: int) -> float:
        position = self.position[channel]
        replay = self.replay[channel]
        if position < len(replay):
            self.position[channel] = position + 1
            u = 1.0 - replay[position]
            return u if u < 1.0 else 0.9999999999999999
        u = self.source.random()
        self.recorded[channel].append(u)
        return u

    def expovariate(self, rate: float, channel: int) -> float:
        return -math.log(1.0 - self.random(channel)) / rate

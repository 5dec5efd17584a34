"""Simulator plumbing shared by every device: the byte model base class and its hosts."""

from devices.sim.base import Outbox, SimDevice
from devices.sim.hosts import PtyHost, SimHost, SimLink, TcpHost, open_host

__all__ = ["Outbox", "PtyHost", "SimDevice", "SimHost", "SimLink", "TcpHost", "open_host"]

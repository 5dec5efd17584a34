"""Who is asking: a staff member or a device, and what each may touch."""

from __future__ import annotations

from dataclasses import dataclass

from queue_server.domain.models import Role
from queue_server.service.errors import forbidden


@dataclass(frozen=True)
class Actor:
    """An authenticated caller.

    ``halls`` lists the halls a manager manages (``"*"`` for all); a device is bound to
    one hall; a clerk acts on ``window_id`` only. ``permissions`` are extra rights a
    manager granted to a member of staff (e.g. ``call_out_of_order``).
    """

    kind: str
    name: str
    role: str
    halls: tuple[str, ...] = ()
    window_id: str | None = None
    permissions: tuple[str, ...] = ()

    @property
    def is_staff(self) -> bool:
        """Staff may grant priority classes; devices may not."""
        return self.kind == "staff"

    def can_manage(self, hall_id: str) -> bool:
        """Managers of the hall and admins."""
        if self.role == Role.ADMIN:
            return True
        return self.role == Role.MANAGER and ("*" in self.halls or hall_id in self.halls)

    def require_manager(self, hall_id: str) -> None:
        """Refuse unless the caller manages ``hall_id``."""
        if not self.can_manage(hall_id):
            raise forbidden("only a manager of this hall may do this")

    def require_window(self, hall_id: str, window_id: str) -> None:
        """A clerk on their own window, or a manager of the hall."""
        if self.can_manage(hall_id):
            return
        if self.role == Role.CLERK and self.window_id == window_id:
            return
        raise forbidden("a clerk may act on their own window only")

    def require_out_of_order(self, hall_id: str, window_id: str) -> None:
        """Calling a ticket out of order: a manager, or staff granted ``call_out_of_order``."""
        if self.can_manage(hall_id):
            return
        self.require_window(hall_id, window_id)
        if "call_out_of_order" not in self.permissions:
            raise forbidden("calling out of order needs a manager's permission")

    def require_hall_member(self, hall_id: str) -> None:
        """Staff of the hall, or a device registered to it."""
        if self.can_manage(hall_id) or hall_id in self.halls or "*" in self.halls:
            return
        raise forbidden("not registered for this hall")

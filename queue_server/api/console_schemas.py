"""Request bodies of the console routes (counter, help desk, manager), as JSON Schema."""

from __future__ import annotations

from typing import Any

from queue_server.service import health, help, staff

ID = {"type": "string", "minLength": 1, "maxLength": 64}
DAY = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"}
HHMM = {"type": "string", "pattern": r"^([01]\d|2[0-4]):[0-5]\d$"}

DESK_TICKET: dict[str, Any] = {
    "type": "object",
    "required": ["service_id"],
    "properties": {
        "service_id": ID,
        "id_number": {"type": "string", "maxLength": 32},
        "proxy": {"type": "boolean"},
        "green": {"type": "boolean"},
        "green_reason": {"type": "string", "enum": list(help.GREEN_REASONS)},
    },
    "additionalProperties": False,
}
LOOKUP: dict[str, Any] = {
    "type": "object",
    "properties": {
        "id_number": {"type": "string", "minLength": 1, "maxLength": 32},
        "number": {"type": "string", "minLength": 1, "maxLength": 12},
    },
    "minProperties": 1,
    "maxProperties": 1,
    "additionalProperties": False,
}
HELP_REQUEST: dict[str, Any] = {
    "type": "object",
    "properties": {
        "kind": {"type": "string", "enum": list(help.HELP_KINDS)},
        "message": {"type": "string", "maxLength": 200},
    },
    "additionalProperties": False,
}
HEARTBEAT: dict[str, Any] = {
    "type": "object",
    "required": ["devices"],
    "properties": {
        "devices": {
            "type": "array",
            "maxItems": 32,
            "items": {
                "type": "object",
                "required": ["kind", "status"],
                "properties": {
                    "kind": {"type": "string", "pattern": "^[a-z][a-z0-9_-]{0,31}$"},
                    "status": {"type": "string", "enum": list(health.HEALTH_STATUSES)},
                    "detail": {"type": "string", "maxLength": 120},
                },
                "additionalProperties": False,
            },
        }
    },
    "additionalProperties": False,
}
NUMBER = {"type": "number", "minimum": 0, "maximum": 10000}
RULES: dict[str, Any] = {
    "type": "object",
    "properties": {
        "policy": {
            "type": "object",
            "properties": {
                "green_bonus": NUMBER,
                "appointment_bonus": NUMBER,
                "starvation_cap": NUMBER,
                "recall_limit": {"type": "integer", "minimum": 0, "maximum": 20},
                "keep_arrival_on_transfer": {"type": "boolean"},
                "no_show": {
                    "type": "object",
                    "properties": {
                        "mode": {"type": "string", "enum": ["cancel", "requeue"]},
                        "requeue_behind": {"type": "integer", "minimum": 0, "maximum": 100},
                    },
                    "additionalProperties": False,
                },
            },
            "additionalProperties": False,
        },
        "long_wait_minutes": {"type": "number", "minimum": 1, "maximum": 1440},
        "green_age": {"type": "integer", "nullable": True, "minimum": 50, "maximum": 120},
        "capacity_policy": {"type": "string", "enum": ["warn", "refuse"]},
        "device_offline_minutes": {"type": "number", "minimum": 0.5, "maximum": 1440},
    },
    "additionalProperties": False,
}
SERVICE_RULES: dict[str, Any] = {
    "type": "object",
    "properties": {
        "daily_quota": {"type": "integer", "nullable": True, "minimum": 0, "maximum": 100000},
        "slot_quotas": {
            "type": "array",
            "maxItems": 48,
            "items": {
                "type": "object",
                "required": ["start", "end", "limit"],
                "properties": {
                    "start": HHMM,
                    "end": HHMM,
                    "limit": {"type": "integer", "minimum": 0, "maximum": 100000},
                },
                "additionalProperties": False,
            },
        },
        "typical_minutes": {"type": "number", "minimum": 0.1, "maximum": 600},
        "long_wait_minutes": {"type": "number", "nullable": True, "minimum": 1, "maximum": 1440},
        "id_required": {"type": "boolean"},
    },
    "additionalProperties": False,
}
INTERVALS = {
    "type": "array",
    "maxItems": 6,
    "items": {"type": "array", "items": HHMM, "minItems": 2, "maxItems": 2},
}
SCHEDULE: dict[str, Any] = {
    "type": "object",
    "properties": {
        "weekly": {
            "type": "object",
            "properties": dict.fromkeys(
                ("mon", "tue", "wed", "thu", "fri", "sat", "sun"), INTERVALS
            ),
            "additionalProperties": False,
        },
        "issuing_cutoff_minutes": {"type": "integer", "minimum": 0, "maximum": 240},
    },
    "additionalProperties": False,
}
USERNAME = {"type": "string", "pattern": "^[A-Za-z0-9_.-]{2,32}$"}
PASSWORD = {"type": "string", "minLength": 8, "maxLength": 256}
NEW_CLERK: dict[str, Any] = {
    "type": "object",
    "required": ["username", "password"],
    "properties": {
        "username": USERNAME,
        "password": PASSWORD,
        "display_name": {"type": "string", "maxLength": 40},
        "window_id": ID,
    },
    "additionalProperties": False,
}
CLERK_CHANGE: dict[str, Any] = {
    "type": "object",
    "properties": {
        "window_id": {"type": "string", "nullable": True, "minLength": 1, "maxLength": 64},
        "display_name": {"type": "string", "maxLength": 40},
        "permissions": {
            "type": "array",
            "items": {"type": "string", "enum": list(staff.PERMISSIONS)},
        },
        "active": {"type": "boolean"},
    },
    "minProperties": 1,
    "additionalProperties": False,
}
NEW_PASSWORD: dict[str, Any] = {
    "type": "object",
    "required": ["password"],
    "properties": {"password": PASSWORD},
    "additionalProperties": False,
}
EMPTY: dict[str, Any] = {"type": "object", "properties": {}, "additionalProperties": False}


def json_schema(schema: Any) -> Any:
    """The JSON Schema a body is validated with: OpenAPI 3.0's ``nullable`` as a null type."""
    if isinstance(schema, list):
        return [json_schema(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: json_schema(v) for k, v in schema.items() if k != "nullable"}
    if schema.get("nullable"):
        out["type"] = [schema["type"], "null"]
    return out


RULES_CHECK = json_schema(RULES)
SERVICE_RULES_CHECK = json_schema(SERVICE_RULES)
CLERK_CHANGE_CHECK = json_schema(CLERK_CHANGE)

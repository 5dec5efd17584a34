"""Request bodies (JSON Schema), shared by validation and the OpenAPI document."""

from __future__ import annotations

from typing import Any

ID = {"type": "string", "minLength": 1, "maxLength": 64}

LOGIN: dict[str, Any] = {
    "type": "object",
    "required": ["username", "password"],
    "properties": {
        "username": {"type": "string", "minLength": 1, "maxLength": 64},
        "password": {"type": "string", "minLength": 1, "maxLength": 256},
    },
    "additionalProperties": False,
}

ISSUE: dict[str, Any] = {
    "type": "object",
    "required": ["service_id"],
    "properties": {
        "service_id": ID,
        "id_number": {"type": "string", "minLength": 1, "maxLength": 32},
        "class": {"type": "string", "enum": ["normal", "green", "appointment"]},
        "channel": {
            "type": "string",
            "enum": ["kiosk", "remote", "appointment", "counter", "help_desk"],
        },
    },
    "additionalProperties": False,
}

EMPTY: dict[str, Any] = {"type": "object", "properties": {}, "additionalProperties": False}

CONFIRM: dict[str, Any] = {
    "type": "object",
    "properties": {"confirm": {"type": "boolean"}},
    "additionalProperties": False,
}

TRANSFER: dict[str, Any] = {
    "type": "object",
    "properties": {"service_id": ID, "window_id": ID},
    "minProperties": 1,
    "additionalProperties": False,
}

TICKET_REF: dict[str, Any] = {
    "type": "object",
    "required": ["ticket_id"],
    "properties": {"ticket_id": ID},
    "additionalProperties": False,
}

PROFILE: dict[str, Any] = {
    "type": "object",
    "required": ["services"],
    "properties": {
        "services": {
            "type": "object",
            "additionalProperties": {"type": "number", "minimum": 0, "maximum": 1000},
            "maxProperties": 200,
        }
    },
    "additionalProperties": False,
}

NOTICE: dict[str, Any] = {
    "type": "object",
    "required": ["text"],
    "properties": {
        "text": {"type": "string", "minLength": 1, "maxLength": 500},
        "text_en": {"type": "string", "maxLength": 500},
    },
    "additionalProperties": False,
}

DEVICE: dict[str, Any] = {
    "type": "object",
    "required": ["role"],
    "properties": {
        "role": {"type": "string", "enum": ["kiosk", "screen", "counter"]},
        "label": {"type": "string", "maxLength": 100},
    },
    "additionalProperties": False,
}

TICKET: dict[str, Any] = {
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "number": {"type": "string"},
        "service_id": {"type": "string"},
        "status": {"type": "string"},
        "people_ahead": {"type": "integer"},
        "eta": {
            "type": "object",
            "properties": {
                "minutes": {"type": ["number", "null"]},
                "low": {"type": ["number", "null"]},
                "high": {"type": ["number", "null"]},
            },
        },
        "track_token": {"type": "string"},
    },
}

ERROR: dict[str, Any] = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
        }
    },
}

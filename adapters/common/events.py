"""What the platforms' pure translations (each `events.py`) share."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

Json = Mapping[str, Any]  # a platform's JSON payload, as parsed


def attachment_kind(mime_type: str | None) -> str:
    """An attachment's kind as the core names it, from the MIME type the platform declares."""
    major = (mime_type or "").split("/", 1)[0]
    return {"image": "image", "audio": "audio", "video": "video"}.get(major, "file")

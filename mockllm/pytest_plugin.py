"""pytest plugin entry point (registered through ``pytest11``); the fixtures arrive with issue #9."""

from __future__ import annotations

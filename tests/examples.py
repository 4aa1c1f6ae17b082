"""Valid example values shared by tests: one grave at the Dashalti site."""

from __future__ import annotations

from typing import Any

GRAVE: dict[str, Any] = {
    "site_code": "DSH-01",
    "grave_no": 1,
    "legal_authority_ref": "Court order 17/2026",
    "grave_type": "mass",
    "deposition": "primary",
    "datum_point": {"lat": 40.1, "lon": 46.9, "h_acc_m": 2.0},
    "status": "excavating",
}

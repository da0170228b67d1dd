"""Interface texts of the audit page (Vietnamese, English)."""

TEXTS: dict[str, dict[str, str]] = {
    "audit": {"vi": "Nhật ký", "en": "Audit log"},
}

"""Interface texts of the approvals page (Vietnamese, English)."""

TEXTS: dict[str, dict[str, str]] = {
    "approvals": {"vi": "Duyệt báo cáo", "en": "Approvals"},
}

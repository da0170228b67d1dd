"""Interface texts of the compliance page (Vietnamese, English)."""

TEXTS: dict[str, dict[str, str]] = {
    "compliance": {"vi": "Tình hình báo cáo", "en": "Reporting compliance"},
}

"""Interface texts of the entry page (Vietnamese, English)."""

TEXTS: dict[str, dict[str, str]] = {
    "entry": {"vi": "Nhập số liệu", "en": "Data entry"},
}

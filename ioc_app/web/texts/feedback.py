"""Interface texts of the citizen feedback desk view (Vietnamese, English)."""

TEXTS: dict[str, dict[str, str]] = {
    "feedback": {"vi": "Phản ánh", "en": "Citizen feedback"},
}

"""Interface texts of the cameras and sensors desk view (Vietnamese, English)."""

TEXTS: dict[str, dict[str, str]] = {
    "devices": {"vi": "Camera, cảm biến", "en": "Cameras & sensors"},
}

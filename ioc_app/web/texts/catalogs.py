"""Interface texts of the catalogs page (Vietnamese, English)."""

TEXTS: dict[str, dict[str, str]] = {
    "catalogs": {"vi": "Danh mục", "en": "Catalogs"},
}

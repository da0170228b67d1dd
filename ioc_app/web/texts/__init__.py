"""Interface texts of the write-back pages, one module per page, merged into ioc_app.web.i18n.TEXTS."""
from __future__ import annotations

from ioc_app.web.texts import (accounts, announcements, approvals, audit, catalogs, compliance, devices, entry,
                               feedback, indicators, public)

MODULES = (indicators, feedback, devices, catalogs, entry, approvals, compliance, audit, announcements, public, accounts)


def merged(base: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    """`base` plus every page's texts; a key defined twice is a programming error."""
    result = dict(base)
    for module in MODULES:
        clash = result.keys() & module.TEXTS.keys()
        if clash:
            raise RuntimeError(f"text keys defined twice: {sorted(clash)} ({module.__name__})")
        result.update(module.TEXTS)
    return result

"""Errors meant for the person at the terminal: each carries a one-line message."""


class IocError(Exception):
    """A problem the user can fix; the CLI prints its message on one line and exits 1."""


class ConfigError(IocError):
    """config.yaml or an IOC_* variable is wrong."""


class GeoError(IocError):
    """A boundary or geography file is missing or unusable."""


class SourceError(IocError):
    """A source file cannot be ingested as a whole (wrong columns, unreadable)."""


class StoreError(IocError):
    """The operational DB or the analytical store cannot be reached or used."""


class WritebackError(IocError):
    """A write-back action is refused: not allowed for this user, wrong state, window closed."""


class ConflictError(WritebackError):
    """Someone saved the same report since this user opened it; nothing was written."""

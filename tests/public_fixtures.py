"""Publications made through the real services on the demo installation: two indicators
published, and one of each other fate (proposed, rejected, unpublished) that the public must
never see."""
from __future__ import annotations

from dataclasses import dataclass

from ioc_app.config import load_settings
from ioc_app.lake import connect, snapshot_id
from ioc_app.opdb.session import engine_for, session_scope
from ioc_app.publishing import service
from ioc_app.queries import publishing as pq
from ioc_app.queries.scope import Scope
from ioc_app.writeback.actor import Actor
from tests.demo_instance import Instance

PROPOSER = Actor("test_proposer", "dept_head", None)
EDITOR = Actor("test_editor", "editor", None)
PUBLISHED = ("KTTH01", "NN01")  # KTTH01: province figures only; NN01: province and communes
PERIODS = ("2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3")
NEVER_PUBLISHED_PERIOD = "2024-Q4"
PROPOSED, REJECTED, UNPUBLISHED = "NN02", "DN04", "LD01"


@dataclass(frozen=True)
class Published:
    published: int
    proposed: int
    rejected: int
    unpublished: int


def propose(instance: Instance, codes, periods, level: str = "commune", actor: Actor = PROPOSER) -> int:
    settings = load_settings(instance.config)
    with connect(settings, read_only=True) as con:
        con.execute("USE lake")
        figures = pq.figures(con, Scope(settings.province_code), codes, periods, level)
        sources = pq.sources(con, codes, periods)
        snapshot = snapshot_id(con)
    engine = engine_for(settings.database_url)
    try:
        with session_scope(engine) as db:
            return service.propose(db, actor, figures, sources, snapshot, level).id
    finally:
        engine.dispose()


def act(instance: Instance, step, *args):
    engine = engine_for(load_settings(instance.config).database_url)
    try:
        with session_scope(engine) as db:
            return step(db, *args)
    finally:
        engine.dispose()


def publish_demo_sets(instance: Instance) -> Published:
    published = propose(instance, PUBLISHED, PERIODS)
    act(instance, service.decide, EDITOR, published, True, "Quarterly release")
    proposed = propose(instance, (PROPOSED,), PERIODS)
    rejected = propose(instance, (REJECTED,), PERIODS, "province")
    act(instance, service.decide, EDITOR, rejected, False, "Figures under review")
    unpublished = propose(instance, (UNPUBLISHED,), PERIODS, "province")
    act(instance, service.decide, EDITOR, unpublished, True, None)
    act(instance, service.unpublish, EDITOR, unpublished, "Published by mistake")
    return Published(published, proposed, rejected, unpublished)

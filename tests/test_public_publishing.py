"""The publication workflow through the real services on the demo installation: who may do
what, the four-eyes rule, the seal over the figures, republication and unpublishing, the
audit trail, and what the public store returns at each step."""
from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import select

from ioc_app.opdb.audit import verify_chain
from ioc_app.opdb.models import AuditEntry, PublishedValue
from ioc_app.publishing import public_store, service
from ioc_app.publishing.service import PublishingError
from ioc_app.writeback.actor import Actor
from tests.public_fixtures import EDITOR, PERIODS, PROPOSER, PUBLISHED, act, propose, publish_demo_sets

OTHER_EDITOR = Actor("test_editor_2", "editor", None)


@pytest.fixture(scope="module")
def published(demo):
    return publish_demo_sets(demo)


def _public(demo, code=None, level=None) -> pd.DataFrame:
    return act(demo, public_store.published, code, level)


def test_only_published_sets_reach_the_public_store(demo, published):
    rows = _public(demo)
    assert set(rows["indicator_code"]) >= set(PUBLISHED)
    assert set(rows[rows["indicator_code"].isin(PUBLISHED)]["period"]) == set(PERIODS)
    for code in ("NN02", "DN04", "LD01"):
        assert code not in set(rows["indicator_code"])
    rice = rows[(rows["indicator_code"] == "NN01") & (rows["period"] == "2026-Q3")]
    assert (rice["level"] == "province").sum() == 1 and (rice["level"] == "commune").sum() == 124
    growth = rows[rows["indicator_code"] == "KTTH01"]
    assert set(growth["level"]) == {"province"}
    assert rows["published_at"].notna().all() and rows["approved_at"].notna().all()
    assert (rows["source_count"] > 0).all() and (rows["source_units"] != "").all()


@pytest.mark.parametrize("actor, step, message", [
    (Actor("o", "officer", None), "propose", "may not propose"),
    (Actor("a", "approver", None), "publish", "only the editorial board"),
    (PROPOSER, "publish", "only the editorial board"),
    (EDITOR, "reject", "needs a comment"),
])
def test_refusals_name_the_reason(demo, published, actor, step, message):
    if step == "propose":
        with pytest.raises(PublishingError, match=message):
            propose(demo, ("NN01",), ("2026-Q3",), actor=actor)
        return
    with pytest.raises(PublishingError, match=message):
        act(demo, service.decide, actor, published.proposed, step == "publish", None)


def test_nothing_to_publish_and_unknown_level_are_refused(demo):
    with pytest.raises(PublishingError, match="nothing to publish"):
        propose(demo, ("NN01",), ("1999-Q1",))
    with pytest.raises(PublishingError, match="unknown publication level 'district'"):
        propose(demo, ("NN01",), ("2026-Q3",), level="district")


def test_four_eyes_seal_and_final_states(demo, published):
    own = propose(demo, ("NN03",), PERIODS[-2:], "province", actor=EDITOR)
    with pytest.raises(PublishingError, match="may not publish it: another editor decides"):
        act(demo, service.decide, EDITOR, own, True, None)

    def tamper(db):
        value = db.scalars(select(PublishedValue).where(PublishedValue.publication_id == own).limit(1)).one()
        value.value += 1

    act(demo, tamper)
    with pytest.raises(PublishingError, match="changed after they were proposed"):
        act(demo, service.decide, OTHER_EDITOR, own, True, None)
    act(demo, service.decide, OTHER_EDITOR, own, False, "Tampered: propose again")
    with pytest.raises(PublishingError, match="it is rejected, not proposed"):
        act(demo, service.decide, OTHER_EDITOR, own, True, None)
    with pytest.raises(PublishingError, match="cannot be unpublished: it is rejected"):
        act(demo, service.unpublish, EDITOR, own, "why")
    with pytest.raises(PublishingError, match="needs a reason"):
        act(demo, service.unpublish, EDITOR, published.published, "  ")
    with pytest.raises(PublishingError, match="no publication with id 999999"):
        act(demo, service.decide, EDITOR, 999999, True, None)


def test_republication_replaces_and_unpublishing_falls_back(demo, published):
    def shown() -> pd.DataFrame:
        rows = _public(demo, "NN01")
        return rows[rows["period"] == "2026-Q3"]

    before = shown()
    assert set(before["publication_id"]) == {published.published}
    again = propose(demo, ("NN01",), ("2026-Q3",))
    assert set(shown()["publication_id"]) == {published.published}  # a proposal changes nothing public
    act(demo, service.decide, EDITOR, again, True, "Correction")
    now = shown()
    assert set(now["publication_id"]) == {again} and len(now) == len(before)  # replaced, never doubled
    assert set(_public(demo, "NN01")["period"]) == set(PERIODS)  # the other periods stay with the first set
    act(demo, service.unpublish, EDITOR, again, "Correction withdrawn")
    after = shown()
    assert set(after["publication_id"]) == {published.published}
    assert sorted(after["value"]) == sorted(before["value"])


def test_every_step_is_audited_in_the_chain(demo, published):
    def entries(db):
        return [(e.action, e.entity_id, e.username) for e in
                db.scalars(select(AuditEntry).where(AuditEntry.entity == "publication").order_by(AuditEntry.id))]

    log = act(demo, entries)
    unpublished = str(published.unpublished)
    assert [a for a, i, _ in log if i == unpublished] == ["propose", "publish", "unpublish"]
    assert [a for a, i, _ in log if i == str(published.rejected)] == ["propose", "reject"]
    assert ("propose", str(published.published), PROPOSER.username) in log
    assert act(demo, verify_chain) is None

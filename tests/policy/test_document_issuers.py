"""A profile's ``documents`` section: who issues each case document and how its number begins,
inherited from the base, restated by a local profile, checked when the profile loads."""

from collections.abc import Iterator
from typing import Any

import pytest

from mujun.policy import profiles
from mujun.policy.profiles import DOCUMENT_KINDS, DocumentIssuer, ProfileError, load_profile

LOCAL = "test-local-bureau"


@pytest.fixture
def local_profile(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """A local profile extending the national base, read from the dict the test fills in."""
    document: dict[str, Any] = {
        "id": LOCAL,
        "version": 1,
        "title": "某县",
        "title_en": "A county",
        "document": "test",
        "extends": "cn-idle-2012",
    }
    shipped = profiles._document
    monkeypatch.setattr(
        profiles, "_document", lambda pid: document if pid == LOCAL else shipped(pid)
    )
    load_profile.cache_clear()
    yield document
    load_profile.cache_clear()


def test_the_base_names_every_kinds_issuer_and_code() -> None:
    base = load_profile("cn-idle-2012")
    assert set(base.documents) == set(DOCUMENT_KINDS)
    notice = base.documents["hearing_notice"]
    assert notice.issuer_of("桐庐县", "桐") == "桐庐县自然资源和规划局"
    assert notice.code_of("桐庐县", "桐") == "桐自然资闲"
    plan = base.documents["plan"]
    assert plan.issuer_of("桐庐县", "桐") == "桐庐县低效用地处置工作专班"
    assert plan.code_of("桐庐县", "桐") == "桐自然资处"
    for profile in profiles.all_profiles():  # every local one inherits them
        if profile.extends == "cn-idle-2012":
            assert profile.documents == base.documents


def test_a_local_profile_restates_what_differs_key_by_key(local_profile: dict[str, Any]) -> None:
    local_profile["documents"] = {
        "fee_decision": {"issuer": "{county}自然资源局"},
        "plan": {"code": "{county}专班"},
    }
    loaded = load_profile(LOCAL)
    fee = DocumentIssuer("{county}自然资源局", "{short}自然资闲")
    assert loaded.documents["fee_decision"] == fee
    assert loaded.documents["plan"].code_of("淳安县", "淳") == "淳安县专班"
    assert loaded.documents["plan"].issuer == "{county}低效用地处置工作专班"
    assert (
        loaded.documents["hearing_notice"]
        == load_profile("cn-idle-2012").documents["hearing_notice"]
    )


@pytest.mark.parametrize(
    ("section", "message"),
    [
        (
            {"plan": {"issuer": "{city}工作专班"}},
            r"test-local-bureau\.yaml: documents\.plan\.issuer: unknown placeholder \{city\}",
        ),
        ({"plan": {"code": "{}自然资处"}}, r"documents\.plan\.code: unknown placeholder \{\}"),
        ({"plan": {"code": "{short:>3}资"}}, r"documents\.plan\.code: write \{short\} plainly"),
        ({"plan": {"code": "{short"}}, r"documents\.plan\.code: .* cannot be read"),
        ({"plan": {"issuer": ""}}, r"documents\.plan\.issuer: a text is expected"),
        ({"plan": {"signer": "局长"}}, r"documents\.plan\.signer: unknown key"),
        ({"notice": {"issuer": "局"}}, r"documents\.notice: no such document kind"),
        ({"plan": "局"}, r"documents\.plan: issuer and code are expected"),
    ],
)
def test_a_bad_entry_is_refused_naming_the_file_and_key(
    local_profile: dict[str, Any], section: dict[str, Any], message: str
) -> None:
    local_profile["documents"] = section
    with pytest.raises(ProfileError, match=message):
        load_profile(LOCAL)


def test_a_base_that_issues_documents_names_every_kind(local_profile: dict[str, Any]) -> None:
    del local_profile["extends"]
    local_profile["documents"] = {"plan": {"issuer": "{county}专班", "code": "{short}专"}}
    with pytest.raises(ProfileError, match=r"documents\.investigation_notice\.issuer is missing"):
        load_profile(LOCAL)


def test_a_profile_that_issues_no_documents_has_none() -> None:
    assert load_profile("huangyan-2021").documents == {}

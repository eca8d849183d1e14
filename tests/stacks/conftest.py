"""Synthesize each app configuration once per test session, with cdk-nag, and share the result."""

from __future__ import annotations

import pytest

from tests.stacks.synth import PIPELINE_CONTEXT, USER_IMAGE, Synthesized, synthesize


@pytest.fixture(scope="session", autouse=True)
def _environment_agnostic(monkeypatch_session: pytest.MonkeyPatch) -> None:
    """Synthesize without the CLI's account and Region, as a fresh clone without credentials would."""
    monkeypatch_session.delenv("CDK_DEFAULT_ACCOUNT", raising=False)
    monkeypatch_session.delenv("CDK_DEFAULT_REGION", raising=False)


@pytest.fixture(scope="session")
def monkeypatch_session():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


@pytest.fixture(scope="session")
def dev(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    return synthesize(tmp_path_factory.mktemp("dev"))


@pytest.fixture(scope="session")
def prod(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    return synthesize(tmp_path_factory.mktemp("prod"), stage="prod")


@pytest.fixture(scope="session")
def own_image(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    return synthesize(tmp_path_factory.mktemp("own-image"), imageUri=USER_IMAGE)


@pytest.fixture(scope="session")
def blazingtext(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    return synthesize(tmp_path_factory.mktemp("blazingtext"), algorithm="blazingtext")


@pytest.fixture(scope="session")
def with_pipeline(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    return synthesize(tmp_path_factory.mktemp("pipeline"), **PIPELINE_CONTEXT)

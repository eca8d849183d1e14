"""Synthesize each app configuration once per test session, with cdk-nag, and share the result."""

from __future__ import annotations

import pytest

from tests.stacks.synth import ENVIRONMENTS, VARIANTS, Synthesized, synthesize


@pytest.fixture(scope="session", autouse=True)
def _environment_agnostic(monkeypatch_session: pytest.MonkeyPatch) -> None:
    """Synthesize without the CLI's account and Region unless a test asks for them."""
    monkeypatch_session.delenv("CDK_DEFAULT_ACCOUNT", raising=False)
    monkeypatch_session.delenv("CDK_DEFAULT_REGION", raising=False)


@pytest.fixture(scope="session")
def monkeypatch_session():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


class Assemblies:
    """Each (variant, environment) synthesized on first use, then shared by every test of the session."""

    def __init__(self, factory: pytest.TempPathFactory) -> None:
        self._factory = factory
        self._synthesized: dict[tuple[str, str], Synthesized] = {}

    def get(self, variant: str, environment: str = "agnostic") -> Synthesized:
        key = (variant, environment)
        if key not in self._synthesized:
            outdir = self._factory.mktemp(f"{variant}-{environment}")
            self._synthesized[key] = synthesize(outdir, environment=environment, **VARIANTS[variant])
        return self._synthesized[key]


@pytest.fixture(scope="session")
def assemblies(tmp_path_factory: pytest.TempPathFactory) -> Assemblies:
    return Assemblies(tmp_path_factory)


@pytest.fixture(scope="session", params=[(v, e) for e in ENVIRONMENTS for v in VARIANTS], ids=lambda p: "-".join(p))
def every_variant(request: pytest.FixtureRequest, assemblies: Assemblies) -> Synthesized:
    """Every context variant, both environment-agnostic and with a concrete account and Region."""
    variant, environment = request.param
    return assemblies.get(variant, environment)


@pytest.fixture(scope="session")
def dev(assemblies: Assemblies) -> Synthesized:
    return assemblies.get("dev")


@pytest.fixture(scope="session")
def prod(assemblies: Assemblies) -> Synthesized:
    return assemblies.get("prod")


@pytest.fixture(scope="session")
def own_image(assemblies: Assemblies) -> Synthesized:
    return assemblies.get("own-image")


@pytest.fixture(scope="session")
def blazingtext(assemblies: Assemblies) -> Synthesized:
    return assemblies.get("blazingtext")


@pytest.fixture(scope="session")
def with_pipeline(assemblies: Assemblies) -> Synthesized:
    return assemblies.get("pipeline")

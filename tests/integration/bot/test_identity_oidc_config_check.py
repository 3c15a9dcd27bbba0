"""`rightsdesk config check` for ``[oidc]``: https only (except on loopback), and the reason a
provider cannot be used (TLS, discovery, issuer mismatch), not a bare "unavailable"."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from rightsdesk.checks import check_configuration
from tests.support.oidc.provider import OidcProvider
from tests.support.oidc.tls import private_tls


@pytest.fixture
def provider() -> Iterator[OidcProvider]:
    with OidcProvider() as running:
        yield running


def _check(tmp_path: Path, **oidc: Any) -> tuple[list[str], list[str]]:
    values = {"client_id": "rightsdesk", "client_secret": "secret-0123456789", **oidc}
    lines = "\n".join(f"{key} = {value!r}" for key, value in values.items())
    config = tmp_path / "rightsdesk.toml"
    config.write_text(f"[serve]\npublic_url = 'https://desk.example.lv'\n\n[oidc]\n{lines}\n", encoding="utf-8")
    problems, summary = check_configuration(str(config))
    return [p for p in problems if p.startswith("oidc")], summary


def test_plain_http_issuer_and_redirect_addresses_are_refused(tmp_path: Path) -> None:
    problems, _ = _check(tmp_path, issuer="http://eid-broker.example.lv", redirect_uri="http://desk.example.lv/cb")

    assert [p.split(":")[0] for p in problems] == ["oidc.issuer", "oidc.redirect_uri"]
    assert all("not https" in p for p in problems)


def test_a_loopback_test_provider_over_http_is_accepted_and_reached(tmp_path: Path, provider: OidcProvider) -> None:
    problems, summary = _check(tmp_path, issuer=provider.issuer)

    assert problems == []
    assert any(line.startswith(f"eID login: {provider.issuer} answers its discovery document") for line in summary)


def test_a_private_ca_without_ca_file_is_named_as_a_tls_problem(tmp_path: Path) -> None:
    tls = private_tls(tmp_path / "tls")
    with OidcProvider(tls=(str(tls.cert_file), str(tls.key_file))) as provider:
        untrusted, _ = _check(tmp_path, issuer=provider.issuer)
        trusted, _ = _check(tmp_path, issuer=provider.issuer, ca_file=str(tls.ca_file))

    (problem,) = untrusted
    assert "TLS certificate not trusted" in problem and "set [oidc] ca_file" in problem
    assert trusted == []


def test_an_issuer_that_differs_from_the_discovery_document_is_named(tmp_path: Path, provider: OidcProvider) -> None:
    (problem,) = _check(tmp_path, issuer=provider.issuer + "/")[0]

    assert f"names issuer {provider.issuer!r}" in problem and "identical" in problem


def test_a_missing_discovery_document_is_named_with_its_status(tmp_path: Path, provider: OidcProvider) -> None:
    (problem,) = _check(tmp_path, issuer=provider.issuer + "/tenant")[0]

    assert "discovery document" in problem and "HTTP 404" in problem


def test_a_provider_nobody_listens_for_is_named_as_unreachable(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    (problem,) = _check(tmp_path, issuer=f"http://127.0.0.1:{port}")[0]

    assert "cannot connect" in problem


def test_a_ca_file_that_does_not_exist_is_named(tmp_path: Path, provider: OidcProvider) -> None:
    (problem,) = _check(tmp_path, issuer=provider.issuer, ca_file="broker-ca.pem")[0]

    assert problem.startswith("oidc.ca_file:") and "broker-ca.pem does not exist" in problem

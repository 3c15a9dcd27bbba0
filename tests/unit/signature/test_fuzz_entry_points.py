"""Hostile bytes into the PDF, MIME and CMS entry points: a report or UnusableInput, nothing else."""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from signature.errors import UnusableInput
from signature.pades import validate_pdf
from signature.report import ValidationReport
from signature.smime import validate_detached_p7s, validate_smime_message
from tests.support.samples import smime as smime_samples
from tests.support.samples.pdf import sign_pdf

_FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _mutate(data: bytes, position: int, chunk: bytes) -> bytes:
    at = position % max(len(data), 1)
    return data[:at] + chunk + data[at + len(chunk):]


@pytest.fixture(scope="module")
def signed_pdf(pki: Any) -> bytes:
    return sign_pdf(pki, pki.person, timestamp=False, embed_revocation=False)


@pytest.fixture(scope="module")
def signed_mail(pki: Any) -> bytes:
    return smime_samples.multipart_signed(pki, pki.person)


@_FUZZ
@given(position=st.integers(min_value=0), chunk=st.binary(min_size=1, max_size=16))
def test_mutated_pdf_gives_a_report_or_unusable_input(signed_pdf: bytes, trust_store: Any, position: int,
                                                      chunk: bytes) -> None:
    with contextlib.suppress(UnusableInput):
        assert isinstance(validate_pdf(_mutate(signed_pdf, position, chunk), store=trust_store), ValidationReport)


@_FUZZ
@given(position=st.integers(min_value=0), chunk=st.binary(min_size=1, max_size=16))
def test_mutated_mail_gives_a_report_or_unusable_input(signed_mail: bytes, trust_store: Any, position: int,
                                                       chunk: bytes) -> None:
    try:
        result = validate_smime_message(_mutate(signed_mail, position, chunk), store=trust_store)
        assert isinstance(result.report, ValidationReport)
    except UnusableInput:
        pass


@_FUZZ
@given(p7s=st.binary(max_size=512), content=st.binary(max_size=64))
def test_random_p7s_gives_a_report_or_unusable_input(trust_store: Any, p7s: bytes, content: bytes) -> None:
    with contextlib.suppress(UnusableInput):
        assert isinstance(validate_detached_p7s(p7s, content, store=trust_store), ValidationReport)


@_FUZZ
@given(raw=st.binary(max_size=512))
def test_random_mail_gives_a_report_or_unusable_input(trust_store: Any, raw: bytes) -> None:
    with contextlib.suppress(UnusableInput):
        validate_smime_message(b"Content-Type: multipart/signed; boundary=b\r\n\r\n--b\r\n" + raw, store=trust_store)

"""Containers produced by signature.xades_sign, validated by signature.validate.validate_file."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import pytest

from signature.report import Indication, Qualification
from tests.support.samples.asice import edoc

validate = pytest.importorskip("signature.validate")


@pytest.mark.parametrize(("flavour", "filename"), [("edoc", "request.edoc"), ("dss", "request.asice")])
def test_generated_lt_container_is_a_qes_of_the_customer(pki: Any, trust_store: Any, flavour: str,
                                                         filename: str) -> None:
    report = validate.validate_file(edoc(pki, pki.person, flavour=flavour), filename=filename, store=trust_store)
    assert report.proves_natural_person
    best = report.best
    assert best is not None and best.signer is not None
    assert best.signer.semantics_identifier == "PNOLV-010190-10007"


def test_generated_eseal_container_never_proves_a_person(pki: Any, trust_store: Any) -> None:
    report = validate.validate_file(edoc(pki, pki.eseal), filename="seal.edoc", store=trust_store)
    assert not report.proves_natural_person
    best = report.best
    assert best is not None and best.qualification in (Qualification.QESEAL, Qualification.INDETERMINATE)


def test_generated_container_with_changed_file_fails(pki: Any, trust_store: Any) -> None:
    data = edoc(pki, pki.person, {"pieprasijums.txt": b"piekluve"})
    source, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w") as forged:
        for info in source.infolist():
            body = b"dzesana" if info.filename == "pieprasijums.txt" else source.read(info)
            forged.writestr(info, body)
    report = validate.validate_file(out.getvalue(), filename="x.edoc", store=trust_store)
    best = report.best
    assert best is not None and best.indication is Indication.TOTAL_FAILED

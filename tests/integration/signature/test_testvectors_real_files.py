"""Real signed files (../shared/testvectors) get their documented verdicts.

Personas: a verified customer (the real eParaksts eID signature), an impostor
(the same container with the data file changed), a demo user (LVRTC DEMO chain)
and a bank that seals (an e-seal, which never proves a person).
"""

from __future__ import annotations

import functools
import io
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest

from signature.report import Indication, Qualification, SubIndication
from signature.trust import TrustStore
from signature.validate import validate_file

VECTORS = Path(__file__).resolve().parents[3] / ".." / "shared" / "testvectors"
pytestmark = pytest.mark.skipif(not VECTORS.is_dir(), reason="../shared/testvectors is absent")


@functools.lru_cache(maxsize=1)
def _snapshot_2023() -> TrustStore:
    # Read-only after construction: no test adds anchors to this store.
    return TrustStore.from_directory(VECTORS / "trust")


def _demo_store() -> TrustStore:
    store = TrustStore()
    store.add_anchor((VECTORS / "trust" / "demo" / "DEMO_LV_eID_ICA_2021.pem").read_bytes())
    return store


def _read(name: str) -> bytes:
    return (VECTORS / "signed" / name).read_bytes()


def _replace_entry(container: bytes, name: str, content: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(container)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            dst.writestr(info, content if info.filename == name else src.read(info))
    return out.getvalue()


def test_verified_customer_eid_signature_passes_as_qes_on_the_day_after_signing() -> None:
    report = validate_file(
        _read("lv-qes-2021.edoc"),
        filename="lv-qes-2021.edoc",
        store=_snapshot_2023(),
        at=datetime(2021, 3, 5, tzinfo=UTC),
    )
    best = report.best
    assert best is not None
    assert (best.indication, best.qualification) == (Indication.TOTAL_PASSED, Qualification.QESIG)
    assert best.signer is not None and best.signer.semantics_identifier == "PNOLV-110187-12529"
    assert report.proves_natural_person


def test_verified_customer_signature_still_passes_today_through_long_term_validation() -> None:
    report = validate_file(_read("lv-qes-2021.edoc"), filename="lv-qes-2021.edoc", store=_snapshot_2023())
    best = report.best
    assert best is not None and best.indication is Indication.TOTAL_PASSED
    assert best.qualification is Qualification.QESIG
    assert best.signing_time == datetime(2021, 3, 4, 10, 45, 3, tzinfo=UTC)  # the time-stamp, not the claim
    assert best.signer is not None and best.signer.personal_code == "110187-12529"


def test_signed_file_name_with_plus_is_matched_literally() -> None:
    report = validate_file(_read("lv-qes-2021.edoc"), filename="x.edoc", store=_snapshot_2023())
    assert [f.name for f in report.signatures[0].signed_files] == ["test+test.txt"]
    assert report.unsigned_files == ()


def test_impostor_changing_the_signed_file_gets_hash_failure() -> None:
    tampered = _replace_entry(_read("lv-qes-2021.edoc"), "test+test.txt", b"pay me")
    sig = validate_file(tampered, filename="x.edoc", store=_snapshot_2023()).signatures[0]
    assert (sig.indication, sig.subindication) == (Indication.TOTAL_FAILED, SubIndication.HASH_FAILURE)
    assert not sig.proves_natural_person


def test_without_trusted_lists_nothing_is_qualified() -> None:
    sig = validate_file(_read("lv-qes-2021.edoc"), filename="x.edoc", store=TrustStore()).signatures[0]
    assert sig.indication is Indication.INDETERMINATE
    assert sig.subindication is SubIndication.NO_CERTIFICATE_CHAIN_FOUND


@pytest.mark.parametrize("name", ["lv-demo-LT-7min.asice", "lv-demo-LT-22h.asice", "lv-demo-T.asice"])
def test_demo_signature_has_no_chain_to_a_trusted_list(name: str) -> None:
    sig = validate_file(_read(name), filename=name, store=_snapshot_2023()).signatures[0]
    assert (sig.indication, sig.subindication) == (Indication.INDETERMINATE, SubIndication.NO_CERTIFICATE_CHAIN_FOUND)
    assert dict(sig.checks)["signature value"] == "verified"
    assert not sig.proves_natural_person


def test_demo_signature_with_demo_anchor_reports_signer_path_verified_but_never_qes() -> None:
    sig = validate_file(_read("lv-demo-LT-7min.asice"), filename="d.asice", store=_demo_store()).signatures[0]
    checks = dict(sig.checks)
    assert checks["references"] == "all digests match"
    assert "certificate path verified" in checks["signer certificate path"]
    assert "does not chain" in checks["signature time-stamp"]  # SK's DEMO TSA is not under the anchor
    assert sig.indication is Indication.INDETERMINATE
    assert not sig.proves_natural_person


def test_demo_signature_with_ocsp_22_hours_after_the_time_stamp_warns_about_freshness() -> None:
    sig = validate_file(_read("lv-demo-LT-22h.asice"), filename="d.asice", store=_demo_store()).signatures[0]
    assert any("not fresh" in w for w in sig.warnings)


def test_demo_signature_with_ocsp_7_minutes_after_the_time_stamp_has_no_freshness_warning() -> None:
    sig = validate_file(_read("lv-demo-LT-7min.asice"), filename="d.asice", store=_demo_store()).signatures[0]
    assert not any("not fresh" in w for w in sig.warnings)


def test_t_level_demo_signature_is_indeterminate_for_lack_of_revocation_data() -> None:
    sig = validate_file(_read("lv-demo-T.asice"), filename="t.asice", store=_demo_store()).signatures[0]
    assert (sig.indication, sig.subindication) == (Indication.INDETERMINATE, SubIndication.TRY_LATER)
    assert "no usable revocation information" in sig.reason


def test_bank_e_seal_is_never_a_natural_person() -> None:
    report = validate_file(_read("lv-eseal-2025.asice"), filename="s.asice", store=_snapshot_2023())
    sig = report.signatures[0]
    assert sig.signer is not None and not sig.signer.is_natural_person
    assert sig.qualification not in (Qualification.QESIG, Qualification.ADESIG_QC)
    assert not report.proves_natural_person

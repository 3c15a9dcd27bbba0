"""Re-export: the certificates are made in :mod:`rightsdesk.demo_kit.pki.certs` (the demo uses it too)."""

from __future__ import annotations

from rightsdesk.demo_kit.pki.certs import (
    OCSP_URL,
    QC_STATEMENTS_OID,
    QCP_L_QSCD,
    QCP_N_QSCD,
    Issued,
    PrivateKey,
    make_ca,
    make_eseal,
    make_natural_person,
    make_ocsp_responder,
    make_self_signed_operator,
    make_tsa,
    new_ec_key,
    new_rsa_key,
    qc_statements_der,
    years,
)

__all__ = [
    "OCSP_URL",
    "QCP_L_QSCD",
    "QCP_N_QSCD",
    "QC_STATEMENTS_OID",
    "Issued",
    "PrivateKey",
    "make_ca",
    "make_eseal",
    "make_natural_person",
    "make_ocsp_responder",
    "make_self_signed_operator",
    "make_tsa",
    "new_ec_key",
    "new_rsa_key",
    "qc_statements_der",
    "years",
]

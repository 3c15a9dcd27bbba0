"""A test LOTL and national trusted list in ETSI TS 119 612 v2 XML, signed like real lists.

Both lists carry an enveloped XAdES signature (TS 119 612 clause 5.7.1) made with
signxml's ``XAdESSigner``; pyHanko's ``eutl_parse`` (``parse_lotl_unsafe``,
``trust_list_to_registry``) reads them, as it reads the EU ones.
"""

from __future__ import annotations

import base64
from datetime import datetime, timedelta
from pathlib import Path
from xml.sax.saxutils import escape

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from lxml import etree

from .authority import TestPki
from .certs import Issued

TSL_NS = "http://uri.etsi.org/02231/v2#"
TSLX_NS = "http://uri.etsi.org/02231/v2/additionaltypes#"
_BASE = "http://uri.etsi.org/TrstSvc"
CA_QC = f"{_BASE}/Svctype/CA/QC"
CA_PKC = f"{_BASE}/Svctype/CA/PKC"
TSA_QTST = f"{_BASE}/Svctype/TSA/QTST"
OCSP_QC = f"{_BASE}/Svctype/Certstatus/OCSP/QC"
GRANTED = f"{_BASE}/TrustedList/Svcstatus/granted"
RECOGNISED = f"{_BASE}/TrustedList/Svcstatus/recognisedatnationallevel"
FOR_ESIGNATURES = f"{_BASE}/TrustedList/SvcInfoExt/ForeSignatures"
FOR_ESEALS = f"{_BASE}/TrustedList/SvcInfoExt/ForeSeals"
LOTL_LOCATION = "https://tl.test.invalid/lotl.xml"
TL_LOCATION = "https://tl.test.invalid/LV-TL.xml"


def _xml_time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _b64(cert: x509.Certificate) -> str:
    return base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode("ascii")


def _names(text: str) -> str:
    return f'<Name xml:lang="en">{escape(text)}</Name>'


def _scheme_information(
    *, sequence: int, tsl_type: str, operator: str, territory: str, issued: datetime, pointers: str
) -> str:
    return f"""<SchemeInformation>
<TSLVersionIdentifier>5</TSLVersionIdentifier>
<TSLSequenceNumber>{sequence}</TSLSequenceNumber>
<TSLType>{tsl_type}</TSLType>
<SchemeOperatorName>{_names(operator)}</SchemeOperatorName>
<SchemeOperatorAddress><PostalAddresses><PostalAddress xml:lang="en"><StreetAddress>Test street 1</StreetAddress>
<Locality>Riga</Locality><PostalCode>1000</PostalCode><CountryName>{territory}</CountryName></PostalAddress>
</PostalAddresses><ElectronicAddress><URI xml:lang="en">mailto:tl@test.invalid</URI></ElectronicAddress>
</SchemeOperatorAddress>
<SchemeName>{_names(f"{territory}:Test trusted list")}</SchemeName>
<SchemeInformationURI><URI xml:lang="en">https://tl.test.invalid/info</URI></SchemeInformationURI>
<StatusDeterminationApproach>{_BASE}/TrustedList/StatusDetn/EUappropriate</StatusDeterminationApproach>
<SchemeTypeCommunityRules><URI xml:lang="en">{_BASE}/TrustedList/schemerules/EUcommon</URI>
</SchemeTypeCommunityRules>
<SchemeTerritory>{territory}</SchemeTerritory>
<PolicyOrLegalNotice><TSLLegalNotice xml:lang="en">Test list, no legal effect.</TSLLegalNotice>
</PolicyOrLegalNotice>
<HistoricalInformationPeriod>65535</HistoricalInformationPeriod>
{pointers}
<ListIssueDateTime>{_xml_time(issued)}</ListIssueDateTime>
<NextUpdate><dateTime>{_xml_time(issued + timedelta(days=180))}</dateTime></NextUpdate>
</SchemeInformation>"""


def _pointer(*, location: str, territory: str, tsl_type: str, signer: x509.Certificate) -> str:
    return f"""<OtherTSLPointer>
<ServiceDigitalIdentities><ServiceDigitalIdentity><DigitalId><X509Certificate>{_b64(signer)}</X509Certificate>
</DigitalId></ServiceDigitalIdentity></ServiceDigitalIdentities>
<TSLLocation>{location}</TSLLocation>
<AdditionalInformation>
<OtherInformation><TSLType>{tsl_type}</TSLType></OtherInformation>
<OtherInformation><SchemeTerritory>{territory}</SchemeTerritory></OtherInformation>
<OtherInformation><tslx:MimeType>application/vnd.etsi.tsl+xml</tslx:MimeType></OtherInformation>
<OtherInformation><SchemeOperatorName>{_names("Test Scheme Operator")}</SchemeOperatorName></OtherInformation>
</AdditionalInformation>
</OtherTSLPointer>"""


def _service(*, service_type: str, name: str, cert: x509.Certificate, status: str, since: datetime,
             extension_uris: tuple[str, ...] = ()) -> str:
    extensions = "".join(
        f'<Extension Critical="true"><AdditionalServiceInformation><URI xml:lang="en">{uri}</URI>'
        f"</AdditionalServiceInformation></Extension>"
        for uri in extension_uris
    )
    ext_block = f"<ServiceInformationExtensions>{extensions}</ServiceInformationExtensions>" if extensions else ""
    return f"""<TSPService><ServiceInformation>
<ServiceTypeIdentifier>{service_type}</ServiceTypeIdentifier>
<ServiceName>{_names(name)}</ServiceName>
<ServiceDigitalIdentity><DigitalId><X509Certificate>{_b64(cert)}</X509Certificate></DigitalId></ServiceDigitalIdentity>
<ServiceStatus>{status}</ServiceStatus>
<StatusStartingTime>{_xml_time(since)}</StatusStartingTime>
{ext_block}
</ServiceInformation></TSPService>"""


def _document(body: str) -> str:
    return (
        f'<TrustServiceStatusList xmlns="{TSL_NS}" xmlns:tslx="{TSLX_NS}" Id="TrustServiceStatusList-1" '
        f'TSLTag="http://uri.etsi.org/19612/TSLTag">{body}</TrustServiceStatusList>'
    )


def national_tl_xml(pki: TestPki, *, sequence: int = 1) -> str:
    """The unsigned national list: qualified CA, TSA, OCSP responder, and a non-qualified CA."""
    since = pki.now - timedelta(days=3 * 365)
    services = "".join(
        [
            _service(service_type=CA_QC, name="Test LV eID ICA", cert=pki.qualified_ca.cert, status=GRANTED,
                     since=since, extension_uris=(FOR_ESIGNATURES, FOR_ESEALS)),
            _service(service_type=TSA_QTST, name="Test eParaksts TSA", cert=pki.tsa.cert, status=GRANTED,
                     since=since),
            _service(service_type=OCSP_QC, name="Test LV eID OCSP", cert=pki.ocsp_responder.cert,
                     status=GRANTED, since=since),
            _service(service_type=CA_PKC, name="Test Untrusted CA", cert=pki.untrusted_ca.cert,
                     status=RECOGNISED, since=since),
        ]
    )
    tsp = f"""<TrustServiceProviderList><TrustServiceProvider><TSPInformation>
<TSPName>{_names("Test VAS LVRTC")}</TSPName>
<TSPAddress><PostalAddresses><PostalAddress xml:lang="en"><StreetAddress>Test street 2</StreetAddress>
<Locality>Riga</Locality><PostalCode>1000</PostalCode><CountryName>LV</CountryName></PostalAddress></PostalAddresses>
<ElectronicAddress><URI xml:lang="en">https://tsp.test.invalid</URI></ElectronicAddress></TSPAddress>
<TSPInformationURI><URI xml:lang="en">https://tsp.test.invalid/repository</URI></TSPInformationURI>
</TSPInformation><TSPServices>{services}</TSPServices></TrustServiceProvider></TrustServiceProviderList>"""
    info = _scheme_information(
        sequence=sequence, tsl_type=f"{_BASE}/TrustedList/TSLType/EUgeneric", operator="Test LV Scheme Operator",
        territory=pki.territory, issued=pki.now - timedelta(days=1), pointers="",
    )
    return _document(info + tsp)


def lotl_xml(pki: TestPki, *, sequence: int = 1) -> str:
    """The unsigned list of lists with one pointer to the national list."""
    pointer = _pointer(
        location=TL_LOCATION, territory=pki.territory, tsl_type=f"{_BASE}/TrustedList/TSLType/EUgeneric",
        signer=pki.tl_signer.cert,
    )
    info = _scheme_information(
        sequence=sequence, tsl_type=f"{_BASE}/TrustedList/TSLType/EUlistofthelists",
        operator="Test European Commission", territory="EU", issued=pki.now - timedelta(days=1),
        pointers=f"<PointersToOtherTSL>{pointer}</PointersToOtherTSL>",
    )
    return _document(info)


def sign_list(xml: str, signer: Issued) -> bytes:
    """Enveloped XAdES-BES over the whole list, as TS 119 612 clause 5.7.1 asks."""
    from signxml import methods
    from signxml.algorithms import SignatureMethod
    from signxml.xades.xades import XAdESSigner

    root = etree.fromstring(xml.encode("utf-8"))
    xades = XAdESSigner(
        method=methods.enveloped, signature_algorithm=SignatureMethod.ECDSA_SHA256,
    )
    signed = xades.sign(root, key=signer.key, cert=[signer.cert], reference_uri="#TrustServiceStatusList-1")
    return bytes(etree.tostring(signed, xml_declaration=True, encoding="UTF-8"))


def write_trust_directory(pki: TestPki, directory: Path) -> Path:
    """Write ``lotl-signers/*.pem``, the signed LOTL and the signed national list.

    Same shape as ``/work/shared/testvectors/trust``: ``TrustStore.from_directory``
    reads it. Returns ``directory``.
    """
    (directory / "lotl-signers").mkdir(parents=True, exist_ok=True)
    (directory / "lotl-signers" / "test-lotl-signer.cert.pem").write_bytes(
        pki.lotl_signer.cert.public_bytes(serialization.Encoding.PEM)
    )
    lists = directory / "test"
    lists.mkdir(exist_ok=True)
    (lists / "test-lotl-seq1.xml").write_bytes(sign_list(lotl_xml(pki), pki.lotl_signer))
    (lists / "LV-TL-seq1.xml").write_bytes(sign_list(national_tl_xml(pki), pki.tl_signer))
    return directory

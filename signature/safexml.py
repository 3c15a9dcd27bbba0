"""Hardened XML parsing for signatures and trusted lists.

Every XML document that reaches ``signature`` comes from a stranger (an e-mail
attachment) or from the network (a trusted list). We therefore refuse DTDs
outright (which also rules out entity expansion bombs and external entities),
never touch the network, and never resolve entities. See docs/signatures.md
§Attacks covered ("DTDs, external entities and entity bombs refused").
"""

from __future__ import annotations

from lxml import etree

from .errors import UnusableInput

_MAX_XML_BYTES = 20 * 1024 * 1024


def _parser() -> etree.XMLParser:
    # A fresh parser per call: lxml parsers are not thread-safe.
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=False,
        remove_pis=False,
        collect_ids=False,
    )


def parse_untrusted_xml(data: bytes, *, what: str) -> etree._Element:
    """Parse ``data`` or raise :class:`UnusableInput`; any DOCTYPE is refused."""
    if len(data) > _MAX_XML_BYTES:
        raise UnusableInput(f"{what}: XML larger than {_MAX_XML_BYTES} bytes")
    try:
        tree = etree.fromstring(data, parser=_parser()).getroottree()
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise UnusableInput(f"{what}: not well-formed XML ({exc.__class__.__name__})") from exc
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise UnusableInput(f"{what}: XML with a DOCTYPE is refused (entity/DTD attacks)")
    root = tree.getroot()
    # An undeclared entity reference survives as an Entity node when resolution is off.
    for node in root.iter():
        if isinstance(node, etree._Entity):
            raise UnusableInput(f"{what}: XML entity references are refused")
    return root

"""The e-mail addresses the controller holds for a verified person: bound destinations for the
copy of their data (``workflows.domain.delivery``; Art. 15(3), Art. 32).

The rows are found exactly as the export finds them: the subject finder over the data map,
from the VERIFIED identifiers only (never the sender's address, which anyone can forge), and
the addresses read from the identity columns of kind ``email`` on those rows. Erased
addresses (kept as keyed hashes) are not addresses and are skipped.
"""

from __future__ import annotations

from collections.abc import Mapping

from workflows.adapters.connectors import operations as ops
from workflows.adapters.connectors.executor import SqlControllerData
from workflows.domain import datamap as dm


class DataMapContactsOnFile:
    """Implements ``service_layer.execution.ContactsOnFile`` over the controller's databases."""

    def __init__(self, data: SqlControllerData) -> None:
        self._data = data

    def emails_on_file(self, identifiers: Mapping[str, str]) -> tuple[str, ...]:
        if not identifiers:
            return ()
        with self._data.databases.connections(write=False) as connections:
            found = self._data.find(identifiers, connections)
            if found.is_empty:
                return ()
            contacts = ops.contact_identifiers(self._data.datamap, found, connections)
        return tuple(value for kind, value in contacts if kind is dm.IdentifierKind.EMAIL)

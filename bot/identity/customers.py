"""Who the request is about, in the controller's own data: the customer on file.

The one-time code goes only to a contact the controller already holds (docs/law.md §Identity:
"codes or links to contact details already on file"), never to one typed in the chat; and
a signer or eID user must be the customer the request is about.

:class:`CustomerDirectory` is the port. :class:`DataMapCustomerDirectory` implements it with
the issue-5 subject finder over the controller's data map; :class:`StaticCustomerDirectory`
serves tests and small set-ups. A lookup that finds several customers finds none: sending a
code to the wrong person is worse than asking for another route.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import Connection

from workflows.domain.datamap import DataMap, IdentifierKind, normalise_identifier
from workflows.domain.identity import ClaimedIdentity


@dataclass(frozen=True, slots=True)
class CustomerOnFile:
    """Contact details and identifiers the controller already holds for one customer."""

    key: str
    """A stable key for rate limits (e.g. ``customers:42``); never shown to the person."""
    email: str | None = None
    phone: str | None = None
    personal_code: str | None = None


class CustomerDirectory(Protocol):
    def find(self, claimed: ClaimedIdentity) -> CustomerOnFile | None:
        """The one customer the claimed identifiers point at, or None (none or several)."""
        ...


def claimed_identifiers(claimed: ClaimedIdentity) -> dict[str, str]:
    """The identifiers a chat request carries, keyed by :class:`IdentifierKind` value."""
    pairs = {
        IdentifierKind.EMAIL: claimed.email,
        IdentifierKind.PHONE: claimed.phone,
        IdentifierKind.PERSONAL_CODE: claimed.personal_code,
        IdentifierKind.CUSTOMER_ID: claimed.customer_ref,
    }
    return {str(kind): normalise_identifier(kind, value) for kind, value in pairs.items() if value}


class StaticCustomerDirectory:
    """Customers held in memory; matches on any shared identifier."""

    def __init__(self, customers: Iterable[CustomerOnFile]) -> None:
        self._customers = tuple(customers)

    def find(self, claimed: ClaimedIdentity) -> CustomerOnFile | None:
        wanted = claimed_identifiers(claimed)
        if not wanted:
            return None
        hits = [c for c in self._customers if _matches(c, wanted)]
        return hits[0] if len(hits) == 1 else None


def _matches(customer: CustomerOnFile, wanted: Mapping[str, str]) -> bool:
    held = {
        str(IdentifierKind.EMAIL): customer.email and normalise_identifier(IdentifierKind.EMAIL, customer.email),
        str(IdentifierKind.PHONE): customer.phone and normalise_identifier(IdentifierKind.PHONE, customer.phone),
        str(IdentifierKind.PERSONAL_CODE): customer.personal_code
        and normalise_identifier(IdentifierKind.PERSONAL_CODE, customer.personal_code),
        str(IdentifierKind.CUSTOMER_ID): customer.key,
    }
    return any(held.get(kind) == value for kind, value in wanted.items())


class DataMapCustomerDirectory:
    """Looks the customer up in the controller's databases with the issue-5 subject finder.

    ``table`` is the data-map table of customer accounts (``customers`` in the sample shop);
    its identity columns give the e-mail, phone and personal code on file. ``connect`` opens a
    read connection per database name of the data map (the caller owns the engines).
    """

    def __init__(
        self,
        datamap: DataMap,
        connect: Callable[[str], Connection],
        *,
        table: str = "customers",
        hash_secret: bytes | None = None,
    ) -> None:
        self._datamap = datamap
        self._connect = connect
        self._table = table
        self._hash_secret = hash_secret

    def find(self, claimed: ClaimedIdentity) -> CustomerOnFile | None:
        from workflows.adapters.connectors.subject_finder import find_subject_rows, iter_subject_rows

        wanted = claimed_identifiers(claimed)
        if not wanted:
            return None
        mapped = self._datamap.table(self._table)
        column_of = {str(ident.kind): ident.column for ident in mapped.identity}
        with ExitStack() as stack:
            connections = {
                ref.name: stack.enter_context(self._connect(ref.name)) for ref in self._datamap.databases
            }
            found = find_subject_rows(
                self._datamap, wanted, connections=connections, hash_secret=self._hash_secret
            )
            if found.is_empty:
                return None
            rows = found.rows(self._table)
            if len(rows.keys) != 1:
                return None
            wanted_columns = list(dict.fromkeys([*mapped.key, *column_of.values()]))
            rows_found = iter_subject_rows(
                self._datamap, found, self._table, connections=connections, columns=wanted_columns
            )
            row = next(iter(rows_found), None)
        if row is None:
            return None
        key = ":".join([self._table, *(str(row[c]) for c in mapped.key)])

        def value(kind: IdentifierKind) -> str | None:
            name = column_of.get(str(kind))
            held = row.get(name) if name else None
            return str(held) if held else None

        return CustomerOnFile(
            key=hashlib.sha256(key.encode()).hexdigest()[:32],
            email=value(IdentifierKind.EMAIL),
            phone=value(IdentifierKind.PHONE),
            personal_code=value(IdentifierKind.PERSONAL_CODE),
        )

"""The controller's databases as the engine sees them: plan a request, execute an action.

:class:`SqlControllerData` implements the service layer's ``ControllerData`` port
(``workflows.service_layer.planning``). Both planning and execution find the person's rows
with the subject finder from the VERIFIED identifiers the service layer passes, then build
the same work objects (``operations``): planning turns them into previews, execution applies
them. Execution runs in one transaction per controller database (all opened together, the
rows found inside them, committed at the end), and every statement is idempotent.

Wiring (``rightsdesk.bootstrap``)::

    datamap = load_datamap(path, profile)
    data = SqlControllerData(ControllerDatabases(datamap), profile, export_dir=base_dir / "exports",
                             sealer=controller_seal)  # sealer: optional, ``PackageSealer``
    register_execution_jobs(registry, data, ConfiguredRecipientAddresses(profile, contacts))
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from datetime import date, datetime
from itertools import islice
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine

from workflows.adapters.connectors import operations as ops
from workflows.adapters.connectors.export_package import (
    ExportTable,
    PackageSealer,
    file_sha256,
    recipients_of,
    write_export_package,
)
from workflows.adapters.connectors.recipients import recipients_to_notify
from workflows.adapters.connectors.subject_finder import SubjectRows, find_subject_rows, iter_subject_rows
from workflows.adapters.database import make_engine
from workflows.domain import datamap as dm
from workflows.domain.actions import Action, ActionKind
from workflows.domain.deadlines import riga_date
from workflows.domain.errors import ConfigurationError, WorkflowError
from workflows.domain.plans import (
    ACTION_FOR_RIGHT,
    ErasurePreview,
    ExecutionOutcome,
    ExportedPackage,
    ExportPreview,
    OptOutPreview,
    PlannedAction,
    Preview,
    RecipientsToNotify,
    RectificationPreview,
    RequestPlan,
    RestrictionPreview,
    TableRows,
    preview_from_json,
)
from workflows.domain.profile import ControllerProfile, LegalBasis
from workflows.domain.request import RightsRequest
from workflows.domain.rights import Right

CORRECTIONS_KEY = "corrections"
"""``request.details[CORRECTIONS_KEY]``: field -> corrected value (Art. 16), e.g. {"email": ...};
a field is an identifier kind ("email", "phone") or a column name ("last_name")."""
MARKETING_CHANNELS_KEY = "marketing_channels"
"""``request.details[MARKETING_CHANNELS_KEY]``: ["email", "sms"] the objection names (mail intake
fills it); absent means every channel."""


class ExecutionError(WorkflowError):
    """An action cannot be carried out as it stands (e.g. a rectification without new values)."""


class ControllerDatabases:
    """Engines for the data map's databases, built on first use (never at import)."""

    def __init__(
        self,
        datamap: dm.DataMap,
        *,
        environ: Mapping[str, str] | None = None,
        engines: Mapping[str, Engine] | None = None,
    ) -> None:
        self.datamap = datamap
        self._environ = environ if environ is not None else os.environ
        self._engines: dict[str, Engine] = dict(engines or {})
        self._owned: set[str] = set()

    def engine(self, name: str) -> Engine:
        if name not in self._engines:
            ref = self.datamap.database(name)
            url = ref.url or (self._environ.get(ref.url_env) if ref.url_env else None)
            if not url:
                raise ConfigurationError(f"controller database {name!r}: set {ref.url_env}", database=name)
            self._engines[name] = make_engine(url)
            self._owned.add(name)
        return self._engines[name]

    def hash_secret(self) -> bytes:
        secret = self._environ.get(self.datamap.hash_secret_env)
        if not secret:
            raise ConfigurationError(
                f"keyed hashes need a secret in {self.datamap.hash_secret_env}", variable=self.datamap.hash_secret_env
            )
        return secret.encode()

    @contextmanager
    def connections(self, *, write: bool) -> Iterator[dict[str, Connection]]:
        """A connection per database; with ``write`` one transaction each, committed together
        at the end (all roll back if anything fails before that)."""
        with ExitStack() as stack:
            opened: dict[str, Connection] = {}
            for ref in self.datamap.databases:
                engine = self.engine(ref.name)
                opened[ref.name] = stack.enter_context(engine.begin() if write else engine.connect())
            yield opened

    def dispose(self) -> None:
        for name in self._owned:
            self._engines[name].dispose()


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))


class SqlControllerData:
    """Plans and executes rights in the controller's databases described by a data map."""

    def __init__(
        self,
        databases: ControllerDatabases,
        profile: ControllerProfile,
        *,
        export_dir: Path,
        batch_size: int = 500,
        sealer: PackageSealer | None = None,
    ) -> None:
        self.databases = databases
        self.datamap = databases.datamap
        self.profile = profile
        self.export_dir = export_dir
        self.batch_size = batch_size
        self.sealer = sealer
        """When given, every export package is also sealed into an ASiC-E container."""

    # -- finding -------------------------------------------------------------------------------

    def find(self, identifiers: Mapping[str, str], connections: Mapping[str, Connection]) -> SubjectRows:
        return find_subject_rows(self.datamap, identifiers, connections=connections)

    def _tables_with_rows(self, found: SubjectRows) -> list[dm.Table]:
        return [self.datamap.table(n) for n in self.datamap.link_order() if found.tables[n].count]

    def _purposes_and_categories(self, tables: Sequence[dm.Table]) -> tuple[tuple[str, ...], tuple[str, ...]]:
        purposes = _unique(p for t in tables for c in t.columns for p in c.purposes)
        categories = _unique(c.category for t in tables for c in t.columns)
        return purposes, categories

    def _art19(self, tables: Sequence[dm.Table]) -> RecipientsToNotify:
        purposes, categories = self._purposes_and_categories(tables)
        return recipients_to_notify(self.profile, purposes, categories)

    def _subject_reference(self, found: SubjectRows) -> str:
        """How a recipient knows the person: the first mapped table's key (e.g. "customers 1042")."""
        for t in self._tables_with_rows(found):
            key = found.tables[t.name].keys[0]
            return f"{t.name} {'/'.join(str(part) for part in key)}"
        return ""

    # -- planning ------------------------------------------------------------------------------

    def plan(self, request: RightsRequest, identifiers: Mapping[str, str], *, today: date) -> RequestPlan:
        """A planned action with an exact preview for every right that has one."""
        with self.databases.connections(write=False) as connections:
            found = self.find(identifiers, connections)
            planned: list[PlannedAction] = []
            unplanned: list[Right] = []
            for right in sorted(request.rights):
                preview = self._preview(right, request, identifiers, found, connections, today)
                if preview is None:
                    unplanned.append(right)
                else:
                    planned.append(PlannedAction(right, ACTION_FOR_RIGHT[right], preview))
        return RequestPlan(request.reference, tuple(planned), tuple(unplanned))

    def _preview(
        self,
        right: Right,
        request: RightsRequest,
        identifiers: Mapping[str, str],
        found: SubjectRows,
        connections: Mapping[str, Connection],
        today: date,
    ) -> Preview | None:
        tables = self._tables_with_rows(found)
        if right in (Right.ACCESS, Right.PORTABILITY):
            return self._export_preview(found, portable=right is Right.PORTABILITY)
        if right is Right.RECTIFICATION:
            corrections = _corrections(request)
            if not corrections:
                return None
            changes = ops.plan_rectification(self.datamap, found, corrections, connections)
            touched = [self.datamap.table(n) for n in _unique(c.table for c in changes)]
            return RectificationPreview(changes, self._art19(touched))
        if right is Right.ERASURE:
            work = self._erasure_work(found, identifiers, connections, today)
            deleted, anonymised, kept = work.preview_parts()
            return ErasurePreview(
                deleted=deleted,
                anonymised=anonymised,
                kept=kept,
                categories=work.erased_categories(),
                suppression=_unique(str(kind) for kind, _ in work.suppression),
                recipients=self._art19(tables),
            )
        if right is Right.RESTRICTION:
            targets = [(t.name, t.restriction_flag) for t in tables if t.restriction_flag]
            flags = ops.flag_changes(self.datamap, found, targets, True, connections)
            return RestrictionPreview(flags, self._purposes_and_categories(tables)[1], self._art19(tables))
        if right in (Right.MARKETING_OBJECTION, Right.CONSENT_WITHDRAWAL):
            channels = _channels(request)
            targets = self._consent_targets(tables, channels)
            cleared = ops.flag_changes(self.datamap, found, targets, False, connections)
            suppressed = ops.suppression_kinds(self._contacts(identifiers, found, connections), channels)
            return OptOutPreview(self._consent_purposes(targets), cleared, _unique(str(kind) for kind, _ in suppressed))
        return None  # Art. 21(1): staff weigh compelling legitimate grounds first

    def _export_preview(self, found: SubjectRows, *, portable: bool) -> ExportPreview:
        tables = []
        for t in self._tables_with_rows(found):
            columns = _export_columns(t, portable)
            if columns:
                tables.append(TableRows(t.name, found.tables[t.name].count, columns))
        return ExportPreview(portable=portable, tables=tuple(tables))

    def _contacts(
        self, identifiers: Mapping[str, str], found: SubjectRows, connections: Mapping[str, Connection]
    ) -> list[tuple[dm.IdentifierKind, str]]:
        given = [
            (dm.IdentifierKind(kind), dm.normalise_identifier(kind, value))
            for kind, value in identifiers.items()
            if value and kind in (dm.IdentifierKind.EMAIL, dm.IdentifierKind.PHONE)
        ]
        return list(dict.fromkeys(given + ops.contact_identifiers(self.datamap, found, connections)))

    def _erasure_work(
        self,
        found: SubjectRows,
        identifiers: Mapping[str, str],
        connections: Mapping[str, Connection],
        today: date,
    ) -> ops.ErasureWork:
        suppression = ops.suppression_kinds(self._contacts(identifiers, found, connections))
        return ops.plan_erasure(self.datamap, self.profile, found, today, suppression)

    def _consent_targets(
        self, tables: Sequence[dm.Table], channels: Sequence[dm.MarketingChannel] | None
    ) -> list[tuple[str, str]]:
        return [
            (t.name, col)
            for t in tables
            for channel, col in t.consents.items()
            if channels is None or channel in channels
        ]

    def _consent_purposes(self, targets: Sequence[tuple[str, str]]) -> tuple[str, ...]:
        purposes = _unique(
            p
            for name, col in targets
            if col in self.datamap.table(name).column_names
            for p in self.datamap.table(name).column(col).purposes
        )
        return purposes or tuple(p.id for p in self.profile.purposes if p.legal_basis is LegalBasis.CONSENT)

    # -- execution -----------------------------------------------------------------------------

    def execute(
        self, action: Action, request: RightsRequest, identifiers: Mapping[str, str], *, now: datetime
    ) -> ExecutionOutcome:
        """Carry out ``action`` as approved; idempotent, one transaction per database."""
        preview = preview_from_json(action.preview)
        if action.kind in (ActionKind.EXPORT, ActionKind.PORTABLE_EXPORT):
            return self._export(action, request, identifiers, now=now)
        with self.databases.connections(write=True) as connections:
            found = self.find(identifiers, connections)
            tables = self._tables_with_rows(found)
            reference = self._subject_reference(found)
            notify = getattr(preview, "recipients", RecipientsToNotify()).notify
            if action.kind is ActionKind.ERASE:
                work = self._erasure_work(found, identifiers, connections, riga_date(now))
                counts = ops.apply_erasure(self.datamap, work, connections, self.databases.hash_secret(), now)
                _, _, kept = work.preview_parts()
                return ExecutionOutcome(
                    counts, bool(tables), categories=work.erased_categories(), kept=kept,
                    notify=notify, subject_reference=reference,
                )  # fmt: skip
            if action.kind is ActionKind.RECTIFY:
                if not isinstance(preview, RectificationPreview):
                    raise ExecutionError("a rectification needs its approved changes", action_id=action.id)
                corrections = {c.field: c.new for c in preview.changes}
                changes = ops.plan_rectification(self.datamap, found, corrections, connections)
                counts = {"rectified": ops.apply_rectification(self.datamap, found, changes, connections)}
                return ExecutionOutcome(
                    counts, bool(tables), changes=preview.changes, notify=notify, subject_reference=reference
                )
            if action.kind is ActionKind.RESTRICT:
                targets = [(t.name, t.restriction_flag) for t in tables if t.restriction_flag]
                counts = {"restricted": ops.apply_flags(self.datamap, found, targets, True, connections)}
                _, categories = self._purposes_and_categories(tables)
                return ExecutionOutcome(
                    counts, bool(tables), categories=categories, notify=notify, subject_reference=reference
                )
            if action.kind in (ActionKind.STOP_MARKETING, ActionKind.WITHDRAW_CONSENT):
                channels = _channels(request)
                targets = self._consent_targets(tables, channels)
                counts = {"consents_cleared": ops.apply_flags(self.datamap, found, targets, False, connections)}
                suppressed = ops.suppression_kinds(self._contacts(identifiers, found, connections), channels)
                added = ops.add_suppression(self.datamap, suppressed, connections, self.databases.hash_secret(), now)
                counts["suppression_entries_added"] = {"entries": added}
                return ExecutionOutcome(counts, bool(tables), purposes=self._consent_purposes(targets))
        raise ExecutionError(f"no executor for {action.kind}", action_id=action.id, kind=str(action.kind))

    def _export(
        self, action: Action, request: RightsRequest, identifiers: Mapping[str, str], *, now: datetime
    ) -> ExecutionOutcome:
        portable = action.kind is ActionKind.PORTABLE_EXPORT
        path = self.export_dir / f"{request.reference}-{action.id}.zip"
        with self.databases.connections(write=False) as connections:
            found = self.find(identifiers, connections)
            tables = [t for t in self._tables_with_rows(found) if _export_columns(t, portable)]
            exports = [self._export_table(t, found, connections, portable) for t in tables]
            package = write_export_package(
                path, exports, profile=self.profile, language=request.language,
                reference=request.reference, generated_at=now, portable=portable,
            )  # fmt: skip
        purposes, categories = self._purposes_and_categories(tables)
        retention = _unique(r.rule for t in tables if (r := self.datamap.effective_retention(t.name)) is not None)
        result: dict[str, Any] = {
            "rows": dict(package.rows),
            "package": {"path": str(package.path), "sha256": package.sha256, "size": package.size},
        }
        sealed = self._seal(package.path)
        if sealed is not None:
            result["sealed"] = {"path": sealed.path, "sha256": sealed.sha256, "size": sealed.size}
        return ExecutionOutcome(
            result,
            data_found=bool(tables),
            categories=categories,
            purposes=purposes,
            retention_rules=retention,
            recipients=recipients_of(self.profile, purposes, categories),
            sources=tuple(s.id for s in self.profile.sources if set(s.categories) & set(categories)),
            package=ExportedPackage(str(package.path), package.sha256, package.size, sealed=sealed),
        )

    def _seal(self, package: Path) -> ExportedPackage | None:
        """The package in an ASiC-E container under the controller's seal (eIDAS Art. 35), or
        None without a sealer. Runs after the databases are closed: a slow token or time-stamp
        authority holds no transaction open."""
        if self.sealer is None:
            return None
        container = self.sealer.seal(package)
        digest, size = file_sha256(container)
        return ExportedPackage(str(container), digest, size)

    def _export_table(
        self, t: dm.Table, found: SubjectRows, connections: Mapping[str, Connection], portable: bool
    ) -> ExportTable:
        columns = _export_columns(t, portable)
        rows = iter_subject_rows(
            self.datamap, found, t.name, connections=connections, columns=columns, batch_size=self.batch_size
        )
        columns_of = [c for c in t.columns if c.name in columns]
        return ExportTable(
            name=t.name,
            columns=columns,
            batches=_batched((tuple(row[c] for c in columns) for row in rows), self.batch_size),
            categories=_unique(c.category for c in columns_of),
            purposes=_unique(p for c in columns_of for p in c.purposes),
            retention_rules=tuple(r.rule for r in [self.datamap.effective_retention(t.name)] if r is not None),
        )


def _export_columns(t: dm.Table, portable: bool) -> tuple[str, ...]:
    """Art. 15: every mapped column; Art. 20: only what the person provided."""
    return tuple(c.name for c in t.columns if c.provided or not portable)


def _batched(rows: Iterator[tuple[Any, ...]], size: int) -> Iterator[list[tuple[Any, ...]]]:
    while batch := list(islice(rows, size)):
        yield batch


def _corrections(request: RightsRequest) -> dict[str, str]:
    raw = request.details.get(CORRECTIONS_KEY)
    if not isinstance(raw, Mapping):
        return {}
    return {str(k): str(v) for k, v in raw.items() if isinstance(v, str) and v.strip()}


def _channels(request: RightsRequest) -> list[dm.MarketingChannel] | None:
    raw = request.details.get(MARKETING_CHANNELS_KEY)
    if not isinstance(raw, list) or not raw:
        return None
    known = {c.value for c in dm.MarketingChannel}
    chosen = [dm.MarketingChannel(c) for c in raw if c in known]
    return chosen or None

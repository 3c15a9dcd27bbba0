"""Alembic environment: runs on the connection handed over by workflows.adapters.migrate."""

from __future__ import annotations

from alembic import context

from workflows.adapters.orm import metadata
from workflows.adapters.request_search import include_name

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `rightsdesk db upgrade` (workflows.adapters.migrate)")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
    include_name=include_name,  # the name search index is kept outside the metadata
)
with context.begin_transaction():
    context.run_migrations()

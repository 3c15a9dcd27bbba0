"""Alembic migrations of the rightsdesk database (run with ``rightsdesk db upgrade``)."""

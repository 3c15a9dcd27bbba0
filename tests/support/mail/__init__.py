"""Test helpers for the e-mail intake (capturing SMTP server, server fixtures)."""

from __future__ import annotations

"""Shared test support code (generated PKI, samples) importable from any test folder."""

from __future__ import annotations

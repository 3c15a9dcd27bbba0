"""Signed samples (valid and hostile) generated from the test PKI at test time."""

from __future__ import annotations

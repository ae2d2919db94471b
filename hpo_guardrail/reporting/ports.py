"""The interfaces the reports read and write through; boto3 adapters implement them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from hpo_guardrail.enforce import AuditRecord


class AuditQuery(Protocol):
    def query(
        self, since: str, until: str, *, account: str | None = None, team: str | None = None
    ) -> Iterable[AuditRecord]:
        """Audit records whose occurred_at lies in [since, until]."""
        ...


class ReportArchive(Protocol):
    def put(self, key: str, body: bytes, content_type: str) -> str:
        """Store a report under `key`; returns where it is (an s3:// URI)."""
        ...

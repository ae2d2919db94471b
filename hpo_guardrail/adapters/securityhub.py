"""Security Hub: import findings in ASFF with BatchImportFindings (at most 100 per call)."""

from __future__ import annotations

from typing import Any, ClassVar

from botocore.exceptions import BotoCoreError, ClientError

from hpo_guardrail.enforce.ports import ExportFailed

BATCH_LIMIT = 100


class SecurityHubExporter:
    """FindingsExporter over an injected boto3 Security Hub client."""

    PERMISSIONS: ClassVar[tuple[str, ...]] = ("securityhub:BatchImportFindings",)

    def __init__(self, client: Any) -> None:
        self._client = client

    def export(self, findings: list[dict[str, Any]]) -> int:
        imported = 0
        for start in range(0, len(findings), BATCH_LIMIT):
            try:
                response = self._client.batch_import_findings(Findings=findings[start : start + BATCH_LIMIT])
            except (ClientError, BotoCoreError) as error:
                raise ExportFailed(str(error)) from error
            if response.get("FailedCount"):
                reasons = "; ".join(
                    f"{f.get('Id')}: {f.get('ErrorMessage')}" for f in response.get("FailedFindings", [])
                )
                raise ExportFailed(f"{response['FailedCount']} finding(s) refused: {reasons}")
            imported += int(response.get("SuccessCount", 0))
        return imported

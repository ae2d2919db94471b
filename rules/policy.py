"""The policy the checks apply: thresholds and caps, with a content hash for the audit trail."""

from __future__ import annotations

import hashlib
import re

from pydantic import BaseModel, ConfigDict, Field

# Hyperparameters whose good values usually span orders of magnitude (matched case-insensitively
# against the parameter name). Learning rates, regularisation strengths and tolerances.
DEFAULT_LOG_NATURED_NAMES = (
    r"learning[_-]?rate",
    r"(^|[_-])lr($|[_-])",
    r"^eta$",
    r"alpha",
    r"lambda",
    r"weight[_-]?decay",
    r"regulari[sz]",
    r"(^|[_-])l[12]($|[_-])",
    r"epsilon",
    r"(^|[_-])eps($|[_-])",
    r"^c$",
)


class Policy(BaseModel):
    """Thresholds and caps for one evaluation."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    budget_cap_usd: float = Field(default=1000.0, ge=0)
    log_scale_min_ratio: float = Field(
        default=100.0, gt=1, description="MaxValue/MinValue from which a range should be searched on a log scale"
    )
    default_max_training_jobs: int = Field(
        default=750, ge=1, description="Training jobs assumed when MaxNumberOfTrainingJobs is absent (quota)"
    )
    log_natured_names: tuple[str, ...] = DEFAULT_LOG_NATURED_NAMES

    def is_log_natured_name(self, name: str) -> bool:
        """True when the parameter name suggests values spanning orders of magnitude."""
        return any(re.search(pattern, name, re.IGNORECASE) for pattern in self.log_natured_names)

    @property
    def version(self) -> str:
        """A short content hash: every decision records which policy produced it."""
        canonical = self.model_dump_json()
        return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()[:16]

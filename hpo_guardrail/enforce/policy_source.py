"""Where the policy comes from: the packaged default, a file, or an SSM parameter (`ssm:/name`).

An SSM policy goes through Powertools Parameters and is cached for a configurable max age, so a
platform team changes caps and scopes without redeploying.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from hpo_guardrail.enforce.ports import ParameterStore
from hpo_guardrail.observability import logger
from rules.policy import PolicyDocument
from rules.policy_file import PolicyError, default_policy, parse_policy

SSM_PREFIX = "ssm:"


def is_ssm(spec: str | None) -> bool:
    """Whether a GUARDRAIL_POLICY value names an SSM parameter (ssm:/name)."""
    return (spec or "").strip().startswith(SSM_PREFIX)


@dataclass(frozen=True)
class PolicyReading:
    """The policy an evaluation uses, and, when the configured one could not be used, why and what stood in."""

    document: PolicyDocument
    problem: str | None = None
    fallback: str | None = None


class PolicySource:
    """Loads and caches the policy document named by GUARDRAIL_POLICY; an SSM policy reads through `ssm`."""

    def __init__(self, spec: str | None, max_age_seconds: int = 300, ssm: ParameterStore | None = None) -> None:
        self.spec = (spec or "").strip()
        self._max_age = max_age_seconds
        self._ssm = ssm
        self._parsed: tuple[str, PolicyDocument] | None = None
        # The text of a policy that failed to parse, so it is not parsed (and logged) again on every event.
        self._broken: tuple[str, PolicyError] | None = None

    @property
    def description(self) -> str:
        return self.spec or "the default policy"

    def document(self) -> PolicyDocument:
        """The current policy; raises PolicyError when it cannot be read or is invalid."""
        if not self.spec:
            return default_policy()
        if is_ssm(self.spec):
            name = self.spec.removeprefix(SSM_PREFIX)
            if self._ssm is None:
                raise PolicyError(self.spec, "no SSM parameter reader was given to read it with")
            try:
                text = str(self._ssm.get(name, max_age=self._max_age))
            except Exception as error:
                raise PolicyError(self.spec, f"cannot read the SSM parameter: {error}") from error
        else:
            path = Path(self.spec)
            try:
                text = path.read_text(encoding="utf-8")
            except OSError as error:
                raise PolicyError(self.spec, f"cannot read the file: {error.strerror or error}") from error
        return self._parse(text)

    def current(self) -> PolicyReading:
        """The policy to evaluate with now. A policy that cannot be read or is invalid does not stop the
        guardrail: the last good one (or the packaged default) is used, and the reading says why."""
        try:
            return PolicyReading(document=self.document())
        except PolicyError as problem:
            last_good = self._parsed[1] if self._parsed is not None else None
            fallback = "the last good policy" if last_good is not None else "the packaged default policy"
            logger.error("The policy cannot be used", extra={"policy": self.spec, "reason": str(problem)})
            return PolicyReading(document=last_good or default_policy(), problem=str(problem), fallback=fallback)

    def _parse(self, text: str) -> PolicyDocument:
        # Parsing is cheap but not free; the text changes only when someone edits the policy.
        if self._parsed is None or self._parsed[0] != text:
            if self._broken is not None and self._broken[0] == text:
                raise self._broken[1]
            try:
                document = parse_policy(text, self.spec)
            except PolicyError as problem:
                self._broken = (text, problem)
                raise
            if self._parsed is not None:
                logger.info("Policy changed", extra={"policy": self.spec, "policy_version": document.content_hash})
            self._parsed = (text, document)
        return self._parsed[1]

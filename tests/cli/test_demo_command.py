"""`hpo-guardrail demo` runs the single-account demo (what `make demo` runs); `demo --org` the organization's."""

from __future__ import annotations

import pytest

from hpo_guardrail.cli import build_parser


@pytest.mark.parametrize(
    ("argv", "runs"),
    [(["demo"], "hpo_guardrail.embedded.demo"), (["demo", "--org"], "hpo_guardrail.embedded.demo_org")],
)
def test_demo_runs_the_single_account_demo_and_demo_org_the_organizations(argv, runs, monkeypatch):
    import hpo_guardrail.embedded.demo as single
    import hpo_guardrail.embedded.demo_org as organization

    ran = []
    monkeypatch.setattr(single, "main", lambda argv=(): ran.append(single.__name__) or 0)
    monkeypatch.setattr(organization, "main", lambda argv=(): ran.append(organization.__name__) or 3)
    args = build_parser().parse_args(argv)

    code = args.run(args)

    assert ran == [runs]
    assert code == (3 if args.org else 0), "the demo's exit code is the command's"

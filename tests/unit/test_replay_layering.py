"""The replay folder is pure: it reads records and policies it is given, and talks to no AWS service.

(tests/unit/test_architecture.py holds the other folders; this holds hpo_guardrail/replay the same way.)
"""

from __future__ import annotations

from tests.unit.test_architecture import AWS_SDK, _imported_modules, _imports, _layer, _product_modules

REPLAY_MAY_IMPORT = {"rules", "replay", "enforce"}


def test_replay_imports_only_the_core_the_audit_record_and_itself():
    modules = _product_modules()
    replay = {module: path for module, path in modules.items() if _layer(module) == "replay"}
    assert replay, "the replay folder exists"
    outside = {
        module: sorted(name for name in _imports(path) if name in modules and _layer(name) not in REPLAY_MAY_IMPORT)
        for module, path in replay.items()
    }
    assert {m: names for m, names in outside.items() if names} == {}
    assert {
        m: sorted(_imported_modules(p) & AWS_SDK) for m, p in replay.items() if _imported_modules(p) & AWS_SDK
    } == {}

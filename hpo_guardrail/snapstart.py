"""Lambda SnapStart's runtime hooks for the functions' entry points (functions/*/app.py).

With SnapStart on (template.yaml, parameter SnapStart=Enabled), Lambda initialises a published version once: it
imports the handler's module, runs the before-snapshot hooks and snapshots the execution environment. Every new
environment of that version resumes from the snapshot and runs the after-restore hooks before its first event.
The hooks are registered with `snapshot_restore_py`, the runtime's own library (the open-source snapshot-restore-py
that the Lambda Python managed runtimes include; Lambda Developer Guide, "Lambda SnapStart runtime hooks for
Python"). It is no part of the artifact: outside Lambda it is absent and `prepare_snapshots` registers nothing. The
runtime runs the hooks only when it takes a snapshot (AWS_LAMBDA_INITIALIZATION_TYPE=snap-start; awslambdaric's
bootstrap), so on an on-demand cold start the warm-up does not run and the first event loads what it needs.

What the hooks do:
- Before the snapshot, `warm` (the service's warm-up: a sample event judged in memory, every client, the models built
  on first use; composition.warm_up) runs, so what it loads is in
  the snapshot. A warm-up that fails is logged and the snapshot is taken anyway: a before-snapshot hook that raises
  fails the version's publication, and with it the deployment, while the first event can still load what it needs.
- After each restore, Python's `random` is seeded again. The Lambda guide ("Handling uniqueness with Lambda
  SnapStart") asks that entropy used for pseudorandomness be generated after initialisation: `random` seeds itself
  from os.urandom when it is imported, so every environment resumed from one snapshot would draw the same sequence
  (botocore's retry jitter among them, which would then retry in step). The code's own unique values (uuid4 for
  claims and fallback ids) read os.urandom at each call, not state kept in the snapshot, and need nothing.
  Credentials and connections need nothing either: with SnapStart the SDK takes the execution role's credentials
  from the container credentials endpoint (AWS_CONTAINER_CREDENTIALS_FULL_URI; Lambda Developer Guide, "Activating
  and managing Lambda SnapStart", using SnapStart with AWS SDKs), which botocore refreshes when they expire, and a
  connection the snapshot kept is found closed and opened again (urllib3 checks a pooled connection before reusing
  it; botocore retries a connection error).
"""

from __future__ import annotations

import importlib
import logging
import random
from collections.abc import Callable
from typing import Any

# The Lambda Python runtime's library of SnapStart's runtime hooks.
RUNTIME_HOOKS_MODULE = "snapshot_restore_py"

_log = logging.getLogger(__name__)


def prepare_snapshots(warm: Callable[[], None]) -> None:
    """Register `warm` to run before Lambda takes the snapshot, and the reseeding of `random` after each restore,
    when the runtime's hooks library is there (in Lambda); elsewhere do nothing. Call it once, at import of the
    handler's module, after the service is built."""
    try:
        hooks: Any = importlib.import_module(RUNTIME_HOOKS_MODULE)
    except ImportError:
        return  # not in a Lambda Python runtime: no snapshot will be taken
    hooks.register_before_snapshot(_warm_up, warm)
    hooks.register_after_restore(reseed_random)


def _warm_up(warm: Callable[[], None]) -> None:
    try:
        warm()
    except Exception:
        _log.warning("the warm-up before the snapshot failed; the first event loads what it needs", exc_info=True)


def reseed_random() -> None:
    """Seed Python's `random` from the operating system's entropy again (random.seed() without an argument)."""
    random.seed()

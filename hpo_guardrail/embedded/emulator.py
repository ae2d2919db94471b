"""The embedded AWS: a moto server on 127.0.0.1, extended, with the environment that points boto3 at it."""

from __future__ import annotations

import logging
import os
import re
import threading
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from types import TracebackType
from typing import Any, Self

import boto3
from botocore.config import Config

from hpo_guardrail.embedded import moto_extensions

ACCOUNT_ID = "123456789012"  # moto's default account
REGION = "us-east-1"
LOOPBACK = "127.0.0.1"
# moto serves every account from one server: a request's account is the one this header names, else
# the account of its credentials, else the default. (moto's MOTO_ACCOUNT_ID variable would override
# every request of the process, so the emulator never sets it.)
ACCOUNT_HEADER = "x-moto-account-id"
_ACCOUNT_ID = re.compile(r"^\d{12}$")

# Credentials the emulator accepts; they are not secrets and open nothing outside it.
_FAKE_ACCESS_KEY_ID = "testing"
_FAKE_SECRET_ACCESS_KEY = "testing"

# Variables that would send boto3 elsewhere (a profile, a per-service endpoint, a shared config file with
# endpoints) or to the instance metadata service. Inside the emulator's environment they are unset, so
# nothing can reach a real account by accident.
_VARIABLES_TO_UNSET = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
)
_SERVICE_ENDPOINT_PREFIX = "AWS_ENDPOINT_URL_"
# Keys of an IAM user the emulator creates in each other account, so plain boto3 (which cannot send a
# header) acts in that account: moto maps an access key to the account that issued it.
_account_keys: dict[tuple[str, str], tuple[str, str]] = {}
_account_keys_lock = threading.Lock()


class EmbeddedAws:
    """An emulated AWS account (moto in server mode, extended) listening on 127.0.0.1 only.

    Use it as a context manager, or call start() and stop(). `client()` gives boto3 clients bound to it;
    `environment()` makes plain `boto3.client(...)` calls (the product code's) reach it as well.
    `in_account(...)` is the same server seen as another account (moto serves several), for an
    organization's management, tooling and workload accounts.

    moto keeps its resources in module-level state: two instances in one process serve the same
    account, so give resources unique names (deploy_template does). moto's in-process `mock_aws`
    resets that state when it ends, so do not mix it with a running EmbeddedAws in one process.
    """

    def __init__(self, *, region: str = REGION, port: int = 0, account_id: str = ACCOUNT_ID) -> None:
        if not _ACCOUNT_ID.match(account_id):
            raise ValueError(f"an AWS account id is 12 digits, not {account_id!r}")
        self.region = region
        self.account_id = account_id
        self._port = port  # 0: a free port
        self._server: Any = None
        self._endpoint_url: str | None = None
        self._session: boto3.session.Session | None = None

    @classmethod
    def running_at(cls, endpoint_url: str, *, region: str = REGION) -> EmbeddedAws:
        """The emulator another process runs (`hpo-guardrail sandbox`), reached at its URL.

        Its clients work as this process's own would; start() and stop() leave that server alone.
        """
        aws = cls(region=region)
        aws._endpoint_url = endpoint_url
        aws._session = aws._new_session()
        return aws

    def in_account(self, account_id: str, *, region: str | None = None) -> EmbeddedAws:
        """This emulator seen as another account (and region): its clients and environment act there.

        The view shares the running server; stopping the view does nothing, stopping this stops both.
        """
        view = type(self)(region=region or self.region, account_id=account_id)
        view._endpoint_url = self.endpoint_url
        view._session = view._new_session()
        return view

    def _new_session(self) -> boto3.session.Session:
        return boto3.session.Session(
            aws_access_key_id=_FAKE_ACCESS_KEY_ID,
            aws_secret_access_key=_FAKE_SECRET_ACCESS_KEY,
            region_name=self.region,
        )

    def start(self) -> Self:
        """Patch moto and start the server on a free port; returns self."""
        if self._server is not None or self._endpoint_url is not None:
            return self
        moto_extensions.install()
        # Imported here so that importing this module stays cheap (moto.server pulls in every service).
        from moto.server import ThreadedMotoServer

        # One line per request from werkzeug would drown everything else; errors still show.
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        server = ThreadedMotoServer(ip_address=LOOPBACK, port=self._port, verbose=False)
        server.start()
        host, port = server.get_host_and_port()
        self._server = server
        self._endpoint_url = f"http://{host}:{port}"
        self._session = self._new_session()
        return self

    def stop(self) -> None:
        """Stop the server (the emulated resources live in this process and go with it)."""
        if self._server is None:
            return
        self._server.stop()
        self._server = None
        self._endpoint_url = None
        self._session = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def endpoint_url(self) -> str:
        """The server's URL, e.g. http://127.0.0.1:50123."""
        if self._endpoint_url is None:
            raise RuntimeError("the embedded AWS is not running; call start() first")
        return self._endpoint_url

    def client(self, service: str, *, account: str | None = None, credentials: dict[str, Any] | None = None) -> Any:
        """A boto3 client for `service` bound to the emulator, whatever the environment says.

        It acts in this view's account, or in `account` (every request carries the account header);
        with `credentials` (an AssumeRole answer's Credentials) it acts as they say, as in AWS: moto
        maps keys from AssumeRole to the role's account.
        """
        if account is not None and account != self.account_id:
            return self.in_account(account).client(service, credentials=credentials)
        if self._session is None:
            raise RuntimeError("the embedded AWS is not running; call start() first")
        # Few retries: a 500 from the emulator is a bug to see at once, not a throttle to wait out.
        config = Config(retries={"mode": "standard", "max_attempts": 2})
        if credentials is not None:
            session: Any = boto3.session.Session(
                aws_access_key_id=credentials["AccessKeyId"],
                aws_secret_access_key=credentials["SecretAccessKey"],
                aws_session_token=credentials.get("SessionToken"),
                region_name=self.region,
            )
            return session.client(service, endpoint_url=self.endpoint_url, config=config)
        session = self._session  # the stubs type client() per literal service name
        client = session.client(service, endpoint_url=self.endpoint_url, config=config)
        if self.account_id != ACCOUNT_ID:
            client.meta.events.register("before-sign", _send_as_account(self.account_id))
        return client

    def assume_role_as_service(
        self, role_arn: str, *, service: str = "lambda.amazonaws.com", session_name: str = "embedded-aws"
    ) -> dict[str, Any]:
        """Credentials of a role as an AWS service gets them (Lambda its execution role): the role's trust
        policy must admit `service`. Returns AssumeRole's Credentials (pass them to `client`)."""
        from hpo_guardrail.embedded.moto_extensions import SERVICE_PRINCIPAL_HEADER

        sts = self.client("sts")
        sts.meta.events.register("before-sign", _with_header(SERVICE_PRINCIPAL_HEADER, service))
        answer = sts.assume_role(RoleArn=role_arn, RoleSessionName=session_name)
        return dict(answer["Credentials"])

    def run_tuning_job(
        self,
        name: str,
        training_jobs: Iterable[moto_extensions.TrainingJobRun],
        final_status: str,
        *,
        failure_reason: str | None = None,
        end_time: datetime | None = None,
        copies: int = 1,
    ) -> list[str]:
        """Make this account's (and region's) tuning job `name` run `training_jobs` and finish in
        `final_status` (Completed, Stopped or Failed), as SageMaker would have run it; returns the ids of the
        state-change events put on the default bus (`copies` per change). See moto_extensions/training_jobs.py.

        Works in the process that runs the emulator (the emulated jobs live in its memory).
        """
        return moto_extensions.run_tuning_job(
            name,
            training_jobs,
            final_status,
            account_id=self.account_id,
            region=self.region,
            failure_reason=failure_reason,
            end_time=end_time,
            copies=copies,
        )

    def emit_tuning_job_state_change(self, name: str, *, copies: int = 1) -> list[str]:
        """Put a "SageMaker HyperParameter Tuning Job State Change" event with the job's current state on
        this account's default bus (`copies` separate events); returns their ids."""
        return moto_extensions.emit_state_change(name, account_id=self.account_id, region=self.region, copies=copies)

    def environment_variables(self) -> dict[str, str]:
        """The variables that point boto3 at the emulator (what `environment()` sets), in this account."""
        access_key_id, secret_access_key = self._account_credentials()
        return {
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_ACCESS_KEY_ID": access_key_id,
            "AWS_SECRET_ACCESS_KEY": secret_access_key,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_REGION": self.region,
            # No shared config or credentials file: a developer's own profiles must not leak in.
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "AWS_EC2_METADATA_DISABLED": "true",
        }

    def _account_credentials(self) -> tuple[str, str]:
        """Keys that act in this view's account: the fake ones for the default account, else the keys of
        an IAM user the emulator creates there once per server."""
        if self.account_id == ACCOUNT_ID:
            return _FAKE_ACCESS_KEY_ID, _FAKE_SECRET_ACCESS_KEY
        with _account_keys_lock:
            cache_key = (self.endpoint_url, self.account_id)
            if cache_key not in _account_keys:
                iam = self.client("iam")
                user_name = f"embedded-aws-{uuid.uuid4().hex[:12]}"
                iam.create_user(UserName=user_name)
                key = iam.create_access_key(UserName=user_name)["AccessKey"]
                _account_keys[cache_key] = (key["AccessKeyId"], key["SecretAccessKey"])
            return _account_keys[cache_key]

    @contextmanager
    def environment(self) -> Iterator[None]:
        """Point plain boto3 at the emulator while inside; restore the previous environment after."""
        overrides: dict[str, str | None] = dict.fromkeys(_VARIABLES_TO_UNSET)
        overrides.update(dict.fromkeys(k for k in os.environ if k.startswith(_SERVICE_ENDPOINT_PREFIX)))
        overrides.update(self.environment_variables())
        with patched_environ(overrides):
            # boto3's default session caches credentials and region from when it was first used.
            boto3.DEFAULT_SESSION = None
            try:
                yield
            finally:
                boto3.DEFAULT_SESSION = None


def _send_as_account(account_id: str) -> Any:
    return _with_header(ACCOUNT_HEADER, account_id)


def _with_header(name: str, value: str) -> Any:
    """A botocore before-sign handler that adds one header to every request of a client."""

    def add_header(request: Any, **_: Any) -> None:
        request.headers[name] = value

    return add_header


@contextmanager
def patched_environ(overrides: dict[str, str | None]) -> Iterator[None]:
    """Set (or, for None, unset) environment variables while inside; restore them exactly after."""
    saved = {name: os.environ.get(name) for name in overrides}
    try:
        for name, value in overrides.items():
            _set_or_unset(name, value)
        yield
    finally:
        for name, value in saved.items():
            _set_or_unset(name, value)


def _set_or_unset(name: str, value: str | None) -> None:
    if value is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = value

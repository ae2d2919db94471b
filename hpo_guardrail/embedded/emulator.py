"""The embedded AWS: a moto server on 127.0.0.1, extended, with the environment that points boto3 at it."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import Any, Self

import boto3
from botocore.config import Config

from hpo_guardrail.embedded import moto_extensions

ACCOUNT_ID = "123456789012"  # moto's default account
REGION = "us-east-1"
LOOPBACK = "127.0.0.1"

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


class EmbeddedAws:
    """An emulated AWS account (moto in server mode, extended) listening on 127.0.0.1 only.

    Use it as a context manager, or call start() and stop(). `client()` gives boto3 clients bound to it;
    `environment()` makes plain `boto3.client(...)` calls (the product code's) reach it as well.

    moto keeps its resources in module-level state: two instances in one process serve the same
    account, so give resources unique names (deploy_template does). moto's in-process `mock_aws`
    resets that state when it ends, so do not mix it with a running EmbeddedAws in one process.
    """

    def __init__(self, *, region: str = REGION, port: int = 0) -> None:
        self.region = region
        self.account_id = ACCOUNT_ID
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

    def client(self, service: str) -> Any:
        """A boto3 client for `service` bound to the emulator, whatever the environment says."""
        if self._session is None:
            raise RuntimeError("the embedded AWS is not running; call start() first")
        # Few retries: a 500 from the emulator is a bug to see at once, not a throttle to wait out.
        config = Config(retries={"mode": "standard", "max_attempts": 2})
        session: Any = self._session  # the stubs type client() per literal service name
        return session.client(service, endpoint_url=self.endpoint_url, config=config)

    def environment_variables(self) -> dict[str, str]:
        """The variables that point boto3 at the emulator (what `environment()` sets)."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_ACCESS_KEY_ID": _FAKE_ACCESS_KEY_ID,
            "AWS_SECRET_ACCESS_KEY": _FAKE_SECRET_ACCESS_KEY,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_REGION": self.region,
            # No shared config or credentials file: a developer's own profiles must not leak in.
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "AWS_EC2_METADATA_DISABLED": "true",
        }

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

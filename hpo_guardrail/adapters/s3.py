"""S3: the weekly report, one object per ISO week, in the stack's report bucket."""

from __future__ import annotations

from typing import Any, ClassVar

# The bucket encrypts with SSE-S3 by default, so writing needs no KMS permission.


class S3ReportArchive:
    """ReportArchive over an injected boto3 S3 client and a bucket name."""

    PERMISSIONS: ClassVar[tuple[str, ...]] = ("s3:PutObject",)

    def __init__(self, client: Any, bucket: str) -> None:
        self._client = client
        self.bucket = bucket

    def put(self, key: str, body: bytes, content_type: str) -> str:
        """Store one report (a new version when the key exists); returns its s3:// URI."""
        self._client.put_object(
            Bucket=self.bucket,
            Key=key,
            Body=body,
            ContentType=content_type,
            # A re-run for the same week replaces the object: readers must not see a cached copy.
            CacheControl="no-cache",
        )
        return f"s3://{self.bucket}/{key}"

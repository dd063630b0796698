"""Photos in any S3-compatible object store (AWS, MinIO, Ceph, Garage) through boto3.

Objects are named ``<prefix><key>``. A write is conditional (``If-None-Match: *``): an object,
once stored, is never overwritten, so two workers storing the same photo cannot race, and
the server checks a SHA-256 of the body before it keeps anything.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from typing import Any

from honestcount.storage.base import (
    HEX,
    MissingObject,
    StorageError,
    check_key,
    content_key,
)

_MISSING = {"404", "NoSuchKey", "NotFound"}
# 412: the object exists already (our conditional write); 409: a concurrent conditional
# write of the same name is in flight (S3 answers ConditionalRequestConflict).
_EXISTS = {"412", "PreconditionFailed", "409", "ConditionalRequestConflict"}


def _code(exc: Exception) -> str:
    response = getattr(exc, "response", None) or {}
    error = response.get("Error", {})
    return str(error.get("Code", ""))


def s3_client(
    *,
    endpoint: str | None = None,
    region: str | None = None,
    access_key: str | None = None,
    secret_key: str | None = None,
    path_style: bool = True,
    timeout_s: float = 20.0,
) -> Any:
    """A boto3 S3 client. Without keys, boto3's own chain applies (an instance role)."""
    try:
        import boto3
        from botocore.config import Config
    except ImportError:  # pragma: no cover - depends on the installation
        raise StorageError(
            "an s3:// photo store needs boto3: pip install 'honestcount[s3]'"
        ) from None
    config = Config(
        s3={"addressing_style": "path" if path_style else "auto"},
        retries={"max_attempts": 5, "mode": "standard"},
        connect_timeout=timeout_s,
        read_timeout=timeout_s,
        # Checksums only where the operation needs one: not every S3-compatible server
        # accepts the CRC trailers that newer botocore sends by default.
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
    )
    session = boto3.session.Session()
    return session.client(
        "s3",
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        config=config,
    )


class S3Store:
    """A bucket (and a prefix within it) of an S3-compatible service."""

    def __init__(
        self,
        client: Any,
        bucket: str,
        prefix: str = "",
        *,
        server_side_encryption: str | None = None,
    ) -> None:
        self.client = client
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.sse = server_side_encryption

    def __repr__(self) -> str:
        return f"S3Store(s3://{self.bucket}/{self.prefix})"

    def _name(self, key: str) -> str:
        return self.prefix + check_key(key)

    def _call(self, method: str, **kwargs: Any) -> Any:
        try:
            return getattr(self.client, method)(Bucket=self.bucket, **kwargs)
        except Exception as exc:
            if _code(exc) in _MISSING and "Key" in kwargs:
                raise MissingObject(kwargs["Key"].removeprefix(self.prefix)) from None
            if _code(exc) in _EXISTS:
                raise
            raise StorageError(f"object store s3://{self.bucket}: {method} failed: {exc}") from exc

    def put(self, data: bytes, key: str | None = None) -> str:
        key = check_key(key) if key is not None else content_key(data)
        extra: dict[str, Any] = {}
        if self.sse:
            extra["ServerSideEncryption"] = self.sse
        digest = base64.b64encode(hashlib.sha256(data).digest()).decode()
        try:
            self._call(
                "put_object",
                Key=self._name(key),
                Body=data,
                IfNoneMatch="*",
                ChecksumSHA256=digest,
                ContentType="application/octet-stream",
                **extra,
            )
        except Exception as exc:
            if _code(exc) not in _EXISTS:
                raise
        return key

    def get(self, key: str) -> bytes:
        response = self._call("get_object", Key=self._name(key))
        body = response["Body"]
        try:
            return bytes(body.read())
        finally:
            body.close()

    def exists(self, key: str) -> bool:
        try:
            self._call("head_object", Key=self._name(key))
        except MissingObject:
            return False
        return True

    def delete(self, key: str) -> None:
        self._call("delete_object", Key=self._name(key))

    def keys(self) -> Iterator[str]:
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix):
            for item in page.get("Contents", []):
                key = str(item["Key"]).removeprefix(self.prefix)
                if len(key) == 64 and HEX.issuperset(key):
                    yield key

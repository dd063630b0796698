"""Where photos are stored, from ``HONESTCOUNT_PHOTO_STORE_*`` environment variables.

===================================  ======================================================
``HONESTCOUNT_PHOTO_STORE_URL``      ``s3://bucket/prefix``, ``file:///srv/photos`` or a
                                     folder (default: the intake's ``HONESTCOUNT_PHOTO_DIR``)
``HONESTCOUNT_PHOTO_STORE_ENDPOINT``  the S3 API's URL for a non-AWS service (MinIO, Ceph,
                                     Garage), e.g. ``https://s3.example.org``
``HONESTCOUNT_PHOTO_STORE_REGION``   the region (default ``us-east-1``)
``HONESTCOUNT_PHOTO_STORE_ACCESS_KEY`` / ``..._SECRET_KEY``  credentials (default: boto3's own
                                     chain, e.g. an instance role)
``HONESTCOUNT_PHOTO_STORE_SSE``      server-side encryption to ask for (``AES256``, ``aws:kms``)
``HONESTCOUNT_STAGING_STORE_URL``    where uploads wait for the worker (default: ``incoming/``
                                     beside the photos)
``HONESTCOUNT_STAGING_KEY``          seals waiting uploads (32+ characters; required)
===================================  ======================================================

They are the fields of :class:`honestcount.settings.StorageSettings`; this module turns them
into stores.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from honestcount.settings import StorageSettings
from honestcount.storage.base import PhotoStore, StorageError
from honestcount.storage.local import LocalStore
from honestcount.storage.s3 import S3Store, s3_client
from honestcount.storage.sealed import MIN_SECRET, SealedStore


def open_store(url: str, settings: StorageSettings | None = None) -> PhotoStore:
    """The store that ``url`` names: ``s3://bucket/prefix``, ``file:///path`` or a folder."""
    settings = settings or StorageSettings()
    parts = urlsplit(url)
    if parts.scheme == "s3":
        if not parts.netloc:
            raise StorageError(f"{url}: an s3:// URL names a bucket: s3://bucket/prefix")
        secret = settings.photo_store_secret_key
        access = settings.photo_store_access_key
        client = s3_client(
            endpoint=settings.photo_store_endpoint,
            region=settings.photo_store_region,
            access_key=access.get_secret_value() if access else None,
            secret_key=secret.get_secret_value() if secret else None,
        )
        return S3Store(
            client, parts.netloc, parts.path, server_side_encryption=settings.photo_store_sse
        )
    if parts.scheme == "file":
        return LocalStore(parts.path)
    if parts.scheme:
        raise StorageError(f"{url}: a photo store is s3://bucket/prefix, file:///path or a folder")
    return LocalStore(url)


def photo_store(settings: StorageSettings | None = None) -> PhotoStore:
    """The store of clean, published-to-staff photos."""
    settings = settings or StorageSettings()
    return open_store(settings.photo_url(), settings)


def staging_store(settings: StorageSettings | None = None) -> SealedStore:
    """The sealed store of uploads waiting for the photo worker."""
    settings = settings or StorageSettings()
    if settings.staging_key is None:
        raise StorageError(
            f"HONESTCOUNT_STAGING_KEY is needed ({MIN_SECRET}+ characters): it seals uploads "
            "until the photo worker has stripped them"
        )
    inner = open_store(settings.staging_url(), settings)
    return SealedStore(inner, settings.staging_key.get_secret_value().encode())

"""Photo storage behind one interface: a local folder or an S3-compatible object store.

* :class:`PhotoStore`: ``put(bytes) -> key``, ``get``, ``exists``, ``delete``, ``keys``;
* :class:`LocalStore` (a private folder) and :class:`S3Store` (boto3; AWS, MinIO, Ceph,
  Garage);
* :class:`SealedStore`: uploads waiting for the photo worker, encrypted and keyed by HMAC;
* :func:`photo_store` / :func:`staging_store` / :func:`open_store` from
  :class:`StorageSettings`.
"""

from honestcount.storage.base import (
    HashKeyedStore,
    MissingObject,
    PhotoStore,
    StorageError,
    check_key,
    content_key,
)
from honestcount.storage.local import LocalStore
from honestcount.storage.s3 import S3Store, s3_client
from honestcount.storage.sealed import SealedStore
from honestcount.storage.settings import StorageSettings, open_store, photo_store, staging_store

__all__ = [
    "HashKeyedStore",
    "LocalStore",
    "MissingObject",
    "PhotoStore",
    "S3Store",
    "SealedStore",
    "StorageError",
    "StorageSettings",
    "check_key",
    "content_key",
    "open_store",
    "photo_store",
    "s3_client",
    "staging_store",
]

"""The photo store: one behaviour for a local folder and for an S3 API server."""

from __future__ import annotations

import hashlib
import os
import stat

import pytest

from honestcount.storage import (
    LocalStore,
    MissingObject,
    PhotoStore,
    S3Store,
    SealedStore,
    StorageError,
    StorageSettings,
    open_store,
    photo_store,
    staging_store,
)

SECRET = b"staging-secret-for-tests-" + b"y" * 16


@pytest.fixture(params=["local", "s3"])
def store(request, tmp_path) -> PhotoStore:
    if request.param == "local":
        return LocalStore(tmp_path / "photos")
    client, bucket = request.getfixturevalue("s3_bucket")
    return S3Store(client, bucket, "photos/")


def test_put_is_content_addressed_idempotent_and_deletable(store):
    data = os.urandom(3000)
    key = store.put(data)
    assert key == hashlib.sha256(data).hexdigest()
    assert store.put(data) == key  # twice: one object
    assert store.exists(key) and store.get(key) == data
    other = store.put(b"other bytes" * 20)
    assert sorted(store.keys()) == sorted([key, other])
    store.delete(key)
    store.delete(key)  # a missing object is not an error
    assert not store.exists(key)
    with pytest.raises(MissingObject):
        store.get(key)
    assert list(store.keys()) == [other]


@pytest.mark.parametrize("bad", ["../../etc/passwd", "A" * 64, "ab", "g" * 64, ""])
def test_malformed_keys_name_nothing(store, bad):
    assert not store.exists(bad)
    with pytest.raises(MissingObject):
        store.get(bad)


def test_local_store_is_private_and_leaves_no_partial_files(tmp_path):
    root = tmp_path / "photos"
    store = LocalStore(root)
    key = store.put(b"x" * 500)
    path = root / key[:2] / key[2:4] / f"{key}.jpg"  # the intake's layout so far
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    for folder in (root, path.parent, path.parent.parent):
        assert stat.S_IMODE(folder.stat().st_mode) & 0o077 == 0, folder
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary file left


def test_s3_objects_live_under_the_prefix(s3_bucket):
    client, bucket = s3_bucket
    store = S3Store(client, bucket, "/election-1/photos/")
    key = store.put(b"z" * 100)
    names = [o["Key"] for o in client.list_objects_v2(Bucket=bucket)["Contents"]]
    assert names == [f"election-1/photos/{key}"]
    assert S3Store(client, bucket, "elsewhere").exists(key) is False


def test_s3_unreachable_is_a_storage_error():
    from honestcount.storage import s3_client

    client = s3_client(endpoint="http://127.0.0.1:9", access_key="a", secret_key="b", timeout_s=1)
    client.meta.config.retries = {"max_attempts": 0}
    with pytest.raises(StorageError):
        S3Store(client, "bucket").get("a" * 64)


def test_sealed_store_hides_bytes_and_their_hash(tmp_path):
    inner = LocalStore(tmp_path / "incoming")
    sealed = SealedStore(inner, SECRET)
    data = b"GPS-MARKER " + os.urandom(2000)
    key = sealed.put(data)
    assert key != hashlib.sha256(data).hexdigest()  # a seized phone's file does not match it
    assert sealed.put(data) == key and list(inner.keys()) == [key]
    raw = inner.get(key)
    assert b"GPS-MARKER" not in raw and len(raw) > len(data)
    assert sealed.get(key) == data
    with pytest.raises(StorageError):
        SealedStore(inner, b"another-secret-of-enough-length!!").get(key)
    with pytest.raises(StorageError):
        SealedStore(inner, b"short")


def test_settings_choose_the_store(tmp_path, s3_endpoint):
    local = open_store(f"file://{tmp_path}/p")
    assert isinstance(local, LocalStore) and str(local.root) == f"{tmp_path}/p"
    assert isinstance(open_store(str(tmp_path / "q")), LocalStore)
    with pytest.raises(StorageError):
        open_store("ftp://host/x")
    with pytest.raises(StorageError):
        open_store("s3:///no-bucket")
    values = dict(
        photo_store_url="s3://photos-bucket/ballots",
        photo_store_endpoint=s3_endpoint,
        photo_store_access_key="k",
        photo_store_secret_key="s",
    )
    settings = StorageSettings(**values)
    store = photo_store(settings)
    assert isinstance(store, S3Store) and store.bucket == "photos-bucket"
    assert store.prefix == "ballots/"
    with pytest.raises(StorageError, match="HONESTCOUNT_STAGING_KEY"):
        staging_store(settings)
    staged = staging_store(StorageSettings(**values, staging_key=SECRET.decode()))
    assert isinstance(staged.inner, S3Store) and staged.inner.prefix == "ballots/incoming/"


def test_settings_read_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("HONESTCOUNT_PHOTO_STORE_URL", "s3://b/p")
    monkeypatch.setenv("HONESTCOUNT_PHOTO_STORE_SECRET_KEY", "hidden-value")
    monkeypatch.setenv("HONESTCOUNT_PHOTO_DIR", str(tmp_path))
    settings = StorageSettings()
    assert settings.photo_url() == "s3://b/p"
    assert "hidden-value" not in repr(settings)
    monkeypatch.delenv("HONESTCOUNT_PHOTO_STORE_URL")
    assert StorageSettings().photo_url() == str(tmp_path)

"""The storage interface on local disk and on an S3-compatible bucket (moto's in-memory S3)."""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

from portal.config import StorageSettings
from portal.files.storage import LocalStorage, S3Storage


async def round_trip(storage, tmp_path) -> None:
    source = tmp_path / "source"
    source.write_bytes(b"solid part\n" * 1000)
    key = "models/" + "ab" * 32
    assert not await storage.exists(key)
    await storage.put_file(key, source)
    assert await storage.exists(key)
    copy = tmp_path / "copy"
    await storage.fetch(key, copy)
    assert copy.read_bytes() == source.read_bytes()
    streamed = b"".join([chunk async for chunk in storage.stream(key)])
    assert streamed == source.read_bytes()
    await storage.put_bytes("previews/" + "ab" * 32 + ".png", b"png")
    await storage.delete(key)
    assert not await storage.exists(key)
    with pytest.raises(FileNotFoundError):
        await storage.fetch(key, copy)


async def test_local_storage(tmp_path) -> None:
    storage = LocalStorage(tmp_path / "storage")
    await round_trip(storage, tmp_path)
    with pytest.raises(ValueError):
        storage.local_path("models/../../etc/passwd")


async def test_s3_storage(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    with mock_aws():
        boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="models")
        storage = S3Storage(StorageSettings(root=tmp_path / "local", s3_bucket="models", s3_region="us-east-1"))
        await round_trip(storage, tmp_path)

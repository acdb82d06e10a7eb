"""Where model files and their previews are kept, by key: a folder now, an S3 bucket when set.

Keys are content addresses (`models/<sha256>`, `previews/<sha256>.png`), so the same bytes are
stored once and an object never changes once written. Uploads in progress are written to
`temp_dir()` (always local disk) and handed over with `put_file`.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import anyio

from portal.config import StorageSettings

CHUNK = 256 * 1024
KINDS = ("models", "previews", "documents", "slices")  # documents: attached to orders; slices: JSON


class StorageError(Exception):
    """The storage could not be reached or refused the request: worth trying again later."""


class Storage:
    """What every storage offers (keys as made by `model_key` and `preview_key`)."""

    def temp_dir(self) -> Path:
        raise NotImplementedError

    async def put_file(self, key: str, path: Path) -> None:
        raise NotImplementedError

    async def put_bytes(self, key: str, data: bytes) -> None:
        raise NotImplementedError

    async def exists(self, key: str) -> bool:
        raise NotImplementedError

    async def fetch(self, key: str, destination: Path) -> None:
        raise NotImplementedError

    def local_path(self, key: str) -> Path | None:
        """The object's file when it is on this machine's disk (served without copying)."""
        raise NotImplementedError

    def stream(self, key: str) -> AsyncIterator[bytes]:
        raise NotImplementedError

    async def delete(self, key: str) -> None:
        raise NotImplementedError


def model_key(sha256: str) -> str:
    return f"models/{sha256}"


def preview_key(sha256: str, kind: str) -> str:
    return f"previews/{sha256}.{kind}"


def document_key(sha256: str) -> str:
    """An attached document (a drawing, a photo, an invoice), kept once by its content."""
    return f"documents/{sha256}"


def slice_key(sha256: str, options_key: str) -> str:
    """A model's slice with one set of options (`geometry.slicer.SliceOptions.key()`), as JSON."""
    return f"slices/{sha256}.{options_key}.json"


class LocalStorage(Storage):
    def __init__(self, root: Path) -> None:
        self.root = root
        (root / "tmp").mkdir(parents=True, exist_ok=True)

    def temp_dir(self) -> Path:
        return self.root / "tmp"

    def _path(self, key: str) -> Path:
        kind, _, name = key.partition("/")
        if not name or "/" in name or name.startswith(".") or kind not in KINDS:
            raise ValueError(f"not a storage key: {key!r}")
        return self.root / kind / name[:2] / name

    def local_path(self, key: str) -> Path | None:
        path = self._path(key)
        return path if path.exists() else None

    async def put_file(self, key: str, path: Path) -> None:
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():  # the same content is there already
            return
        # Copy beside the target, then rename: a reader never sees half an object.
        fd, partial = tempfile.mkstemp(dir=target.parent, prefix=".partial-")
        os.close(fd)
        try:
            await anyio.to_thread.run_sync(shutil.copyfile, path, partial)
            os.replace(partial, target)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(partial)

    async def put_bytes(self, key: str, data: bytes) -> None:
        fd, partial = tempfile.mkstemp(dir=self.temp_dir())
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            await self.put_file(key, Path(partial))
        finally:
            os.unlink(partial)

    async def exists(self, key: str) -> bool:
        return self._path(key).exists()

    async def fetch(self, key: str, destination: Path) -> None:
        source = self._path(key)
        if not source.exists():
            raise FileNotFoundError(key)
        await anyio.to_thread.run_sync(shutil.copyfile, source, destination)

    async def stream(self, key: str) -> AsyncIterator[bytes]:
        async with await anyio.open_file(self._path(key), "rb") as handle:
            while chunk := await handle.read(CHUNK):
                yield chunk

    async def delete(self, key: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self._path(key).unlink()


class S3Storage(Storage):
    """An S3-compatible bucket through boto3 (its blocking calls run in a worker thread)."""

    def __init__(self, settings: StorageSettings) -> None:
        import boto3
        from botocore.config import Config

        self.bucket = settings.s3_bucket
        self._temp = settings.root / "tmp"
        self._temp.mkdir(parents=True, exist_ok=True)
        self._client = boto3.client(
            "s3",
            endpoint_url=settings.s3_endpoint_url,
            region_name=settings.s3_region,
            aws_access_key_id=settings.s3_access_key,
            aws_secret_access_key=settings.s3_secret_key,
            config=Config(retries={"max_attempts": 3, "mode": "standard"}),
        )

    def temp_dir(self) -> Path:
        return self._temp

    def local_path(self, key: str) -> Path | None:
        return None

    async def _call(self, function, *args, **kwargs):
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return await anyio.to_thread.run_sync(lambda: function(*args, **kwargs))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                raise FileNotFoundError(args[0] if args else "") from exc
            raise StorageError(str(exc)) from exc
        except BotoCoreError as exc:
            raise StorageError(str(exc)) from exc

    async def put_file(self, key: str, path: Path) -> None:
        if await self.exists(key):
            return
        await self._call(self._client.upload_file, str(path), self.bucket, key)

    async def put_bytes(self, key: str, data: bytes) -> None:
        await self._call(self._client.put_object, Bucket=self.bucket, Key=key, Body=data)

    async def exists(self, key: str) -> bool:
        try:
            await self._call(self._client.head_object, Bucket=self.bucket, Key=key)
        except FileNotFoundError:
            return False
        return True

    async def fetch(self, key: str, destination: Path) -> None:
        await self._call(self._client.download_file, self.bucket, key, str(destination))

    async def stream(self, key: str) -> AsyncIterator[bytes]:
        response = await self._call(self._client.get_object, Bucket=self.bucket, Key=key)
        body = response["Body"]
        try:
            while chunk := await anyio.to_thread.run_sync(body.read, CHUNK):
                yield chunk
        finally:
            body.close()

    async def delete(self, key: str) -> None:
        await self._call(self._client.delete_object, Bucket=self.bucket, Key=key)


def build_storage(settings: StorageSettings) -> Storage:
    if settings.s3_bucket:
        return S3Storage(settings)
    return LocalStorage(settings.root)

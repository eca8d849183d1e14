"""Object storage behind one small interface: Amazon S3, or a local directory standing in for it.

Every URI the workflow handles is an ``s3://bucket/key`` URI. :class:`LocalStorage` maps it to
``<root>/bucket/key`` so the offline runner and the tests use the same URIs as a deployment.
Writes are atomic: an object appears whole once its writer closes without error, or not at all.
A write with ``if_absent=True`` publishes only if no object has that key (S3's conditional write,
``If-None-Match: *``; locally a hard link, which fails if the name exists), so of two writers
racing for one key exactly one wins and the other gets :class:`ObjectExists`.
"""

from __future__ import annotations

import io
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Protocol

LOCAL_ROOT_ENV = "BYOAL_LOCAL_S3_ROOT"

_MULTIPART_CHUNK = 16 * 1024 * 1024


class StorageError(Exception):
    """A storage operation failed for a reason the caller should report (missing object, bad URI)."""


class ObjectExists(StorageError):
    """A write-if-absent found the object already there; nothing was written."""


def split_uri(uri: str) -> tuple[str, str]:
    """``s3://bucket/a/b`` -> ``("bucket", "a/b")``; raises StorageError for anything else."""
    if not isinstance(uri, str) or not uri.startswith("s3://"):
        raise StorageError(f"not an s3:// URI: {uri!r}")
    bucket, _, key = uri[len("s3://"):].partition("/")
    if not bucket:
        raise StorageError(f"no bucket in URI: {uri!r}")
    return bucket, key


def join_uri(prefix: str, *parts: str) -> str:
    """Join a folder URI (ending in ``/``) and relative key parts."""
    return prefix.rstrip("/") + "/" + "/".join(part.strip("/") for part in parts)


class Storage(Protocol):
    """The object store the workflow reads and writes, addressed by ``s3://bucket/key`` URIs."""

    def exists(self, uri: str) -> bool:
        """Whether an object has the key."""

    def open_read(self, uri: str) -> IO[bytes]:
        """A binary stream over the object; raises StorageError if it does not exist."""

    @contextmanager
    def open_write(self, uri: str, *, if_absent: bool = False) -> Iterator[IO[bytes]]:
        """A binary sink; the object is published only when the block exits without error.

        With ``if_absent`` it is published only if the key holds no object; else ObjectExists.
        """

    def list(self, prefix_uri: str) -> list[str]:
        """URIs of the objects under a prefix, sorted by key."""

    def delete(self, uri: str) -> None:
        """Remove the object; no error if there is none."""


def read_bytes(storage: Storage, uri: str) -> bytes:
    """The whole object; StorageError if it does not exist."""
    with storage.open_read(uri) as stream:
        return stream.read()


def write_bytes(storage: Storage, uri: str, data: bytes) -> None:
    """Write the object atomically, replacing any object with the key."""
    with storage.open_write(uri) as sink:
        sink.write(data)


def _umask() -> int:
    """The process umask (reading it means setting it; set straight back)."""
    mask = os.umask(0o077)
    os.umask(mask)
    return mask


class LocalStorage:
    """``s3://bucket/key`` stored as ``<root>/bucket/key``.

    New files get the mode ``open()`` gives them (0666 & ~umask).
    """

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def path(self, uri: str) -> Path:
        """The local file that holds the object: ``<root>/bucket/key``; StorageError for a URI that is not s3://."""
        bucket, key = split_uri(uri)
        return self.root / bucket / key

    def exists(self, uri: str) -> bool:
        """Whether the object's file exists."""
        return self.path(uri).is_file()

    def open_read(self, uri: str) -> IO[bytes]:
        """The object's file opened for binary reading; StorageError if it does not exist."""
        path = self.path(uri)
        if not path.is_file():
            raise StorageError(f"object not found: {uri}")
        return open(path, "rb")

    @contextmanager
    def open_write(self, uri: str, *, if_absent: bool = False) -> Iterator[IO[bytes]]:
        """A temporary file in the object's folder, moved into place when the block exits without error.

        With ``if_absent`` it is hard-linked instead, so an existing file raises ObjectExists and is kept.
        """
        path = self.path(uri)
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
        try:
            # mkstemp makes the file private (0600); the object gets the mode open() would give it.
            os.fchmod(handle, 0o666 & ~_umask())
            with os.fdopen(handle, "wb") as sink:
                yield sink
                sink.flush()
                os.fsync(sink.fileno())
            if if_absent:
                try:
                    os.link(temporary, path)
                except FileExistsError:
                    raise ObjectExists(f"object already exists: {uri}") from None
                Path(temporary).unlink()
            else:
                os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def list(self, prefix_uri: str) -> list[str]:
        """URIs of the files under the prefix, sorted by key, leaving out unfinished writes (``*.partial``)."""
        bucket, key_prefix = split_uri(prefix_uri)
        bucket_root = self.root / bucket
        if not bucket_root.is_dir():
            return []
        uris = []
        for path in bucket_root.rglob("*"):
            key = path.relative_to(bucket_root).as_posix()
            if path.is_file() and key.startswith(key_prefix) and not path.name.endswith(".partial"):
                uris.append(f"s3://{bucket}/{key}")
        return sorted(uris)

    def delete(self, uri: str) -> None:
        """Remove the object's file; no error if there is none."""
        self.path(uri).unlink(missing_ok=True)

    def put_file(self, uri: str, source: str | Path) -> None:
        """Copy a local file into the object, atomically."""
        with self.open_write(uri) as sink, open(source, "rb") as stream:
            shutil.copyfileobj(stream, sink)


class _MultipartUpload(io.RawIOBase):
    """A write-only stream that uploads to S3 in parts and publishes the object on commit."""

    def __init__(self, client, bucket: str, key: str, *, if_absent: bool = False) -> None:
        self._client, self._bucket, self._key = client, bucket, key
        self._condition = {"IfNoneMatch": "*"} if if_absent else {}
        self._buffer = bytearray()
        self._parts: list[dict] = []
        self._upload_id: str | None = None

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self._buffer.extend(data)
        if len(self._buffer) >= _MULTIPART_CHUNK:
            self._upload_part()
        return len(data)

    def _upload_part(self) -> None:
        if self._upload_id is None:
            self._upload_id = self._client.create_multipart_upload(Bucket=self._bucket, Key=self._key)["UploadId"]
        number = len(self._parts) + 1
        response = self._client.upload_part(
            Bucket=self._bucket, Key=self._key, UploadId=self._upload_id, PartNumber=number, Body=bytes(self._buffer)
        )
        self._parts.append({"ETag": response["ETag"], "PartNumber": number})
        self._buffer.clear()

    def commit(self) -> None:
        try:
            if self._upload_id is None:
                self._client.put_object(Bucket=self._bucket, Key=self._key, Body=bytes(self._buffer), **self._condition)
                return
            if self._buffer:
                self._upload_part()
            self._client.complete_multipart_upload(
                Bucket=self._bucket, Key=self._key, UploadId=self._upload_id, MultipartUpload={"Parts": self._parts},
                **self._condition,
            )
        except self._client.exceptions.ClientError as error:
            # 412: the object exists; 409: another conditional write to the key is under way.
            if self._condition and error.response["Error"]["Code"] in (
                "PreconditionFailed",
                "ConditionalRequestConflict",
            ):
                raise ObjectExists(f"object already exists: s3://{self._bucket}/{self._key}") from None
            raise

    def abort(self) -> None:
        if self._upload_id is not None:
            self._client.abort_multipart_upload(Bucket=self._bucket, Key=self._key, UploadId=self._upload_id)


class S3Storage:
    """Amazon S3 through boto3: streaming reads, multipart writes."""

    def __init__(self, client=None) -> None:
        if client is None:
            import boto3

            client = boto3.client("s3")
        self._client = client

    def exists(self, uri: str) -> bool:
        """Whether HeadObject finds the key (False on 404); other client errors propagate."""
        bucket, key = split_uri(uri)
        try:
            self._client.head_object(Bucket=bucket, Key=key)
        except self._client.exceptions.ClientError as error:
            if error.response["Error"]["Code"] in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        return True

    def open_read(self, uri: str) -> IO[bytes]:
        """The GetObject body stream; StorageError if the key does not exist."""
        bucket, key = split_uri(uri)
        try:
            body = self._client.get_object(Bucket=bucket, Key=key)["Body"]
        except self._client.exceptions.NoSuchKey as error:
            raise StorageError(f"object not found: {uri}") from error
        return body

    @contextmanager
    def open_write(self, uri: str, *, if_absent: bool = False) -> Iterator[IO[bytes]]:
        """A buffered multipart upload, completed when the block exits without error and aborted otherwise.

        With ``if_absent`` the completion is conditional (``If-None-Match: *``); ObjectExists if the key is taken.
        """
        bucket, key = split_uri(uri)
        upload = _MultipartUpload(self._client, bucket, key, if_absent=if_absent)
        sink = io.BufferedWriter(upload, buffer_size=1024 * 1024)
        try:
            yield sink
            sink.flush()
            upload.commit()
        except BaseException:
            upload.abort()
            raise

    def list(self, prefix_uri: str) -> list[str]:
        """URIs of the objects under the prefix (ListObjectsV2, every page), sorted by key."""
        bucket, prefix = split_uri(prefix_uri)
        uris = []
        for page in self._client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            uris.extend(f"s3://{bucket}/{item['Key']}" for item in page.get("Contents", []))
        return sorted(uris)

    def delete(self, uri: str) -> None:
        """DeleteObject (S3 reports no error if there is no such key)."""
        bucket, key = split_uri(uri)
        self._client.delete_object(Bucket=bucket, Key=key)


def storage_from_environment() -> Storage:
    """Local storage when ``BYOAL_LOCAL_S3_ROOT`` is set (offline runner, tests), else Amazon S3."""
    root = os.environ.get(LOCAL_ROOT_ENV)
    return LocalStorage(root) if root else S3Storage()

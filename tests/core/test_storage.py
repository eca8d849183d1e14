"""Storage: atomic writes, listing, and S3 multipart uploads that publish only on success."""

from __future__ import annotations

import os
import stat

import pytest

from byoal import manifest
from byoal import storage as storage_module
from byoal.storage import StorageError, read_bytes, write_bytes

from .conftest import BUCKET


def test_a_failed_write_leaves_no_object(storage):
    uri = f"s3://{BUCKET}/a/b.manifest"
    with pytest.raises(RuntimeError):
        with storage.open_write(uri) as sink:
            sink.write(b"half")
            raise RuntimeError("boom")
    assert not storage.exists(uri) and storage.list(f"s3://{BUCKET}/a/") == []


def test_large_writes_go_in_parts_and_read_back_in_lines(storage, monkeypatch):
    monkeypatch.setattr(storage_module, "_MULTIPART_CHUNK", 5 * 1024 * 1024)
    uri = f"s3://{BUCKET}/big.manifest"
    records = ({"source": f"headline {i} " + "x" * 200, "byoal-id": i} for i in range(60_000))
    assert manifest.write_records(storage, uri, records) == 60_000
    assert sum(1 for _ in manifest.read_records(storage, uri)) == 60_000


def test_listing_and_missing_objects(storage):
    write_bytes(storage, f"s3://{BUCKET}/p/2.out", b"2")
    write_bytes(storage, f"s3://{BUCKET}/p/1.out", b"1")
    write_bytes(storage, f"s3://{BUCKET}/q/1.out", b"1")
    assert storage.list(f"s3://{BUCKET}/p/") == [f"s3://{BUCKET}/p/1.out", f"s3://{BUCKET}/p/2.out"]
    with pytest.raises(StorageError, match="not found"):
        read_bytes(storage, f"s3://{BUCKET}/nope")


def test_a_line_that_is_not_json_is_named(storage):
    write_bytes(storage, f"s3://{BUCKET}/m", b'{"source": "a"}\n\n[1, 2]\n')
    from byoal.errors import InputError

    with pytest.raises(InputError, match="line 3: expected a JSON object, got list"):
        list(manifest.read_records(storage, f"s3://{BUCKET}/m"))


def test_fields_appended_to_a_line_keep_the_rest_byte_for_byte():
    import json

    line = manifest.dumps({"source": 'a "quoted" \\ \n line — ü', "n": [1, {"x": None}]})
    extended = manifest.append_members(
        line, manifest.encode_members({"category": 2, "category-metadata": {"class-name": "Ü"}})
    )
    assert extended.startswith(line[:-2]) and extended.endswith(b"}\n")
    assert json.loads(extended) == {**json.loads(line), "category": 2, "category-metadata": {"class-name": "Ü"}}
    assert json.loads(manifest.append_members(b"{ }\n", manifest.encode_members({"a": 1}))) == {"a": 1}


@pytest.mark.parametrize("if_absent", [False, True], ids=["replace", "if absent"])
def test_local_objects_get_the_mode_the_umask_gives_like_any_new_file(tmp_path, if_absent):
    local = storage_module.LocalStorage(tmp_path)
    uri = f"s3://{BUCKET}/final/output.manifest"
    previous = os.umask(0o022)
    try:
        with local.open_write(uri, if_absent=if_absent) as sink:
            sink.write(b'{"source": "a"}\n')
    finally:
        os.umask(previous)
    assert stat.S_IMODE(local.path(uri).stat().st_mode) == 0o644
    assert read_bytes(local, uri) == b'{"source": "a"}\n'

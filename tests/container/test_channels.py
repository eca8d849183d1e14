import json

import pytest

from byoal_model.channels import ChannelError, channel_files, read_channel
from tests.container.support import write_jsonl


def read(directory, num_classes=4, attribute="category"):
    return read_channel(directory, "train", label_attribute=attribute, num_classes=num_classes)


def test_reads_every_visible_file_recursively_whatever_its_extension(tmp_path):
    write_jsonl(tmp_path / "a.jsonl", [{"source": "one", "category": 0}])
    write_jsonl(tmp_path / "b.manifest", [{"source": "two", "category": 1}])
    write_jsonl(tmp_path / "nested" / "part-0000", [{"source": "three", "category": 2}])
    write_jsonl(tmp_path / ".hidden.jsonl", [{"source": "hidden", "category": 3}])
    write_jsonl(tmp_path / ".cache" / "c.jsonl", [{"source": "hidden too", "category": 3}])
    channel = read(tmp_path)
    assert channel.texts == ["one", "two", "three"]
    assert channel.labels == [0, 1, 2]
    assert [path.name for path in channel_files(tmp_path)] == ["a.jsonl", "b.manifest", "part-0000"]


def test_ignores_other_fields_and_blank_lines(tmp_path):
    (tmp_path / "train.manifest").write_text(
        json.dumps({"source": "x", "category": 1, "category-metadata": {"confidence": 0.9}, "id": 7})
        + "\n\n  \r\n"
        + json.dumps({"category": 0, "source": "y"})
        + "\r\n"
    )
    channel = read(tmp_path)
    assert channel.texts == ["x", "y"] and channel.labels == [1, 0]


def test_custom_label_attribute(tmp_path):
    write_jsonl(tmp_path / "t.jsonl", [{"source": "x", "topic": 1, "category": 9}])
    assert read(tmp_path, attribute="topic").labels == [1]


def test_unknown_class_count_only_requires_non_negative_labels(tmp_path):
    write_jsonl(tmp_path / "t.jsonl", [{"source": "x", "category": 11}])
    assert read(tmp_path, num_classes=None).labels == [11]
    write_jsonl(tmp_path / "t.jsonl", [{"source": "x", "category": -1}])
    with pytest.raises(ChannelError, match="class indexes run from 0"):
        read(tmp_path, num_classes=None)


def test_missing_directory(tmp_path):
    with pytest.raises(ChannelError, match=r"channel 'train' is missing: .*absent is not a directory"):
        read(tmp_path / "absent")


def test_no_records(tmp_path):
    (tmp_path / "empty.jsonl").write_text("\n\n")
    with pytest.raises(ChannelError, match="channel 'train' holds no records"):
        read(tmp_path)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "not valid JSON"),
        ('["source", 1]', "expected a JSON object, got list"),
        ('{"category": 1}', "no 'source' string"),
        ('{"source": 5, "category": 1}', "no 'source' string"),
        ('{"source": "x"}', "no label attribute 'category'"),
        ('{"source": "x", "category": "1"}', "'category' is '1'; expected an integer class index"),
        ('{"source": "x", "category": 1.5}', "expected an integer class index"),
        ('{"source": "x", "category": true}', "expected an integer class index"),
        ('{"source": "x", "category": 4}', "'category' is 4; class indexes run from 0 to 3"),
    ],
)
def test_bad_records_name_file_and_line(tmp_path, line, message):
    good = json.dumps({"source": "fine", "category": 0})
    (tmp_path / "part.jsonl").write_text(f"{good}\n{good}\n{line}\n")
    with pytest.raises(ChannelError) as caught:
        read(tmp_path)
    assert f"{tmp_path / 'part.jsonl'} line 3: " in str(caught.value)
    assert message in str(caught.value)


def test_not_utf8(tmp_path):
    (tmp_path / "bin.jsonl").write_bytes(b'{"source": "\xff", "category": 0}\n')
    with pytest.raises(ChannelError, match=r"bin\.jsonl is not UTF-8"):
        read(tmp_path)

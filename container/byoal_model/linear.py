"""The default model, ``minilm-tfidf``: one logistic regression on [word TF-IDF | char TF-IDF | sentence embedding].

* word TF-IDF: lower-cased word 1- and 2-grams, sublinear term frequency, unit length;
* character TF-IDF: ``char_wb`` 2- to 5-grams (inside word boundaries), the same;
* the frozen sentence encoder's vector (unit length), times ``embedding_weight``.

The TF-IDF vocabularies are refitted on each round's training texts; the encoder never changes.
The head is scikit-learn's multinomial ``LogisticRegression`` with inverse regularisation
``logistic_c``. Choice of representation and head: /work/shared/notes/model-headroom.md (TF-IDF ⊕
MiniLM in one logistic regression beat either alone, an average of two models, and an MLP);
``logistic_c`` and the features' settings were measured on 1,600 labels (container/README.md).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss
from threadpoolctl import threadpool_limits

MAX_ITERATIONS = 1000
THREADS = 1
"""BLAS/OpenMP threads for fitting and predicting. On 2 cores one is as fast, and several gunicorn
workers or jobs on one machine do not oversubscribe it (with 2 threads the fit took twice the CPU time)."""


def _vectorizers() -> tuple[TfidfVectorizer, TfidfVectorizer]:
    word = TfidfVectorizer(lowercase=True, ngram_range=(1, 2), sublinear_tf=True, dtype=np.float32)
    char = TfidfVectorizer(lowercase=True, analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, dtype=np.float32)
    return word, char


@dataclass
class LinearTextModel:
    """(texts, their embeddings) -> class probabilities, one column per class 0..K-1."""

    word: TfidfVectorizer
    char: TfidfVectorizer
    classifier: LogisticRegression
    num_classes: int
    embedding_weight: float

    def features(self, texts: list[str], embeddings: np.ndarray) -> sparse.csr_matrix:
        """Float32 CSR matrix (len(texts), word + char vocabulary + dimension): the three blocks side by side.

        ``embeddings`` has shape (len(texts), dimension); its block is left out when ``embedding_weight`` is 0.
        """
        blocks = [self.word.transform(texts), self.char.transform(texts)]
        if self.embedding_weight > 0:
            blocks.append(sparse.csr_matrix(embeddings * np.float32(self.embedding_weight)))
        return sparse.hstack(blocks, format="csr", dtype=np.float32)

    def predict_proba(self, texts: list[str], embeddings: np.ndarray) -> np.ndarray:
        """Float array (len(texts), num_classes); classes absent from training get probability 0."""
        probabilities = np.zeros((len(texts), self.num_classes), dtype=np.float64)
        if texts:
            with threadpool_limits(limits=THREADS):
                probabilities[:, self.classifier.classes_] = self.classifier.predict_proba(
                    self.features(texts, embeddings)
                )
        return probabilities


def fit_linear(
    texts: list[str],
    embeddings: np.ndarray,
    labels: list[int],
    *,
    num_classes: int,
    logistic_c: float,
    embedding_weight: float,
) -> LinearTextModel:
    """Fit both TF-IDF vocabularies on ``texts``, then the logistic regression on their features.

    ``embeddings`` has shape (len(texts), dimension); ``labels`` are class indexes below ``num_classes``.
    Raises scikit-learn's :class:`ValueError` when ``labels`` hold fewer than two classes.
    """
    word, char = _vectorizers()
    word.fit(texts)
    char.fit(texts)
    model = LinearTextModel(
        word=word,
        char=char,
        classifier=LogisticRegression(C=logistic_c, max_iter=MAX_ITERATIONS),
        num_classes=num_classes,
        embedding_weight=embedding_weight,
    )
    with threadpool_limits(limits=THREADS):
        model.classifier.fit(model.features(texts, embeddings), np.asarray(labels))
    return model


def metrics(model: LinearTextModel, texts: list[str], embeddings: np.ndarray, labels: list[int]) -> dict[str, float]:
    """``loss`` (cross-entropy, natural log) and ``accuracy`` of the model on labeled texts."""
    probabilities = np.clip(model.predict_proba(texts, embeddings), 1e-15, 1.0)
    probabilities /= probabilities.sum(axis=1, keepdims=True)
    return {
        "loss": float(log_loss(labels, probabilities, labels=list(range(model.num_classes)))),
        "accuracy": float(np.mean(probabilities.argmax(axis=1) == np.asarray(labels))),
    }

import numpy as np

from byoal_model.model import OUT_OF_VOCABULARY_ID, PADDING_ID, KnownWordAverage

KNOWN = 5


def _average(ids, vectors):
    """The layer's output for one headline: token ids, and the embedding at each position."""
    embeddings = np.array([vectors], dtype="float32")
    return np.asarray(KnownWordAverage()([embeddings, np.array([ids], dtype="int64")]))[0]


def test_known_words_are_averaged_and_padding_ignored():
    average = _average([KNOWN, KNOWN, PADDING_ID], [[4.0, 2.0], [2.0, 4.0], [9.0, 9.0]])
    assert np.allclose(average, [3.0, 3.0])


def test_an_unknown_word_counts_but_adds_nothing_so_the_vector_shrinks():
    average = _average([KNOWN, KNOWN, OUT_OF_VOCABULARY_ID], [[4.0, 2.0], [2.0, 4.0], [9.0, 9.0]])
    assert np.allclose(average, [2.0, 2.0])


def test_a_headline_without_known_words_gives_zeros_not_nan():
    assert np.allclose(_average([OUT_OF_VOCABULARY_ID, PADDING_ID], [[9.0, 9.0], [9.0, 9.0]]), [0.0, 0.0])
    assert np.allclose(_average([PADDING_ID, PADDING_ID], [[9.0, 9.0], [9.0, 9.0]]), [0.0, 0.0])

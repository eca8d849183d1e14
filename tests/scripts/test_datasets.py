"""Loading, cleaning, sampling and the stratified labeled share."""

from __future__ import annotations

import gzip
from collections import Counter

import pytest

from byoal.errors import InputError
from scripts import datasets
from tests.conftest import SAMPLE

from .conftest import uci_line, write_csv


def test_reads_the_uci_tab_separated_format_with_unbalanced_quotes(news_corpora):
    path, rows = news_corpora
    examples = datasets.load_examples(path, text_column="TITLE", label_column="CATEGORY")
    assert [(example.text, example.label) for example in examples] == rows


def test_reads_newscorpora_inside_the_uci_zip(news_zip, news_corpora):
    examples = datasets.load_examples(news_zip, text_column="TITLE", label_column="CATEGORY")
    assert [(example.text, example.label) for example in examples] == news_corpora[1]


def test_any_uci_column_can_be_the_text_or_label(news_corpora):
    examples = datasets.load_examples(news_corpora[0], text_column="PUBLISHER", label_column="HOSTNAME")
    assert {example.text for example in examples} == {"Example Times"}


def test_reads_gzip_csv_with_quoted_newlines(tricky_csv):
    path, rows = tricky_csv
    examples = datasets.load_examples(path, text_column="TITLE", label_column="CATEGORY")
    assert [(example.text, example.label) for example in examples] == rows


def test_reads_the_bundled_sample():
    examples = datasets.load_examples(SAMPLE, text_column="TITLE", label_column="CATEGORY")
    assert len(examples) == 10_000
    assert Counter(example.label for example in examples) == {"e": 3794, "b": 3577, "t": 1953, "m": 676}


def test_uci_line_with_the_wrong_column_count_is_named(tmp_path):
    path = tmp_path / "newsCorpora.csv"
    path.write_text(uci_line(1, "fine", "b") + "\n" + "2\tonly\tthree\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"newsCorpora.csv line 2: expected 8 tab-separated columns"):
        datasets.load_examples(path, text_column="TITLE", label_column="CATEGORY")


def test_unknown_column_names_option_and_columns(tricky_csv):
    with pytest.raises(InputError, match=r"--label-column: .* has no column 'LABEL'; its columns are \['TITLE'"):
        datasets.load_examples(tricky_csv[0], text_column="TITLE", label_column="LABEL")


def test_wrong_encoding_is_named(tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes("TITLE,CATEGORY\nCaf\u00e9,b\n".encode("latin-1"))
    with pytest.raises(InputError, match="not valid utf-8 text"):
        datasets.load_examples(path, text_column="TITLE", label_column="CATEGORY")
    examples = datasets.load_examples(path, text_column="TITLE", label_column="CATEGORY", encoding="latin-1")
    assert examples[0].text == "Caf\u00e9"


def test_an_empty_label_cell_is_an_unlabeled_record(tmp_path):
    path = write_csv(tmp_path / "d.csv", ["TITLE", "CATEGORY"], [["a", "b"], ["c", " "]], compress=False)
    loaded = datasets.load_dataset(path)
    assert (loaded.text_column, loaded.label_column, loaded.labeled) == ("TITLE", "CATEGORY", 1)
    assert [(example.text, example.label) for example in loaded.examples] == [("a", "b"), ("c", None)]


def test_cleaning_follows_the_seed_and_keeps_one_line():
    assert datasets.clean_text('Fed\'s "Stein": rates, low!') == "Feds Stein rates low"
    assert datasets.clean_text("Café in Zürich – naïve 東京") == "Café in Zürich naïve 東京"
    assert datasets.clean_text("two\nlines\r\nhere") == "two lines here"


def test_rows_left_without_text_are_dropped():
    examples = [datasets.Example("!!!", "b"), datasets.Example("kept", "e"), datasets.Example("  ", "b")]
    assert datasets.usable_examples(examples, clean=True) == [datasets.Example("kept", "e")]
    assert datasets.usable_examples(examples, clean=False) == examples[:2]


def test_sample_is_seeded_and_keeps_dataset_order():
    examples = [datasets.Example(str(number), "b") for number in range(100)]
    first = datasets.sample_examples(examples, 10, seed=7)
    assert first == datasets.sample_examples(examples, 10, seed=7)
    assert first != datasets.sample_examples(examples, 10, seed=8)
    assert [int(example.text) for example in first] == sorted(int(example.text) for example in first)
    with pytest.raises(InputError, match="--sample 101: the dataset has only 100"):
        datasets.sample_examples(examples, 101, seed=7)


def test_uci_codes_get_the_seed_names_in_code_order():
    examples = [datasets.Example("x", code) for code in "tmeb"]
    classes = datasets.classes_for(examples, None, label_column="CATEGORY")
    assert classes.codes == ["b", "e", "m", "t"]
    assert classes.names == ["Business", "Entertainment", "Health & Medicine", "Science and Technology"]


def test_other_labels_are_classes_in_sorted_order_unless_named():
    examples = [datasets.Example("x", label) for label in ("spam", "ham", "spam")]
    assert datasets.classes_for(examples, None, label_column="L").names == ["ham", "spam"]
    named = datasets.classes_for(examples, {"spam": "Spam", "ham": "Not spam"}, label_column="L")
    assert (named.codes, named.names) == (["spam", "ham"], ["Spam", "Not spam"])
    with pytest.raises(InputError, match=r"--label-names: no name for label values \['ham'\]"):
        datasets.classes_for(examples, {"spam": "Spam"}, label_column="L")


def test_a_single_class_is_refused():
    with pytest.raises(InputError, match="--label-column 'L' holds a single class"):
        datasets.classes_for([datasets.Example("x", "a"), datasets.Example("y", "a")], None, label_column="L")


@pytest.mark.parametrize(
    "pairs, message",
    [
        (["b"], "expected CODE=NAME"),
        (["b=One", "b=Two"], "code 'b' is given twice"),
        (["b=Same", "e=Same"], "name 'Same' is given twice"),
    ],
)
def test_label_names_are_checked(pairs, message):
    with pytest.raises(InputError, match=message):
        datasets.parse_label_names(pairs)


def test_labeled_share_is_stratified():
    labels = [0] * 500 + [1] * 300 + [2] * 150 + [3] * 50
    chosen = datasets.choose_labeled(labels, num_classes=4, fraction=0.2, seed=1)
    assert len(chosen) == 200
    assert Counter(labels[position] for position in chosen) == {0: 100, 1: 60, 2: 30, 3: 10}
    assert chosen == datasets.choose_labeled(labels, num_classes=4, fraction=0.2, seed=1)


def test_detect_format(tmp_path, news_zip, news_corpora):
    gz = tmp_path / "newsCorpora.csv.gz"
    gz.write_bytes(gzip.compress(news_corpora[0].read_bytes()))
    assert datasets.detect_format(news_zip) == "uci-news"
    assert datasets.detect_format(gz) == "uci-news"
    assert datasets.detect_format(SAMPLE) == "csv"
    examples = datasets.load_examples(gz, text_column="TITLE", label_column="CATEGORY")
    assert [(example.text, example.label) for example in examples] == news_corpora[1]

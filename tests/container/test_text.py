from byoal_model.text import clean_text, clean_texts


def test_lower_cases_and_strips_punctuation():
    assert clean_text('Stocks RALLY: "Dow" hits 17,000!') == "stocks rally dow hits 17 000"


def test_apostrophes_join_their_word():
    assert clean_text("Apple\u2019s iPhone isn't cheap") == "apples iphone isnt cheap"


def test_drops_english_stop_words():
    assert clean_text("The rise of the machines is over") == "rise machines"


def test_a_headline_of_only_stop_words_cleans_to_nothing():
    assert clean_text("Is it over?") == ""


def test_keeps_non_ascii_letters():
    assert clean_text("Beyoncé—Jay-Z tour") == "beyoncé jay z tour"


def test_clean_texts_keeps_order():
    assert clean_texts(["B news", "A story"]) == ["b news", "story"]

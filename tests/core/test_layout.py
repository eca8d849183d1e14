from byoal import layout


def test_a_job_names_round_reads_back_for_its_step_only():
    name = layout.job_name("news-1a2b3c4d", 12, "auto")
    assert layout.job_round(name, "auto") == 12
    assert layout.job_round(layout.job_name("news-1a2b3c4d", 1, "human"), "auto") is None
    assert layout.job_round("news-auto", "auto") is None

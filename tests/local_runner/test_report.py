"""``report.html`` and the failure lines: what a person reads after an offline run."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

from local_runner import report
from tests.browser import chromium_driver


def summary() -> dict:
    rounds = [
        {"round": 0, "sent_to_humans": 1200, "human_labeled": 1200, "job_name": "x-r000-human"},
        {
            "round": 1,
            "auto_labeled": 4567,
            "sent_to_humans": 600,
            "human_labeled": 600,
            "calibration_accuracy": 0.8123,
            "calibration_records": 240,
            "threshold": 0.9312345678901234,
            "expected_accuracy": 0.9587654321,
            "rule": "calibrated",
            "pool": 10800,
            "selected": 600,
            "measured_accuracy": 0.9634,
            "below_target": False,
            "someNewFigure": 0.123456789,
            "coverage_share": 0.4229,
            "model": {"name": "m1"},
            "timings": {"train_seconds": 75.25, "infer_seconds": 3.4, "select_seconds": 0.21},
        },
        {
            "round": 2,
            "auto_labeled": 0,
            "sent_to_humans": 600,
            "human_labeled": 600,
            "calibration_accuracy": 0.83,
            "calibration_records": 31,
            "threshold": None,
            "expected_accuracy": None,
            "rule": "calibrated",
            "no_auto_label_reason": "too few calibration records: 31, a pass needs at least 45",
            "pool": 5633,
            "selected": 600,
            "measured_accuracy": None,
            "below_target": None,
            "someNewFigure": 2.5,
            "calibration_comment": "the pool drifted away from the calibration records",
            "timings": {"train_seconds": 80.0, "infer_seconds": 2.0, "select_seconds": 0.3},
        },
    ]
    data = {
        "final_manifest": "/runs/w/s3/b/inputs/output/run/final/output.manifest",
        "final_manifest_uri": "s3://b/inputs/output/run/final/output.manifest",
        "records": 12000,
        "human_labeled": 2400,
        "auto_labeled": 4567,
        "unlabeled": 5033,
        "human_share": 0.2,
        "model_share": 0.380583333,
        "input_human_labeled": 0,
        "rounds": 2,
        "stop_reason": "reached MaxRounds (2)",
        "model": {"artifacts": "s3://b/model.tar.gz", "name": "m2"},
        "wall_seconds": 187.4,
        "query_strategy": "margin",
        "target_accuracy": 0.95,
        "model_label_accuracy": 0.9634,
        "human_label_accuracy": 1.0,
        "final_manifest_accuracy": 0.9841,
        "a_new_summary_figure": 0.5,
        "round_details": rounds,
    }
    data["rounds_table"] = report.round_table(data)
    return data


class TextOf(HTMLParser):
    """The text a person sees (no style, no attributes)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.skip = False

    def handle_starttag(self, tag, attrs):
        self.skip = tag == "style"

    def handle_endtag(self, tag):
        self.skip = False

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)


def visible_text(page: str) -> str:
    parser = TextOf()
    parser.feed(page)
    return " ".join(parser.parts)


def test_the_report_speaks_in_words_and_units_people_read():
    page = report.report_html(summary())
    text = visible_text(page)
    assert "12,000 records: 20.0 % labeled by people, 38.1 % by the model, 5,033 still unlabeled" in text
    assert "4,567" in text and "10,800" in text and "96.3 %" in text and "93.1 %" in text and "1 min 15 s" in text
    assert "—" in text
    assert not re.search(r"\bNone\b", text)
    assert not re.search(r"\d\.\d{5,}", text), "no long floats"
    assert not re.search(r"\b[a-z]+_[a-z_]+\b", text), "no snake_case keys"
    assert "Measured accuracy" in text and "Some new figure" in text and "Coverage share" in text
    assert "42.3 %" in text and "A new summary figure" in text
    assert "Auto-labeled nothing: too few calibration records: 31, a pass needs at least 45." in text
    assert "Calibration comment: the pool drifted away from the calibration records." in text
    assert "<th scope='col'>Calibration comment</th>" not in page
    assert "Seed batch: people label a random sample before any model is trained." in text
    for name, *_ in report.ROUND_FIGURES.values():
        if name in ("Calibration accuracy", "Expected accuracy", "Calibrated on"):
            assert f"<dt>{name}</dt>" in page
    assert (
        "Share of the round's calibration records (drawn at random from the pool, never trained on) "
        "the model got right." in text
    )


def test_the_report_is_one_file_with_its_plot_inside():
    page = report.report_html(summary())
    sources = re.findall(r"""(?:src|href)=['"]([^'"]+)""", page)
    assert sources and all(source.startswith("data:image/png;base64,") for source in sources)


def test_the_report_fits_a_laptop_screen(tmp_path):
    path = tmp_path / "report.html"
    report.write_report(summary(), path)
    driver = chromium_driver(tmp_path / "profile", width=1400, height=900)
    try:
        driver.get(path.as_uri())
        page_width = driver.execute_script("return document.documentElement.scrollWidth")
        client_width = driver.execute_script("return document.documentElement.clientWidth")
        table = driver.execute_script(
            "const t = document.querySelector('.table'); return [t.scrollWidth, t.clientWidth];"
        )
    finally:
        driver.quit()
    assert page_width <= client_width <= 1400
    assert table[0] <= table[1], f"the round table is cut off: {table[0]} px wide in {table[1]} px"


def test_a_failure_reads_as_two_lines_with_the_reason_and_what_to_do(tmp_path):
    lambda_cause = json.dumps(
        {
            "errorMessage": "round 1: 0 training and 4 validation records; both need human labels (raise SeedShare)",
            "errorType": "InputError",
            "stackTrace": ['  File "/var/task/lambdas/prepare_training.py", line 80, in handler\n'] * 40,
        }
    )
    nested = json.dumps({"ExecutionArn": "arn:...:round-1", "Error": "InputError", "Cause": lambda_cause})
    task = {
        "state_name": "PrepareTrainingChannels",
        "error": "InputError",
        "cause": lambda_cause,
        "execution_arn": "arn:aws:states:local:0:execution:ActiveLearning:run-round-1",
    }
    lines = report.failure_lines(
        task,
        failed_state="WorkflowFailed",
        error="States.TaskFailed",
        cause=nested,
        history_path=tmp_path / "history.jsonl",
    )
    assert lines == [
        "the run failed at state PrepareTrainingChannels (run-round-1): round 1: 0 training and 4 validation records; "
        "both need human labels (raise SeedShare)",
        "what to do: fix what the message names, then run the same command again: it resumes from that state "
            f"(add --restart if the cause is in its inputs). The full cause (InputError) is in "
        f"{tmp_path / 'history.jsonl'}",
    ]
    assert report.failure_message(nested) == report.failure_message(lambda_cause)
    without_task = report.failure_lines(
        None,
        failed_state="ValidateInput",
        error="InputError",
        cause="'LabelAttributeName' must be ...",
        history_path=tmp_path / "h",
    )
    assert without_task[0] == "the run failed at state ValidateInput: 'LabelAttributeName' must be ..."
    assert "fix the field the message names" in without_task[1]


def test_a_failure_with_a_programs_last_lines_shows_them_on_the_console():
    cause = json.dumps({"FailureReason": "the serving program exited before it was ready; its last lines (serve.log):\n"
                        "serve starting\n\nboom: serve crashed"})
    assert report.failure_message(cause) == (
        "the serving program exited before it was ready; its last lines (serve.log):\n    serve starting\n"
        "    boom: serve crashed"
    )
    long = report.failure_message("\n".join(f"line {number}" for number in range(30)))
    assert long.splitlines()[-1] == "    … 18 more lines" and len(long.splitlines()) == report.MAX_CAUSE_LINES + 1


def test_round_progress_gives_the_reason_for_no_auto_labels():
    none = {
        "calibration_accuracy": 0.7167,
        "calibration_records": 31,
        "auto_labeled": 0,
        "threshold": None,
        "selected": 75,
        "rule": "calibrated",
        "no_auto_label_reason": "too few calibration records: 31, a pass needs at least 45",
    }
    assert report.round_progress(none) == (
        "31 calibration records (71.7 % right); auto-labeled nothing: too few calibration records: 31, "
        "a pass needs at least 45; 75 to people"
    )
    some = {
        "calibration_accuracy": 0.9, "calibration_records": 240, "auto_labeled": 1234, "threshold": 0.97,
        "expected_accuracy": 0.981, "accuracy_bound": 0.955, "selected": 75, "calibration_drawn": 15,
        "rule": "calibrated",
    }
    assert report.round_progress(some) == (
        "240 calibration records (90.0 % right); auto-labeled 1,234 at confidence ≥ 97.0 % "
        "(expected accuracy 98.1 %, bound 95.5 %); 75 to people (15 of them drawn at random for calibration)"
    )


def test_readable_names_and_values():
    assert report.readable_name("calibration_records") == "Calibration records"
    assert report.readable_name("belowTarget") == "Below target"
    assert report.format_value(None, "count") == "—"
    assert report.format_value(1234567, "count") == "1,234,567"
    assert report.format_value(0.95, "percent") == "95.0 %"
    assert report.format_value(True, "flag") == "yes"
    assert report.format_value(3.14159265358979, "number") == "3.14"
    assert report.format_value(12345.6789, "number") == "12,345.68"


def test_every_figure_the_workflow_reports_has_a_name_and_a_sentence():
    data = summary()
    data["risk_tolerance"] = 0.1
    data["round_details"][1].update(
        calibration_above=47, calibration_drawn=30, calibration_screened=49, selected_by_strategy=120,
        selection_cut=-0.104, calibration_labeled=30, target_accuracy=0.95, risk_tolerance=0.1, accuracy_bound=0.9498,
    )
    page = report.report_html(data)
    text = visible_text(page)
    legend = dict(re.findall(r"<dt>([^<]*)</dt><dd>([^<]*)</dd>", page))
    for key in ("calibration_above", "calibration_drawn", "calibration_screened", "selected_by_strategy",
                "selection_cut", "calibration_labeled"):
        name = report.ROUND_FIGURES[key][0]
        assert legend[name] != "Reported by the workflow for each round.", key
    # per-run constants are summary cards with a sentence, not per-round columns
    assert "<th scope='col'>Risk tolerance</th>" not in page and "<th scope='col'>Target accuracy</th>" not in page
    assert "Risk tolerance" not in legend and "Target accuracy" not in legend
    assert "10.0 % Risk tolerance The chance allowed" in text
    headings = re.findall(r"<h3>([^<]*)</h3>", page)
    assert len(headings) == len(set(headings)), headings
    assert "margin ≤ 10.4 %" in text and "-0.104" not in text
    assert "<td>94.9 %</td>" in page, "a bound of 0.9498 under a 95 % target must not read 95.0 %"


def test_selection_cut_reads_as_the_records_the_strategy_takes():
    assert report.readable_cut(-0.104, "margin") == "margin ≤ 10.4 %"
    assert report.readable_cut(-0.61, "least_confidence") == "confidence ≤ 61.0 %"
    assert report.readable_cut(1.2345, "entropy") == "entropy ≥ 1.234 nats"
    assert report.readable_cut(None, "random") is None


def test_a_bound_below_the_target_never_reads_as_equal_to_it():
    assert report.format_value(0.9498, "percent_down") == "94.9 %"
    assert report.format_value(0.95, "percent_down") == "95.0 %"
    line = report.round_progress({
        "calibration_records": 240, "calibration_accuracy": 0.9, "auto_labeled": 10, "threshold": 0.97,
        "expected_accuracy": 0.99, "accuracy_bound": 0.95999, "selected": 5,
    })
    assert "bound 95.9 %" in line


def test_run_time_sums_every_leg_of_a_resumed_run(tmp_path):
    top, child = "arn:top", "arn:round-1"
    events = [
        {"event": "ExecutionStarted", "execution_arn": top, "time": "2026-01-01T10:00:00.000Z"},
        {"event": "ExecutionStarted", "execution_arn": child, "time": "2026-01-01T10:00:01.000Z"},
        {"event": "State", "execution_arn": child, "entered_time": "2026-01-01T10:00:01.000Z",
         "exited_time": "2026-01-01T10:00:30.000Z"},
        {"event": "ExecutionFinished", "execution_arn": top, "time": "2026-01-01T10:01:00.000Z"},
        # stopped for two hours (labels, a failure), then resumed
        {"event": "ExecutionRedriven", "execution_arn": top, "time": "2026-01-01T12:01:00.000Z"},
        {"event": "State", "execution_arn": top, "entered_time": "2026-01-01T12:01:00.000Z",
         "exited_time": "2026-01-01T12:01:20.500Z"},
        {"event": "ExecutionFinished", "execution_arn": top, "time": "2026-01-01T12:01:30.000Z"},
    ]
    path = tmp_path / "history.jsonl"
    path.write_text("".join(json.dumps(event) + "\n" for event in events), encoding="utf-8")
    assert report.run_time(path) == (90.0, 2)


def test_the_console_table_rounds_the_bound_down():
    data = summary()
    data["round_details"][2]["accuracy_bound"] = 0.9498
    table = report.format_table(report.round_table(data))
    assert "0.949" in table and "0.950" not in table

"""``python -m scripts.label``: the labeling page on the pending batch of a real offline Callback run.

The browser test drives the page in headless Chromium (Debian's ``chromium`` and
``chromium-driver``, through Selenium). It is skipped only where Chromium is not installed and
this is not CI; ``.ci/run`` installs it (see ``tests/browser.py``).
"""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from werkzeug.serving import make_server

from byoal import manifest
from local_runner.runner import LocalWorkflow
from scripts import label, labeling, prepare
from tests.browser import chromium_driver

XSS = "<img src=x onerror=alert(1)>"
LABELS = ["spam", "ham"]
# Twelve records, the whole first batch (SeedShare 1.0, MaxRounds 0): the run exports once they are labeled.
TEXTS = [
    "WIN a FREE cruise now, spam offer",
    'She said "see you at 5" — ham',
    XSS,
    "Cheap pills spam & more",
    "Lunch tomorrow? ham",
    "Café Zürich naïve 東京 ham",
    "Click here spam {{ task.input }}",
    "Meeting notes attached ham",
    "You won a lottery spam",
    "Back\\slash and tab\there ham",
    "Limited time spam deal",
    "See you on Sunday ham",
]


def expected_label(text: str) -> int:
    return 0 if "spam" in text or text == XSS else 1


class WaitingRun:
    """An offline Callback run in a thread, waiting for its first batch to be labeled."""

    def __init__(self, tmp_path: Path) -> None:
        dataset = tmp_path / "messages.txt"
        dataset.write_text("\n".join(TEXTS) + "\n", encoding="utf-8")
        inputs = tmp_path / "inputs"
        code = prepare.main(
            [
                "--dataset",
                str(dataset),
                "--output-dir",
                str(inputs),
                "--labels",
                *LABELS,
                "--min-validation-records",
                "5",
                "--seed-share",
                "1.0",
                "--max-rounds",
                "0",
            ]
        )
        assert code == 0
        self.workdir = tmp_path / "run"
        request = json.loads((inputs / "request.json").read_text(encoding="utf-8"))
        self.workflow = LocalWorkflow(self.workdir, log=lambda message: None, sleep=lambda seconds: None)
        self.workflow.inbox.poll_seconds = 0.05
        for uri, path in prepare.input_files(request, inputs).items():
            self.workflow.storage.put_file(uri, path)
        self.result = None
        self.thread = threading.Thread(target=self._run, args=(request,), daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 60
        while not list(self.workdir.glob("s3/**/callback.json")):
            assert time.monotonic() < deadline, "the run published no batch"
            time.sleep(0.05)

    def _run(self, request: dict) -> None:
        self.result = self.workflow.run(request, name="label-page")

    def finished(self):
        self.thread.join(timeout=60)
        assert not self.thread.is_alive(), "the run did not resume"
        return self.result


class PageServer:
    """The page's Flask app on a free port of 127.0.0.1, in a thread."""

    def __init__(self, workdir: Path) -> None:
        self.session = label.LabelingSession(labeling.OfflineBatches(workdir), workdir / "labeling")
        self.app = label.create_app(self.session)
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def token(self) -> str:
        return self.app.config["TOKEN"]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def waiting_run(tmp_path):
    return WaitingRun(tmp_path)


def wait_for(condition, *, timeout: float = 15, message: str = "the page did not get there"):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        assert time.monotonic() < deadline, message
        time.sleep(0.05)


def test_people_label_a_pending_batch_in_a_real_browser(waiting_run, tmp_path):
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.common.by import By

    server = PageServer(waiting_run.workdir)
    driver = chromium_driver(tmp_path / "chromium-profile")
    try:
        driver.get(server.url)
        text = lambda: driver.find_element(By.ID, "record-text").get_attribute("textContent")  # noqa: E731
        progress = lambda: driver.find_element(By.ID, "progress-text").text  # noqa: E731
        answered = lambda: driver.find_element(By.ID, "answered-text").text  # noqa: E731
        body = lambda: driver.find_element(By.TAG_NAME, "body")  # noqa: E731
        wait_for(lambda: text() != "", message="no record shown")
        assert progress() == "Record 1 of 12"
        buttons = [button.text for button in driver.find_elements(By.CSS_SELECTOR, "#label-buttons button")]
        assert buttons == ["1 spam", "2 ham"]
        assert "Choose the category" in driver.find_element(By.ID, "short-instructions").text

        seen: dict[str, str] = {}

        def answer(key: str) -> None:
            before = answered()
            seen[text()] = key
            if text() == XSS:  # shown literally: no element was made from it
                assert driver.find_elements(By.CSS_SELECTOR, "#record-text *") == []
                assert driver.find_elements(By.TAG_NAME, "img") == []
            body().send_keys(key)
            wait_for(lambda: answered() != before, message=f"key {key} did not answer")

        first = text()
        answer(str(expected_label(first) + 1))
        second = text()
        answer("1" if expected_label(second) == 1 else "2")  # the wrong label on purpose, then undo
        assert answered() == "2 of 12 answered"
        body().send_keys("u")
        wait_for(lambda: answered() == "1 of 12 answered")
        assert text() == second and progress() == "Record 2 of 12"
        answer(str(expected_label(second) + 1))
        if text() == XSS:
            answer(str(expected_label(XSS) + 1))
        skipped = text()
        answer("s")

        # A reload and a restarted server lose nothing: every answer was saved as it was given.
        server.stop()
        server = PageServer(waiting_run.workdir)
        driver.get(server.url)
        restored = len(seen)
        wait_for(lambda: text() != "" and answered() == f"{restored} of 12 answered", message="answers lost on restart")
        assert progress() == f"Record {restored + 1} of 12"

        while driver.find_element(By.ID, "labeling").is_displayed():
            answer(str(expected_label(text()) + 1))
        assert set(seen) == set(TEXTS)

        review = wait_for(
            lambda: driver.find_element(By.ID, "review").is_displayed() and driver.find_element(By.ID, "review")
        )
        rows = [row.find_elements(By.TAG_NAME, "td") for row in review.find_elements(By.CSS_SELECTOR, "tbody tr")]
        answers = {cells[1].get_attribute("textContent"): cells[2].text for cells in rows}
        assert len(rows) == 12 and answers[XSS] == "spam" and answers[skipped] == "skipped"
        assert "11 labeled, 1 skipped, 0 not answered" in driver.find_element(By.ID, "review-summary").text
        with pytest.raises(NoAlertPresentException):
            driver.switch_to.alert.text  # noqa: B018 - the onerror handler never ran
        submit = driver.find_element(By.ID, "submit")
        assert submit.text == "Submit 11 labels"
        submit.click()
        wait_for(lambda: "Submitted 11 labels (1 skipped)" in driver.find_element(By.ID, "status").text)
        driver.save_screenshot(str(tmp_path / "submitted.png"))
    finally:
        driver.quit()

    result = waiting_run.finished()
    assert result.status == "SUCCEEDED", result.cause
    final = list(manifest.read_records(waiting_run.workflow.storage, result.output["final_manifest"]))
    assert [record["source"] for record in final] == TEXTS
    for record in final:
        if record["source"] == skipped:
            assert "label" not in record
            continue
        assert record["label"] == expected_label(record["source"])
        metadata = record["label-metadata"]
        assert metadata["class-name"] == LABELS[record["label"]] and metadata["human-annotated"] == "yes"
        assert metadata["type"] == "groundtruth/text-classification"

    again = requests.post(
        server.url + "api/submit", json={"job": "any"}, headers={label.TOKEN_HEADER: server.token}, timeout=10
    )
    assert again.status_code == 409
    server.stop()


def test_the_api_refuses_foreign_posts_bad_labels_and_a_second_submission(waiting_run):
    server = PageServer(waiting_run.workdir)
    try:
        state = requests.get(server.url + "api/batch", timeout=10).json()["batch"]
        assert state["labels"] == LABELS and len(state["records"]) == 12 and state["answers"] == {}
        job, first = state["job"], state["records"][0]["id"]
        headers = {label.TOKEN_HEADER: server.token}
        answer = lambda body, **kw: requests.post(server.url + "api/answer", json=body, timeout=10, **kw)  # noqa: E731
        assert answer({"job": job, "id": first, "label": 0}).status_code == 403, "no token, no answer"
        assert answer({"job": job, "id": first, "label": 2}, headers=headers).status_code == 400
        assert answer({"job": job, "id": 999, "label": 0}, headers=headers).status_code == 400
        assert answer({"job": "other", "id": first, "label": 0}, headers=headers).status_code == 409
        for record in state["records"]:  # every record skipped: nothing to submit
            assert answer({"job": job, "id": record["id"], "label": "skip"}, headers=headers).status_code == 200
        empty = requests.post(server.url + "api/submit", json={"job": job}, headers=headers, timeout=30)
        assert empty.status_code == 400
        assert "no record is labeled (12 skipped, 0 unanswered of 12); label at least one" in empty.text
        for record in state["records"]:
            response = answer(
                {"job": job, "id": record["id"], "label": expected_label(record["text"])}, headers=headers
            )
            assert response.status_code == 200
        with ThreadPoolExecutor(max_workers=3) as pool:  # three tabs press Submit at once: one is sent
            submitted = list(
                pool.map(
                    lambda _: requests.post(server.url + "api/submit", json={"job": job}, headers=headers, timeout=30),
                    range(3),
                )
            )
        submitted.sort(key=lambda response: response.status_code)
        assert [response.status_code for response in submitted] == [200, 409, 409]
        assert submitted[0].json()["labeled"] == 12
        assert len(list(waiting_run.workdir.glob("task-tokens/*.json"))) == 1
        assert answer({"job": job, "id": first, "label": 1}, headers=headers).status_code == 409
        labeled = [json.loads(line) for line in Path(submitted[0].json()["labeled_manifest"]).read_text().splitlines()]
        assert {line["byoal-id"] for line in labeled} == {record["id"] for record in state["records"]}
        assert all(set(line) == {"byoal-id", "label", "label-metadata"} for line in labeled)
    finally:
        server.stop()
    assert waiting_run.finished().status == "SUCCEEDED"


def test_instructions_come_from_the_template_as_text():
    template = (
        '<crowd-form><crowd-classifier header="Pick &amp; choose" categories="{{ task.input.labels | to_json }}">'
        "<classification-target>{{ task.input.taskObject | escape }}</classification-target>"
        "<full-instructions><ol><li><strong>Read</strong> it.</li><li>Choose &lt;one&gt;.</li></ol></full-instructions>"
        "<short-instructions><p>Examples:</p><p><strong>spam</strong>: &lt;b&gt;WIN&lt;/b&gt; &#123;x&#125;</p>"
        "</short-instructions></crowd-classifier></crowd-form>"
    )
    instructions = labeling.instructions_from_template(template)
    assert instructions.question == "Pick & choose"
    assert instructions.full == ["Read it.", "Choose <one>."]
    assert instructions.short == ["Examples:", "spam: <b>WIN</b> {x}"]


def test_the_answer_log_survives_a_line_cut_short(tmp_path):
    log = labeling.AnswerLog(tmp_path / "job.answers.jsonl")
    log.record(3, 1)
    log.record(4, "skip")
    log.record(3, None)
    log.record(5, 0)
    with open(log.path, "a", encoding="utf-8") as sink:
        sink.write('{"id": 6, "lab')
    assert labeling.AnswerLog(log.path).answers() == {4: "skip", 5: 0}

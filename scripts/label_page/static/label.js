// The labeling page. Record text and label names are shown with textContent only, never as HTML.
"use strict";

const SKIPPED = "skip";
const TOKEN = document.querySelector('meta[name="byoal-token"]').content;
const POLL_MS = 3000;

const state = { batch: null, answers: new Map(), index: 0, history: [], view: "labeling", busy: false };
const $ = (id) => document.getElementById(id);

function element(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className) node.className = className;
  return node;
}

async function post(path, body) {
  const response = await fetch(path, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-Byoal-Token": TOKEN },
    body: JSON.stringify(body),
  });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(data.error || `the server answered ${response.status}`);
  return data;
}

function show(view) {
  state.view = view;
  $("status").hidden = view !== "status";
  $("labeling").hidden = view !== "labeling";
  $("review").hidden = view !== "review";
  if (view === "review") renderReview();
  if (view === "labeling") renderRecord();
}

function status(message) {
  $("status").textContent = message;
  $("instructions").hidden = true;
  show("status");
}

function answerName(label) {
  if (label === undefined) return "—";
  if (label === SKIPPED) return "skipped";
  return state.batch.labels[label];
}

function firstOpen(from) {
  const records = state.batch.records;
  for (let step = 0; step < records.length; step += 1) {
    const index = (from + step) % records.length;
    if (!state.answers.has(records[index].id)) return index;
  }
  return -1;
}

function renderInstructions(instructions) {
  const short = $("short-instructions");
  const full = $("full-instructions");
  short.replaceChildren();
  full.replaceChildren();
  if (!instructions) {
    $("instructions").hidden = true;
    return;
  }
  if (instructions.question) $("question").textContent = instructions.question;
  instructions.short.forEach((line) => short.appendChild(element("p", line)));
  instructions.full.forEach((line) => full.appendChild(element("p", line)));
  $("instructions").hidden = instructions.short.length + instructions.full.length === 0;
}

function renderRecord() {
  const records = state.batch.records;
  const record = records[state.index];
  const answered = state.answers.size;
  $("progress-text").textContent = `Record ${state.index + 1} of ${records.length}`;
  $("answered-text").textContent = `${answered} of ${records.length} answered`;
  $("progress-bar").style.width = `${(100 * answered) / records.length}%`;
  $("record-text").textContent = record.text;
  const label = state.answers.get(record.id);
  $("record-answer").textContent = label === undefined ? "" : `Your answer: ${answerName(label)}`;
  $("last-key").textContent = String(Math.min(state.batch.labels.length, 10) % 10);
  const buttons = $("label-buttons");
  buttons.replaceChildren();
  state.batch.labels.forEach((name, index) => {
    const button = element("button");
    button.type = "button";
    if (index < 10) button.appendChild(element("kbd", String((index + 1) % 10)));
    button.appendChild(document.createTextNode(` ${name}`));
    button.dataset.label = String(index);
    if (label === index) button.classList.add("chosen");
    button.addEventListener("click", () => choose(index));
    buttons.appendChild(button);
  });
  $("undo").disabled = state.history.length === 0;
}

function renderReview() {
  const records = state.batch.records;
  const rows = $("review-rows");
  rows.replaceChildren();
  let labeled = 0;
  let skipped = 0;
  records.forEach((record, index) => {
    const label = state.answers.get(record.id);
    if (label === SKIPPED) skipped += 1;
    else if (label !== undefined) labeled += 1;
    const row = element("tr");
    row.appendChild(element("td", String(index + 1)));
    row.appendChild(element("td", record.text, "text"));
    row.appendChild(element("td", answerName(label), label === undefined ? "missing" : ""));
    row.addEventListener("click", () => { state.index = index; show("labeling"); });
    rows.appendChild(row);
  });
  const open = records.length - labeled - skipped;
  $("review-summary").textContent =
    `${labeled} labeled, ${skipped} skipped, ${open} not answered, of ${records.length} records. ` +
    "Skipped and unanswered records stay unlabeled; the run may ask for them again. Click a row to change it.";
  $("submit").textContent = `Submit ${labeled} label${labeled === 1 ? "" : "s"}`;
  $("submit").disabled = state.busy;
}

async function give(label) {
  if (state.busy || state.view !== "labeling") return;
  const record = state.batch.records[state.index];
  state.busy = true;
  try {
    await post("/api/answer", { job: state.batch.job, id: record.id, label });
  } catch (error) {
    $("record-answer").textContent = `Not saved: ${error.message}`;
    return;
  } finally {
    state.busy = false;
  }
  state.answers.set(record.id, label);
  state.history.push(state.index);
  const next = firstOpen(state.index + 1);
  if (next === -1) {
    show("review");
  } else {
    state.index = next;
    renderRecord();
  }
}

function choose(index) { return give(index); }
function skip() { return give(SKIPPED); }

async function undo() {
  if (state.busy || state.history.length === 0) return;
  const index = state.history.pop();
  const record = state.batch.records[index];
  state.busy = true;
  try {
    await post("/api/answer", { job: state.batch.job, id: record.id, label: null });
  } catch (error) {
    state.history.push(index);
    $("record-answer").textContent = `Not undone: ${error.message}`;
    return;
  } finally {
    state.busy = false;
  }
  state.answers.delete(record.id);
  state.index = index;
  show("labeling");
}

async function submit() {
  if (state.busy) return;
  state.busy = true;
  $("submit").disabled = true;
  $("submit-error").textContent = "";
  try {
    const result = await post("/api/submit", { job: state.batch.job });
    state.batch = null;
    status(
      `Submitted ${result.labeled} labels (${result.skipped} skipped) of batch ${result.job}; the run resumes. ` +
      "This page shows the next batch when the run asks for one."
    );
    setTimeout(load, POLL_MS);
  } catch (error) {
    $("submit-error").textContent = `Not submitted: ${error.message}`;
  } finally {
    state.busy = false;
    if (state.batch) $("submit").disabled = false;
  }
}

async function load() {
  let data;
  try {
    const response = await fetch("/api/batch", { cache: "no-store" });
    data = await response.json();
    if (!response.ok) throw new Error(data.error || `the server answered ${response.status}`);
  } catch (error) {
    status(`Cannot reach the labeling server: ${error.message}. Retrying…`);
    setTimeout(load, POLL_MS);
    return;
  }
  $("where").textContent = data.where;
  const batch = data.batch;
  if (!batch || batch.submitted) {
    if (!state.batch || state.view === "status") {
      status(batch ? `Batch ${batch.job} was submitted. Waiting for the next batch…` : "No batch waits for labels yet. This page checks every few seconds.");
    }
    setTimeout(load, POLL_MS);
    return;
  }
  state.batch = batch;
  state.answers = new Map(Object.entries(batch.answers).map(([id, label]) => [Number(id), label]));
  state.history = [];
  renderInstructions(batch.instructions);
  const open = firstOpen(0);
  if (open === -1) {
    state.index = 0;
    show("review");
  } else {
    state.index = open;
    show("labeling");
  }
}

document.addEventListener("keydown", (event) => {
  if (!state.batch || event.ctrlKey || event.metaKey || event.altKey) return;
  const key = event.key.toLowerCase();
  if (state.view === "labeling") {
    if (/^[0-9]$/.test(key)) {
      const index = (Number(key) + 9) % 10;
      if (index < state.batch.labels.length) { event.preventDefault(); choose(index); }
    } else if (key === "u" || key === "backspace") { event.preventDefault(); undo(); }
    else if (key === "s") { event.preventDefault(); skip(); }
    else if (key === "r") { event.preventDefault(); show("review"); }
  } else if (state.view === "review" && key === "escape") {
    show("labeling");
  }
});

window.addEventListener("DOMContentLoaded", () => {
  $("undo").addEventListener("click", undo);
  $("skip").addEventListener("click", skip);
  $("open-review").addEventListener("click", () => show("review"));
  $("back-to-labeling").addEventListener("click", () => show("labeling"));
  $("submit").addEventListener("click", submit);
  load();
});

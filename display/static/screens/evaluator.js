// 好差评 evaluator on a counter tablet facing the citizen, bound to one window.
// After the clerk finishes a ticket the citizen may rate it (voluntary: "跳过" leaves no
// rating; nothing is ever chosen by default). The page never shows the chosen level again,
// and nothing of it reaches the clerk's screens.
import { deviceToken, el, forgetToken, getJSON, language, params, postJSON, storeToken }
  from "./common.js";
import { HallFeed } from "./events.js";

const windowId = params.get("window") || "w1";
const scope = `evaluator.${windowId}`;
document.documentElement.dataset.lang = language();
const main = document.getElementById("ev-main");
const head = document.getElementById("ev-window");
const link = document.getElementById("link");
const THANKS_MS = Number(params.get("thanks_ms") || 5000);
const STARS = (n) => "★".repeat(n);

let token = deviceToken(scope);
let vocabulary = null;
let current = null;       // the ticket on offer
let skipped = new Set();  // tickets the citizen chose not to rate
let showingThanks = false;
let expiryTimer = null;

function en(text) {
  return el("span", { class: "en" }, text);
}

function pairingForm(message) {
  const input = el("input", { id: "pair-code", inputmode: "numeric", autocomplete: "off",
    maxlength: "12", "aria-label": "配对码" });
  const error = el("p", { class: "ev-error", role: "alert" }, message || "");
  const button = el("button", { class: "ev-button ev-submit", id: "pair-submit" }, "配对");
  button.addEventListener("click", async () => {
    const { status, body } = await postJSON("/api/v1/screens/pair", { code: input.value });
    if (status === 201 && body.window_id === windowId && body.role === "counter") {
      token = body.token;
      storeToken(scope, token);
      start();
    } else {
      error.textContent = "配对码无效或已过期，请向工作人员索取新的配对码";
    }
  });
  main.replaceChildren(el("div", { class: "ev-pair" },
    el("p", { class: "ev-title" }, "请输入配对码", en("Enter the pairing code")), input, button,
    error));
}

function idle() {
  current = null;
  main.replaceChildren(el("p", { class: "ev-idle", id: "ev-idle" }, "欢迎办理",
    en("Welcome")), el("p", { class: "ev-sub" }, "办理结束后，欢迎您对本次服务进行评价"));
}

function thanks() {
  showingThanks = true;
  main.replaceChildren(el("p", { class: "ev-idle", id: "ev-thanks" }, "感谢您的评价",
    en("Thank you")));
  setTimeout(() => { showingThanks = false; refresh(); }, THANKS_MS);
}

function ratingForm(ticket) {
  current = ticket;
  let level = null;
  const chosenTags = new Set();
  const tagBox = el("div", { class: "ev-tags", id: "ev-tags" });
  const comment = el("textarea", { class: "ev-comment", id: "ev-comment", maxlength: "200",
    placeholder: "意见和建议（选填）Comments (optional)" });
  const submit = el("button", { class: "ev-button ev-submit", id: "ev-submit", disabled: "" },
    "提交评价");
  const skip = el("button", { class: "ev-button ev-skip", id: "ev-skip" }, "不评价");
  const levelButtons = vocabulary.levels.map((item) => {
    const button = el("button", { class: `ev-level level-${item.level}`, "aria-pressed": "false",
      "data-level": String(item.level) },
      el("span", { class: "face", "aria-hidden": "true" }, STARS(item.level)), item.name,
      en(item.name_en));
    button.addEventListener("click", () => {
      level = item.level;
      for (const b of levelButtons) b.setAttribute("aria-pressed", String(b === button));
      chosenTags.clear();
      renderTags();
      submit.removeAttribute("disabled");
    });
    return button;
  });
  function renderTags() {
    const fitting = vocabulary.tags.filter((t) => level !== null && t.levels.includes(level));
    tagBox.replaceChildren(...fitting.map((tag) => {
      const chip = el("button", { class: "ev-tag", "aria-pressed": "false",
        "data-tag": tag.code }, tag.name);
      chip.addEventListener("click", () => {
        if (chosenTags.has(tag.code)) chosenTags.delete(tag.code); else chosenTags.add(tag.code);
        chip.setAttribute("aria-pressed", String(chosenTags.has(tag.code)));
      });
      return chip;
    }));
  }
  submit.addEventListener("click", async () => {
    if (level === null) return;
    submit.setAttribute("disabled", "");
    const body = { level, tags: [...chosenTags], source: "tablet" };
    if (comment.value.trim()) body.comment = comment.value.trim();
    const result = await postJSON(`/api/v1/tickets/${encodeURIComponent(ticket.id)}/evaluation`,
      body, token);
    if (result.status === 201 || result.status === 409) thanks();
    else if (result.status === 401 || result.status === 403) { forgetToken(scope); pairingForm(); }
    else submit.removeAttribute("disabled");
  });
  skip.addEventListener("click", () => { skipped.add(ticket.id); idle(); });
  main.replaceChildren(
    el("p", { class: "ev-title" }, "请您对本次服务进行评价", en("How was our service?")),
    el("p", { class: "ev-sub", id: "ev-ticket" }, `${ticket.number} 号 · 评价自愿 · 匿名`),
    el("div", { class: "ev-levels" }, ...levelButtons), tagBox, comment,
    el("div", { class: "ev-actions" }, submit, skip));
  clearTimeout(expiryTimer);
  const left = Date.parse(ticket.rate_until) - Date.now();
  expiryTimer = setTimeout(() => { if (current && current.id === ticket.id) idle(); },
    Math.max(1000, left));
}

async function refresh() {
  if (showingThanks) return;
  try {
    const { body } = await getJSON(
      `/api/v1/windows/${encodeURIComponent(windowId)}/evaluation`, token);
    head.textContent = `${body.window_number} 号窗口 · 政务服务 好差评`;
    const ticket = body.ticket;
    if (!ticket || skipped.has(ticket.id)) {
      if (current !== null || !document.getElementById("ev-idle")) idle();
    } else if (!current || current.id !== ticket.id) {
      ratingForm(ticket);
    }
  } catch (err) {
    if (err.status === 401 || err.status === 403) {
      forgetToken(scope);
      token = null;
      pairingForm("此设备未绑定本窗口，请输入配对码");
    }
  }
}

async function start() {
  if (!token) { pairingForm(); return; }
  vocabulary = vocabulary || (await getJSON("/api/v1/evaluations/vocabulary")).body;
  idle();
  await refresh();
  if (!token) return;
  const { body: screen } = await getJSON(`/api/v1/windows/${encodeURIComponent(windowId)}/screen`);
  const feed = new HallFeed(screen.hall.id, {
    onBoard: () => refresh(),
    onEvent: (event) => { if (event.data.window_id === windowId) refresh(); },
    onStatus: (state) => { link.hidden = state !== "reconnecting"; },
  }, { retryMs: Number(params.get("retry_ms") || 2000) });
  await feed.start();
  setInterval(refresh, 15000);
}

start();

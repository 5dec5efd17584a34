// Hall signage: the latest call large, the previous few, waits per service, notices, clock.
// Renders the board API and the hall's events; announces calls through the voice queue.
import { deviceToken, el, language, params, startClock } from "./common.js";
import { HallFeed } from "./events.js";
import { Announcer } from "./voice.js";

const hallId = params.get("hall") || "h1";
const lang = language();
const bilingual = lang === "zh-en";
document.documentElement.dataset.lang = lang;
const PREVIOUS = Number(params.get("previous") || 6);
const DEFAULT_NOTICE = "取号后请在休息区等候，留意大屏和语音叫号";
const DEFAULT_NOTICE_EN = "Please wait in the seating area and listen for your number";

const nodes = {
  hall: document.getElementById("hall-name"),
  now: document.getElementById("now"),
  previous: document.getElementById("previous"),
  services: document.getElementById("services"),
  pager: document.getElementById("svc-pager"),
  notices: document.getElementById("notices"),
  link: document.getElementById("link"),
  sound: document.getElementById("sound"),
};

let calls = [];
let refreshTimer = null;

function callLine(call) {
  const zh = el("span", { class: "call-zh" }, "请 ", el("b", { class: "ticket" }, call.number),
    " 号到 ", el("b", { class: "window" }, String(call.window_number)), " 号窗口办理");
  if (!bilingual) return [zh];
  return [zh, el("span", { class: "call-en" },
    `Number ${call.number}, please go to window ${call.window_number}`)];
}

function renderCalls() {
  const [latest, ...rest] = calls;
  if (!latest) {
    nodes.now.replaceChildren(el("p", { class: "now-idle" }, "请留意叫号",
      bilingual ? el("span", { class: "en" }, "Please listen for your number") : null));
  } else {
    const recall = latest.kind === "recalled"
      ? el("span", { class: "recall-tag" }, bilingual ? "重呼 Recall" : "重呼") : null;
    nodes.now.replaceChildren(
      el("div", { class: "now-main" },
        el("span", { class: "now-number", id: "now-number" }, latest.number),
        el("span", { class: "now-arrow", "aria-hidden": "true" }, "→"),
        el("span", { class: "now-window" }, el("b", {}, String(latest.window_number)),
          el("small", {}, "号窗口"))),
      el("p", { class: "now-text", id: "now-text" }, ...callLine(latest), recall));
  }
  nodes.previous.replaceChildren(...rest.slice(0, PREVIOUS).map((call) =>
    el("li", { class: `prev status-${call.status || "called"}` },
      el("span", { class: "prev-number" }, call.number),
      el("span", { class: "prev-window" }, `${call.window_number}`,
        el("small", {}, "号窗口")))));
  fit(nodes.now.querySelector(".now-main"));
  fit(nodes.previous);
}

// Shrink a box's type (CSS variable --fit, 1 down to 0.5) until nothing overflows it.
function overflows(node) {
  return node.scrollWidth > node.clientWidth + 1 || node.scrollHeight > node.clientHeight + 1;
}

function fit(node, watch = node, floor = 0.5) {
  if (!node) return;
  let scale = 1;
  node.style.setProperty("--fit", "1");
  while (overflows(watch) && scale > floor) {
    scale -= 0.05;
    node.style.setProperty("--fit", scale.toFixed(2));
  }
}

// Below this scale a service row is not readable from 10 m: page through the services instead.
const READABLE_FIT = 0.8;
const PAGE_SECONDS = Math.max(1, Number(params.get("page_seconds")) || 8);
let services = [];
let servicePage = 0;
let pageTimer = null;

function serviceRow(s) {
  const eta = s.eta_minutes === null || s.eta_minutes === undefined
    ? "—" : `${Math.max(1, Math.round(s.eta_minutes))}`;
  const name = el("th", { scope: "row" },
    el("span", { class: "prefix" }, s.prefix),
    el("span", { class: "svc" }, s.name,
      bilingual && s.name_en ? el("span", { class: "en svc-en" }, s.name_en) : null));
  return el("tr", { "data-service": s.id }, name,
    el("td", { class: "num waiting" }, String(s.waiting), el("small", {}, "人")),
    el("td", { class: "num eta" }, eta, eta === "—" ? null : el("small", {}, "分钟")));
}

// How many rows fit in the box at the current scale, leaving room for the page indicator.
function rowsThatFit(box) {
  const padding = parseFloat(getComputedStyle(box).paddingBottom) || 0;
  const bottom = box.getBoundingClientRect().bottom - padding - nodes.pager.offsetHeight;
  const rows = [...nodes.services.children];
  const fitting = rows.filter((row) => row.getBoundingClientRect().bottom <= bottom + 1).length;
  return Math.max(1, fitting);
}

function renderServices(list) {
  services = list;
  const table = document.querySelector(".wait-table");
  const box = document.querySelector(".waits");
  nodes.pager.hidden = true;
  nodes.services.replaceChildren(...services.map(serviceRow));
  fit(table, box, READABLE_FIT);
  if (!overflows(box)) {
    servicePage = 0;
    clearInterval(pageTimer);
    pageTimer = null;
    return;
  }
  nodes.pager.hidden = false;
  nodes.pager.textContent = "1 / 1";
  const perPage = rowsThatFit(box);
  const pages = Math.ceil(services.length / perPage);
  servicePage %= pages;
  const first = servicePage * perPage;
  nodes.services.replaceChildren(...services.slice(first, first + perPage).map(serviceRow));
  nodes.pager.textContent = `${servicePage + 1} / ${pages}`;
  nodes.pager.dataset.page = String(servicePage + 1);
  nodes.pager.dataset.pages = String(pages);
  if (!pageTimer) {
    pageTimer = setInterval(() => { servicePage += 1; renderServices(services); },
      PAGE_SECONDS * 1000);
  }
}

function renderNotices(notices) {
  const items = notices.length ? notices : [{ text: DEFAULT_NOTICE, text_en: DEFAULT_NOTICE_EN }];
  const parts = items.map((n) => el("span", { class: "notice" }, n.text,
    bilingual && n.text_en ? el("span", { class: "en" }, ` ${n.text_en}`) : null));
  const track = el("div", { class: "ticker-inner" }, ...parts,
    ...parts.map((p) => p.cloneNode(true)));
  nodes.notices.replaceChildren(track);
  const seconds = Math.max(20, Math.round(track.scrollWidth / 240));
  track.style.animationDuration = `${seconds}s`;
}

function renderBoard(board) {
  nodes.hall.replaceChildren(board.hall.name);
  if (bilingual && board.hall.name_en) {
    nodes.hall.append(el("span", { class: "en hall-en" }, board.hall.name_en));
  }
  document.title = `${board.hall.name} · 叫号`;
  calls = board.calls.slice();
  renderCalls();
  renderServices(board.services);
  renderNotices(board.notices);
}

function addCall(event) {
  const call = { ...event.data, event_id: event.id, status: "called",
    kind: event.type === "ticket.recalled" ? "recalled" : "called" };
  calls = [call, ...calls.filter((c) => c.ticket_id !== call.ticket_id)].slice(0, PREVIOUS + 1);
  renderCalls();
}

function scheduleRefresh() {
  if (refreshTimer) return;
  refreshTimer = setTimeout(() => { refreshTimer = null; feed.refreshBoard(); }, 1500);
}

function flash() {
  nodes.now.classList.remove("flash");
  void nodes.now.offsetWidth;
  nodes.now.classList.add("flash");
}

const voiceMode = params.get("voice") === "silent" ? "silent"
  : params.get("voice") === "speech" ? "speech" : params.get("voice") === "off" ? "off" : "clips";
const announcer = new Announcer({
  mode: voiceMode === "off" ? "silent" : voiceMode,
  clipMs: Number(params.get("clip_ms") || 60),
  languages: bilingual && params.get("voice_en") !== "0" ? ["zh", "en"] : ["zh"],
  onStart: flash,
});

const feed = new HallFeed(hallId, {
  onBoard: (board) => renderBoard(board),
  onEvent: (event) => {
    if (event.type === "ticket.called" || event.type === "ticket.recalled") addCall(event);
    scheduleRefresh();
  },
  onCall: (event) => {
    if (!event.decision.announce || voiceMode === "off") return;
    announcer.enqueue({ id: event.id, number: event.data.number,
      window_number: event.data.window_number,
      kind: event.type === "ticket.recalled" ? "recalled" : "called" });
  },
  onStatus: (state) => { nodes.link.hidden = state !== "reconnecting"; },
}, {
  token: deviceToken(`signage.${hallId}`),
  staleSeconds: Number(params.get("stale") || 30),
  retryMs: Number(params.get("retry_ms") || 2000),
});

const soundObserver = new MutationObserver(() => {
  nodes.sound.hidden = document.documentElement.dataset.soundBlocked !== "yes";
});
soundObserver.observe(document.documentElement, { attributes: true });
document.addEventListener("click", () => announcer.setBlocked(false));

window.addEventListener("resize", () => renderCalls());
startClock(document.getElementById("clock"));
await announcer.load();
await feed.start();

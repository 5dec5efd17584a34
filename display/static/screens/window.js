// Window screen above a counter: window number, state, current ticket, staff number.
// Renders GET /api/v1/windows/{id}/screen and refreshes it on the hall's events for this
// window. The same JSON (its `led` lines) drives a serial LED through the counter agent.
import { el, language, params } from "./common.js";
import { HallFeed } from "./events.js";

const windowId = params.get("window") || "w1";
const bilingual = language() === "zh-en";
document.documentElement.dataset.lang = language();
const nodes = {
  number: document.getElementById("win-number"),
  state: document.getElementById("win-state"),
  body: document.getElementById("win-body"),
  hall: document.getElementById("win-hall"),
  clerk: document.getElementById("win-clerk"),
  link: document.getElementById("link"),
};

function en(text) {
  return bilingual ? el("span", { class: "en" }, text) : null;
}

function render(screen) {
  const w = screen.window;
  document.body.className = `window-screen state-${w.state}`;
  document.body.dataset.state = w.state;
  nodes.number.replaceChildren(String(w.number), el("small", {}, "号窗口"));
  nodes.state.replaceChildren(w.state_label, bilingual ? ` ${w.state_label_en}` : "");
  nodes.hall.textContent = screen.hall.name;
  nodes.clerk.textContent = screen.clerk
    ? `工号 ${screen.clerk.staff_number}${screen.clerk.name ? ` · ${screen.clerk.name}` : ""}` : "";
  const t = screen.ticket;
  if (w.state === "closed") {
    nodes.body.replaceChildren(el("p", { class: "win-big" }, "暂停办理", en("Closed")),
      el("p", { class: "win-service" }, "请到其他窗口办理"));
  } else if (w.state === "paused" && !t) {
    nodes.body.replaceChildren(el("p", { class: "win-big" }, "暂停服务", en("Paused")),
      el("p", { class: "win-service" }, "请稍候"));
  } else if (t) {
    const status = t.status === "called"
      ? el("p", { class: "win-status" }, `请 ${t.number} 号到本窗口办理`, en("Please come to this window"))
      : el("p", { class: "win-status" }, "正在办理", en("Now serving"));
    nodes.body.replaceChildren(el("span", { class: "win-ticket", id: "win-ticket" }, t.number),
      status, el("p", { class: "win-service" }, t.service_name,
        bilingual && t.service_name_en ? ` · ${t.service_name_en}` : ""));
  } else {
    nodes.body.replaceChildren(el("p", { class: "win-big" }, "欢迎办理", en("Welcome")));
  }
}

async function load() {
  const response = await fetch(`/api/v1/windows/${encodeURIComponent(windowId)}/screen`,
    { cache: "no-store" });
  if (!response.ok) throw new Error(`screen ${response.status}`);
  const screen = await response.json();
  render(screen);
  window.__screen = screen;
  return screen;
}

let timer = null;
function refreshSoon() {
  clearTimeout(timer);
  timer = setTimeout(() => load().catch(() => {}), 150);
}

async function main() {
  let screen;
  for (;;) {
    try { screen = await load(); break; } catch (err) {
      nodes.link.hidden = false;
      await new Promise((resolve) => setTimeout(resolve, 3000));
    }
  }
  nodes.link.hidden = true;
  const feed = new HallFeed(screen.hall.id, {
    onBoard: () => refreshSoon(),
    onEvent: (event) => {
      if (event.data.window_id === windowId || event.type.startsWith("window.")) refreshSoon();
    },
    onStatus: (state) => { nodes.link.hidden = state !== "reconnecting"; },
  }, { retryMs: Number(params.get("retry_ms") || 2000) });
  await feed.start();
}

main();

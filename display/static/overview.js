// Halls at a glance: the public feed, refreshed on every event of each hall.
const main = document.getElementById("halls");
const status = document.getElementById("status");
const streams = new Map();
let refreshTimer = null;

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  for (const child of children) node.append(child);
  return node;
}

function render(halls) {
  main.replaceChildren(...halls.map((hall) => {
    const badge = el("span", { class: `badge ${hall.open_now ? "open" : "closed"}` },
      hall.issuing_now ? "取号中 Issuing" : hall.open_now ? "开放 Open" : "已关闭 Closed");
    const closes = hall.closes_at ? `至 ${hall.closes_at}` : "24 小时 · 24 h";
    const rows = hall.services.map((s) => el("tr", {},
      el("td", {}, `${s.prefix} · ${s.name}`),
      el("td", { class: "num" }, String(s.waiting)),
      el("td", { class: "num" }, s.eta_minutes === null ? "—" : `${Math.round(s.eta_minutes)} 分钟`)));
    const table = el("table", {},
      el("thead", {}, el("tr", {}, el("th", {}, "事项 Service"), el("th", {}, "等候 Waiting"),
        el("th", {}, "预计 Wait"))),
      el("tbody", {}, ...rows));
    const card = el("section", { class: "hall", id: `hall-${hall.id}` },
      el("h2", {}, hall.name), el("p", { class: "meta" }, `${hall.name_en} · ${closes} `, badge),
      table, el("p", { class: "last-call", id: `call-${hall.id}` }, ""));
    return card;
  }));
}

async function refresh() {
  try {
    const response = await fetch("/api/v1/halls");
    const body = await response.json();
    render(body.halls);
    for (const hall of body.halls) follow(hall.id);
    status.textContent = `已更新 Updated ${new Date().toLocaleTimeString()}`;
  } catch (err) {
    status.textContent = "连接中断，正在重试… Reconnecting…";
  }
}

function scheduleRefresh() {
  if (refreshTimer) return;
  refreshTimer = setTimeout(() => { refreshTimer = null; refresh(); }, 500);
}

function follow(hallId) {
  if (streams.has(hallId)) return;
  const source = new EventSource(`/api/v1/halls/${encodeURIComponent(hallId)}/events`);
  source.addEventListener("ticket.called", (event) => {
    const data = JSON.parse(event.data);
    const line = document.getElementById(`call-${hallId}`);
    if (line) line.textContent = `请 ${data.number} 号到 ${data.window_number} 号窗口`;
    scheduleRefresh();
  });
  for (const kind of ["ticket.issued", "ticket.finished", "window.opened", "window.closed",
    "window.paused", "window.resumed", "ticket.cancelled", "ticket.no_show"]) {
    source.addEventListener(kind, scheduleRefresh);
  }
  streams.set(hallId, source);
}

refresh();
setInterval(refresh, 30000);

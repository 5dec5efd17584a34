// Counter console: one window, one clerk. One key (or one big button) per action.
import {
  api, el, login, logout, live, debounce, toast, pick, minutes, connectionBadge,
  CLASS_NAMES, STATE_NAMES, RULE_NAMES,
} from "./common.js";

const app = document.getElementById("app");
const where = document.getElementById("where");
const setConn = connectionBadge(document.getElementById("conn"));
let me = null;
let windowId = null;
let view = null;

const ACTIONS = [
  { key: "N", alt: " ", code: "next", label: "叫下一位", en: "Call next", primary: true },
  { key: "R", code: "recall", label: "重呼", en: "Recall" },
  { key: "S", code: "start", label: "开始办理", en: "Start" },
  { key: "F", code: "finish", label: "办结", en: "Finish" },
  { key: "X", code: "no-show", label: "过号", en: "No-show" },
  { key: "T", code: "transfer", label: "转移", en: "Transfer" },
  { key: "H", code: "hold", label: "挂起", en: "Hold" },
  { key: "U", code: "unhold", label: "回呼挂起", en: "Call back held" },
  { key: "P", code: "pause", label: "暂停/恢复", en: "Pause/resume" },
  { key: "O", code: "open", label: "开窗", en: "Open" },
  { key: "C", code: "close", label: "关窗", en: "Close" },
];

function enabled(code) {
  if (!view) return false;
  const state = view.window.state;
  const current = view.current;
  const status = current?.status;
  switch (code) {
    case "next": return state === "open";
    case "recall": return status === "called" && current.recall_count < view.recall_limit;
    case "start": return status === "called";
    case "finish": return status === "called" || status === "serving";
    case "no-show": return status === "called";
    case "transfer": return status === "called" || status === "serving";
    case "hold": return status === "called" || status === "serving";
    case "unhold": return view.held.length > 0 && !current;
    case "pause": return state === "open" || state === "paused";
    case "open": return state === "closed";
    case "close": return state !== "closed" && !current;
    default: return false;
  }
}

// Keys pressed in quick succession run one after the other, each on fresh state.
let chain = Promise.resolve();

function act(code) {
  chain = chain.then(() => run(code));
  return chain;
}

async function run(code) {
  if (!enabled(code)) {
    if (code === "recall" && view?.current?.status === "called") {
      toast(`已达重呼上限 ${view.recall_limit} 次 Recall limit reached`, "error");
    }
    return;
  }
  try {
    await perform(code);
  } catch (err) {
    const text = {
      recall_limit_reached: `已达重呼上限 ${view.recall_limit} 次 Recall limit reached`,
      window_not_open: "窗口未开放 Window is not open",
      window_busy: "请先办结当前号码 Finish the current ticket first",
    }[err.code] || `${err.message}`;
    toast(text, "error");
  } finally {
    await refresh();
  }
}

const W = () => `/api/v1/windows/${encodeURIComponent(windowId)}`;

async function perform(code) {
  if (code === "next") {
    const result = await api("POST", `${W()}/call-next`);
    toast(result ? `请 ${result.ticket.number} 号到 ${view.window.number} 号窗口` : "暂无等候 Nobody waits");
  } else if (code === "transfer") {
    const options = [
      ...view.transfer_targets.services.filter((s) => s.id !== view.current.service_id)
        .map((s) => ({ label: `事项 ${s.prefix} · ${s.name}`, value: { service_id: s.id } })),
      ...view.transfer_targets.windows
        .map((w) => ({ label: `${w.number} 号窗口 (${STATE_NAMES[w.state]})`, value: { window_id: w.id } })),
    ];
    const target = await pick(`转移 ${view.current.number} Transfer to…`, options,
      { note: "保留原取号时间 The arrival time is kept" });
    if (!target) return;
    const result = await api("POST", `${W()}/transfer`, target);
    toast(`${result.ticket.number} 已转移 Transferred`);
  } else if (code === "unhold") {
    let ticketId = view.held[0].id;
    if (view.held.length > 1) {
      ticketId = await pick("回呼挂起号码 Call back", view.held
        .map((t) => ({ label: `${t.number} · ${t.service_name}`, value: t.id })));
      if (!ticketId) return;
    }
    await api("POST", `${W()}/unhold`, { ticket_id: ticketId });
  } else if (code === "pause") {
    await move(view.window.state === "paused" ? "resume" : "pause");
  } else if (code === "open" || code === "close") {
    await move(code);
  } else {
    await api("POST", `${W()}/${code}`, {});
  }
}

async function move(kind, confirm = false) {
  try {
    await api("POST", `${W()}/${kind}`, confirm ? { confirm: true } : {});
  } catch (err) {
    if (err.code !== "confirmation_required") throw err;
    const stranded = (err.details.stranded || [])
      .map((s) => `${s.waiting.join("、")}`).join("；");
    const yes = await pick(`确认${kind === "close" ? "关窗" : "暂停"}？ Confirm`, [
      { label: "确认 Confirm", value: true }],
    { note: `以下号码将没有开放的窗口 These tickets would have no open window: ${stranded}`,
      confirmLabel: "Enter 确认 · Esc 取消" });
    if (yes) await api("POST", `${W()}/${kind}`, { confirm: true });
  }
}

function callSpecific(ticket) {
  chain = chain.then(async () => {
    try {
      await api("POST", `${W()}/call`, { ticket_id: ticket.id });
      toast(`越序叫号 ${ticket.number}（已记录）`);
    } catch (err) {
      toast(err.message, "error");
    } finally {
      await refresh();
    }
  });
}

function currentPanel() {
  const t = view.current;
  if (!t) {
    return el("section", { class: "card current empty", id: "current" },
      el("p", { class: "ticket-number", id: "current-number" }, "—"),
      el("p", {}, view.window.state === "open" ? "按 空格 或 N 叫下一位 Press Space or N to call"
        : `窗口${STATE_NAMES[view.window.state]} Window ${view.window.state}`));
  }
  const materials = t.materials.length
    ? el("ul", { class: "materials", id: "materials" }, t.materials.map((m, i) => el("li", {},
      el("label", {}, el("input", { type: "checkbox", id: `mat-${i}`, tabindex: "-1" }),
        ` ${m.zh}`, m.en ? el("small", {}, ` ${m.en}`) : null))))
    : el("p", { class: "muted" }, "无材料清单 No checklist");
  return el("section", { class: `card current status-${t.status}`, id: "current" },
    el("p", { class: "ticket-number", id: "current-number" }, t.number),
    el("p", { class: "ticket-status", id: "current-status" },
      { called: "已叫号 Called", serving: "办理中 Serving" }[t.status] || t.status),
    el("dl", { class: "facts" },
      el("dt", {}, "事项 Service"), el("dd", { id: "current-service" }, t.service_name),
      el("dt", {}, "类别 Class"), el("dd", {},
        el("span", { class: `cls ${t.class}` }, CLASS_NAMES[t.class] || t.class),
        t.flags.includes("proxy") ? el("span", { class: "cls proxy" }, "代办") : null),
      el("dt", {}, "等候 Waited"), el("dd", { id: "current-waited" }, minutes(t.waited_minutes)),
      el("dt", {}, "证件 ID"), el("dd", { id: "current-id" }, t.id_masked || "未登记 none"),
      el("dt", {}, "重呼 Recalls"), el("dd", { id: "recall-count" },
        `${t.recall_count} / ${view.recall_limit}`)),
    el("h3", {}, "一次性告知材料 Materials"), materials);
}

function actionButtons() {
  return el("section", { class: "actions", id: "actions" }, ACTIONS.map((a) => el("button", {
    type: "button", class: `action ${a.primary ? "primary" : ""}`, id: `act-${a.code}`,
    disabled: !enabled(a.code), onclick: () => act(a.code),
    title: `${a.en} (${a.key})`,
  }, el("kbd", {}, a.code === "next" ? "Space/N" : a.key), el("span", {}, a.label),
  el("small", {}, a.code === "recall" && view.current
    ? `${view.current.recall_count}/${view.recall_limit}` : a.en))));
}

function queueTable() {
  const rows = view.queue.map((t, index) => el("tr", { "data-ticket": t.number },
    el("td", { class: "num" }, String(index + 1)),
    el("td", { class: "ticket" }, t.number),
    el("td", {}, t.service_name),
    el("td", {}, el("span", { class: `cls ${t.class}` }, CLASS_NAMES[t.class] || t.class)),
    el("td", { class: "num" }, minutes(t.waited_minutes)),
    el("td", { class: "why" }, RULE_NAMES[t.rule] || t.rule,
      t.score === null ? "" : el("small", {}, ` ${t.score.toFixed(1)}`)),
    view.can_call_out_of_order ? el("td", {}, el("button", {
      type: "button", class: "small", onclick: () => callSpecific(t),
      disabled: view.window.state !== "open", title: "越序叫号（记入审计）",
    }, "叫此号")) : null));
  return el("section", { class: "card queue" },
    el("h2", {}, `等候队列 Waiting (${view.queue.length})`,
      el("small", {}, " 按叫号顺序，附规则与得分 in call order, with why")),
    el("table", { id: "queue" }, el("thead", {}, el("tr", {},
      el("th", {}, "#"), el("th", {}, "号码"), el("th", {}, "事项"), el("th", {}, "类别"),
      el("th", {}, "已等"), el("th", {}, "为何此序 Why"),
      view.can_call_out_of_order ? el("th", {}, "") : null)),
    el("tbody", {}, rows)),
    view.queue.length ? null : el("p", { class: "muted" }, "暂无等候 Nobody waits"));
}

function heldList() {
  return el("section", { class: "card held" }, el("h2", {}, `挂起 Held (${view.held.length})`),
    el("ul", { id: "held" }, view.held.map((t) => el("li", {}, el("b", {}, t.number),
      ` ${t.service_name}`))));
}

function render() {
  const w = view.window;
  where.replaceChildren(el("b", { id: "window-number" }, `${w.number} 号窗口`),
    el("span", { class: `state ${w.state}`, id: "window-state" }, STATE_NAMES[w.state] || w.state),
    ` ${view.hall.name} · ${w.clerk || me.username} · 今日已办 `,
    el("b", { id: "served-today" }, String(view.served_today)),
    ` · ${view.services.map((s) => s.prefix).join(" ")}`);
  app.replaceChildren(el("div", { class: "counter-grid" },
    el("div", { class: "left" }, currentPanel(), actionButtons()),
    el("div", { class: "right" }, queueTable(), heldList())));
}

async function refresh() {
  try {
    view = await api("GET", `${W()}/console`);
    render();
  } catch (err) {
    toast(err.message, "error");
  }
}

function onKey(event) {
  if (!view || event.ctrlKey || event.altKey || event.metaKey) return;
  const target = event.target;
  if (target && ["INPUT", "SELECT", "TEXTAREA"].includes(target.tagName)) return;
  const key = event.key === " " ? " " : event.key.toUpperCase();
  const action = ACTIONS.find((a) => a.key === key || a.alt === key);
  if (!action) return;
  event.preventDefault();
  act(action.code);
}

async function chooseWindow() {
  const params = new URLSearchParams(location.search);
  if (params.get("window")) return params.get("window");
  if (me.window_id) return me.window_id;
  const halls = me.halls.includes("*") ? (await api("GET", "/api/v1/halls")).halls.map((h) => h.id)
    : me.halls;
  const windows = (await Promise.all(halls.map((h) =>
    api("GET", `/api/v1/halls/${encodeURIComponent(h)}/windows`)))).flatMap((r) => r.windows);
  return pick("选择窗口 Choose a window", windows
    .map((w) => ({ label: `${w.number} 号窗口 (${w.hall_id})`, value: w.id })));
}

async function main() {
  me = await login(app, "窗口登录 Clerk log-in");
  const logoutButton = document.getElementById("logout");
  logoutButton.hidden = false;
  logoutButton.addEventListener("click", logout);
  windowId = await chooseWindow();
  await refresh();
  document.addEventListener("keydown", onKey);
  const later = debounce(refresh, 60);
  live(view.hall.id, later, setConn);
  setInterval(refresh, 30000);
}

main();

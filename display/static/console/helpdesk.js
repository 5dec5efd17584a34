// Help desk (导服台): tickets for people the kiosk cannot serve, reprints, kiosk help requests.
import {
  api, el, login, logout, live, debounce, toast, myHalls, connectionBadge, localTime, minutes,
  CLASS_NAMES, STATUS_NAMES,
} from "./common.js";

const app = document.getElementById("app");
const where = document.getElementById("where");
const setConn = connectionBadge(document.getElementById("conn"));
const GREEN_REASONS = {
  elderly: "70 岁以上老人", disabled: "残疾人（残疾人证）", pregnant: "孕妇", ill: "重病患者",
  military: "军人、退役军人及三属", firefighter: "消防救援人员", other: "其他（已核验证件）",
};
const HELP_KINDS = { help: "需要协助", no_id_card: "没带身份证", printer: "打印机问题",
  payment: "缴费问题", other: "其他" };
let hall = null;

function slip(ticket, note) {
  const box = el("div", { class: "slip", id: "slip" },
    el("p", {}, hall.name),
    el("p", { class: "ticket-number", id: "slip-number" }, ticket.number),
    el("p", {}, ticket.service_name || serviceName(ticket.service_id)),
    el("p", {}, `前面还有 ${ticket.people_ahead ?? 0} 人 · ${CLASS_NAMES[ticket.class] || ""}`),
    note ? el("p", { class: "muted" }, note) : null,
    el("p", { class: "muted" }, "请在休息区等候，留意大屏和语音叫号"));
  const print = el("button", { type: "button", class: "primary", onclick: () => window.print() },
    "打印 Print");
  return el("div", {}, box, el("div", { class: "row" }, print));
}

function serviceName(id) {
  return hall.services.find((s) => s.id === id)?.name || id;
}

function issueForm() {
  const out = el("div", { id: "issue-result" });
  const service = el("select", { id: "issue-service", name: "service_id" },
    hall.services.map((s) => el("option", { value: s.id }, `${s.prefix} · ${s.name}`)));
  const idNumber = el("input", { id: "issue-id", name: "id_number", autocomplete: "off",
    placeholder: "可不填 optional", maxlength: "18" });
  const proxy = el("input", { type: "checkbox", id: "issue-proxy" });
  const green = el("input", { type: "checkbox", id: "issue-green" });
  const reason = el("select", { id: "issue-reason", disabled: true },
    el("option", { value: "" }, "— 核验的证件 Certificate checked —"),
    Object.entries(GREEN_REASONS).map(([v, t]) => el("option", { value: v }, t)));
  green.addEventListener("change", () => { reason.disabled = !green.checked; });
  const form = el("form", { id: "issue-form" },
    el("h2", {}, "代取号 Issue a ticket",
      el("small", {}, " 无身份证/手机、代办人、绿色通道")),
    el("label", {}, "事项 Service", service),
    el("label", {}, "身份证号（可选）ID number (optional)", idNumber),
    el("label", {}, proxy, " 代办人办理 For a proxy (代办) — 只记录“代办”，不登记代办人信息"),
    el("label", {}, green, " 绿色通道 Green channel（已核验证件）"),
    el("label", {}, "证件类别 Certificate", reason),
    el("button", { type: "submit", class: "primary", id: "issue-submit" }, "取号 Issue"), out);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = { service_id: service.value };
    if (idNumber.value.trim()) body.id_number = idNumber.value.trim();
    if (proxy.checked) body.proxy = true;
    if (green.checked) {
      body.green = true;
      if (reason.value) body.green_reason = reason.value;
    }
    try {
      const { ticket } = await api("POST",
        `/api/v1/halls/${encodeURIComponent(hall.id)}/help-desk/tickets`, body);
      out.replaceChildren(slip(ticket, ticket.proxy ? "代办 Proxy" : ""));
      idNumber.value = "";
      proxy.checked = false; green.checked = false; reason.disabled = true; reason.value = "";
    } catch (err) {
      if (err.code === "duplicate_ticket") {
        const existing = err.details.ticket;
        out.replaceChildren(el("p", { class: "form-error" },
          `该证件今天已取 ${existing.number} 号，不能重复取号；可补打。`),
        el("button", { type: "button", id: "issue-reprint",
          onclick: () => reprint(existing.id, out) }, `补打 ${existing.number} Reprint`));
      } else if (err.code === "green_reason_required") {
        out.replaceChildren(el("p", { class: "form-error" }, "请选择已核验的证件类别"));
      } else {
        out.replaceChildren(el("p", { class: "form-error" }, err.message));
      }
    } finally {
      idNumber.value = "";
    }
  });
  return el("section", { class: "card" }, form);
}

async function reprint(ticketId, out) {
  try {
    const { ticket } = await api("POST", `/api/v1/tickets/${encodeURIComponent(ticketId)}/reprint`, {});
    out.replaceChildren(slip(ticket, "补打 Reprint"));
  } catch (err) {
    out.replaceChildren(el("p", { class: "form-error" }, err.message));
  }
}

function reprintForm() {
  const out = el("div", { id: "lookup-result" });
  const query = el("input", { id: "lookup-query", autocomplete: "off",
    placeholder: "身份证号 或 号码（如 A023）" });
  const form = el("form", { id: "lookup-form" },
    el("h2", {}, "补打号票 Reprint a lost ticket"),
    el("div", { class: "row" }, el("label", {}, "身份证号或号码 ID number or ticket number", query),
      el("button", { type: "submit" }, "查找 Find")), out);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = query.value.trim();
    if (!text) return;
    const body = /^\d{15}(\d{2}[\dXx])?$/.test(text) ? { id_number: text } : { number: text };
    try {
      const { tickets } = await api("POST",
        `/api/v1/halls/${encodeURIComponent(hall.id)}/help-desk/lookup`, body);
      if (!tickets.length) {
        out.replaceChildren(el("p", { class: "muted" }, "今天没有找到号码 Nothing found today"));
        return;
      }
      out.replaceChildren(el("ul", { class: "help-list" }, tickets.map((t) => el("li", {},
        el("b", {}, t.number), ` ${t.service_name} · ${STATUS_NAMES[t.status] || t.status} · 已等 ${minutes(t.waited_minutes)}`,
        el("button", { type: "button", class: "small", onclick: () => reprint(t.id, out) },
          "补打 Reprint")))));
    } catch (err) {
      out.replaceChildren(el("p", { class: "form-error" }, err.message));
    } finally {
      query.value = "";
    }
  });
  return el("section", { class: "card" }, form);
}

const helpBox = el("ul", { class: "help-list", id: "help-requests" });

async function refreshHelp() {
  const { help_requests: items } = await api("GET",
    `/api/v1/halls/${encodeURIComponent(hall.id)}/help-requests`);
  const waiting = items.filter((r) => r.status === "open").length;
  document.title = `${waiting ? `(${waiting}) ` : ""}OneVisit · 导服台 Help desk`;
  if (!items.length) {
    helpBox.replaceChildren(el("li", { class: "muted" }, "暂无求助 No open requests"));
    return;
  }
  helpBox.replaceChildren(...items.map((r) => el("li", { class: r.status, "data-request": r.id },
    el("b", {}, r.device_label || r.device_id),
    el("span", {}, `${HELP_KINDS[r.kind] || r.kind}${r.message ? `：${r.message}` : ""}`),
    el("span", { class: "muted" }, `${localTime(r.created_at)}`,
      r.acknowledged_by ? ` · ${r.acknowledged_by} 已受理` : ""),
    r.status === "open" ? el("button", { type: "button", class: "small",
      onclick: () => moveHelp(r.id, "acknowledge") }, "受理 On my way") : null,
    el("button", { type: "button", class: "small",
      onclick: () => moveHelp(r.id, "resolve") }, "已解决 Resolved"))));
}

async function moveHelp(id, move) {
  try {
    await api("POST", `/api/v1/help-requests/${encodeURIComponent(id)}/${move}`, {});
  } catch (err) {
    toast(err.message, "error");
  }
  await refreshHelp();
}

async function main() {
  const me = await login(app, "导服台登录 Help desk log-in");
  const button = document.getElementById("logout");
  button.hidden = false;
  button.addEventListener("click", logout);
  const halls = await myHalls(me);
  const wanted = new URLSearchParams(location.search).get("hall");
  hall = halls.find((h) => h.id === wanted) || halls[0];
  where.textContent = `${hall.name} · ${me.username}`;
  app.replaceChildren(el("div", { class: "desk-grid" },
    el("div", { class: "stack" }, issueForm(), reprintForm()),
    el("section", { class: "card sticky" }, el("h2", {}, "自助机求助 Kiosk help requests"), helpBox)));
  await refreshHelp();
  const later = debounce(() => refreshHelp().catch(() => {}), 80);
  live(hall.id, (event) => {
    if (["connected", "reset", "help.requested", "help.updated"].includes(event.type)) later();
  }, setConn);
}

main();

// Hall manager console: live floor, steering, staff and devices, today's charts, audit log.
import {
  api, el, login, logout, live, debounce, toast, myHalls, connectionBadge, localTime, minutes,
  STATE_NAMES, STATUS_NAMES, session,
} from "./common.js";
import { barChart, ring, PALETTE } from "./charts.js";
import { renderAppointments, refreshAppointments } from "./appointments.js";
import { renderAccuracy, refreshAccuracy } from "./accuracy.js";

const app = document.getElementById("app");
const setConn = connectionBadge(document.getElementById("conn"));
const TABS = [
  ["floor", "现场 Floor"], ["steer", "调度 Steer"], ["people", "人员与设备 Staff & devices"],
  ["today", "今日 Today"], ["audit", "审计 Audit log"], ["appointments", "预约 Appointments"],
  ["accuracy", "预估准确度 Estimates"],
];
let hallId = null;
let tab = "floor";
const body = el("div", { id: "tab-body" });
const HEALTH = { ok: "正常 ok", warning: "警告 warning", fault: "故障 fault", offline: "离线 offline",
  unknown: "未上报 unknown", revoked: "已吊销 revoked" };
const H = () => `/api/v1/halls/${encodeURIComponent(hallId)}`;

async function guarded(fn, okText) {
  try {
    const result = await fn();
    if (okText) toast(okText);
    return result;
  } catch (err) {
    toast(err.message, "error");
    return null;
  }
}

// ---- floor ---------------------------------------------------------------------------------

async function windowMove(w, move) {
  try {
    await api("POST", `/api/v1/windows/${encodeURIComponent(w.id)}/${move}`, {});
  } catch (err) {
    if (err.code !== "confirmation_required") { toast(err.message, "error"); return; }
    const waiting = (err.details.stranded || []).flatMap((s) => s.waiting).join("、");
    if (window.confirm(`以下号码将没有开放的窗口：${waiting}\n仍然继续？`)) {
      await guarded(() => api("POST", `/api/v1/windows/${encodeURIComponent(w.id)}/${move}`,
        { confirm: true }));
    }
  }
  refreshSoon();
}

function windowCard(w) {
  const buttons = [];
  if (w.state === "closed") buttons.push(["open", "开窗"]);
  if (w.state === "open") buttons.push(["pause", "暂停"]);
  if (w.state === "paused") buttons.push(["resume", "恢复"]);
  if (w.state !== "closed") buttons.push(["close", "关窗"]);
  return el("section", { class: `card win ${w.state}`, id: `win-${w.number}` },
    el("div", { class: "head" }, el("b", {}, `${w.number} 号窗口`),
      el("span", { class: `state ${w.state}` }, STATE_NAMES[w.state])),
    el("div", { class: "now", id: `win-${w.number}-current` }, w.current ? w.current.number : "—"),
    el("div", { class: "muted" }, w.current
      ? `${STATUS_NAMES[w.current.status] || w.current.status} · ${minutes(w.current.since_minutes)}`
      : "空闲 idle"),
    el("div", {}, `办理人 ${w.clerk || "—"}`, w.held ? ` · 挂起 ${w.held}` : ""),
    el("div", {}, "今日 ", el("b", { class: "served" }, String(w.served_today)),
      ` 件 · 平均 ${minutes(w.avg_service_minutes)}`),
    el("div", { class: "buttons" }, buttons.map(([move, label]) => el("button", {
      type: "button", class: "small", "data-move": move, onclick: () => windowMove(w, move),
    }, label))));
}

async function resolveHelp(id) {
  await guarded(() => api("POST", `/api/v1/help-requests/${encodeURIComponent(id)}/resolve`, {}),
    "已解决 Resolved");
  refreshSoon();
}

async function renderFloor() {
  const floor = await api("GET", `${H()}/floor`);
  const alarms = floor.alarms.length ? floor.alarms.map((a) => el("li", { class: a.kind,
    "data-kind": a.kind }, el("span", {}, a.text),
  a.kind === "help_request" ? el("button", { type: "button", class: "small",
    onclick: () => resolveHelp(a.request_id) }, "已解决") : null))
    : [el("li", { class: "none" }, "一切正常 All clear")];
  const services = floor.services.map((s) => el("tr", { "data-service": s.id },
    el("td", {}, `${s.prefix} · ${s.name}`),
    el("td", { class: "num waiting" }, String(s.waiting)),
    el("td", { class: `num ${s.over_threshold ? "over" : ""}` }, minutes(s.longest_wait_minutes)),
    el("td", { class: "num" }, minutes(s.eta_minutes)),
    el("td", { class: "num" }, String(s.open_windows)),
    el("td", { class: "num" }, s.quota_left === null ? "不限" : `${s.quota_left}/${s.daily_quota}`),
    el("td", { class: "num" }, minutes(s.long_wait_minutes))));
  body.replaceChildren(
    el("div", { class: "windows-grid", id: "windows" }, floor.windows.map(windowCard)),
    el("div", { class: "floor-grid" },
      el("section", { class: "card" }, el("h2", {}, "事项 Services"),
        el("table", { id: "services" }, el("thead", {}, el("tr", {}, el("th", {}, "事项"),
          el("th", { class: "num" }, "等候"), el("th", { class: "num" }, "最长等候"),
          el("th", { class: "num" }, "预计"), el("th", { class: "num" }, "开放窗口"),
          el("th", { class: "num" }, "余号/日限"), el("th", { class: "num" }, "告警阈值"))),
        el("tbody", {}, services))),
      el("section", { class: "card" }, el("h2", {}, `告警 Alarms (${floor.alarms.length})`),
        el("ul", { class: "alarms", id: "alarms" }, alarms))));
}

// ---- steer ---------------------------------------------------------------------------------

function numberField(label, name, value, attrs = {}) {
  return el("label", {}, label, el("input", { type: "number", name, value: value ?? "",
    step: "any", ...attrs }));
}

function policyForm(rules) {
  const p = rules.policy;
  const mode = el("select", { name: "no_show_mode" },
    el("option", { value: "cancel", selected: p.no_show.mode === "cancel" }, "作废（过号无效）"),
    el("option", { value: "requeue", selected: p.no_show.mode === "requeue" }, "顺延排队 Re-queue"));
  const keep = el("input", { type: "checkbox", name: "keep_arrival",
    checked: p.keep_arrival_on_transfer });
  const form = el("form", { id: "policy-form", class: "card" },
    el("h2", {}, "叫号规则 Call-order policy"),
    el("div", { class: "fields" },
      numberField("绿色通道加分（分钟）Green bonus", "green_bonus", p.green_bonus, { min: 0 }),
      numberField("预约加分 Appointment bonus", "appointment_bonus", p.appointment_bonus, { min: 0 }),
      numberField("防饿死上限（分钟）Starvation cap", "starvation_cap", p.starvation_cap, { min: 0 }),
      numberField("重呼上限 Recall limit", "recall_limit", p.recall_limit, { min: 0, step: 1 }),
      el("label", {}, "过号处理 No-show", mode),
      numberField("顺延位数 Re-queue behind", "requeue_behind", p.no_show.requeue_behind,
        { min: 0, step: 1 }),
      numberField("等候告警（分钟）Long wait alarm", "long_wait_minutes", rules.long_wait_minutes,
        { min: 1 }),
      numberField("设备离线判定（分钟）Device offline after", "device_offline_minutes",
        rules.device_offline_minutes, { min: 0.5, max: 1440 }),
      el("label", {}, keep, " 转移保留取号时间 Keep arrival on transfer")),
    el("button", { type: "submit", class: "primary" }, "保存并生效 Save"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const f = new FormData(form);
    const change = {
      policy: {
        green_bonus: Number(f.get("green_bonus")), appointment_bonus: Number(f.get("appointment_bonus")),
        starvation_cap: Number(f.get("starvation_cap")), recall_limit: Number(f.get("recall_limit")),
        keep_arrival_on_transfer: keep.checked,
        no_show: { mode: f.get("no_show_mode"), requeue_behind: Number(f.get("requeue_behind")) },
      },
      long_wait_minutes: Number(f.get("long_wait_minutes")),
      device_offline_minutes: Number(f.get("device_offline_minutes")),
    };
    await guarded(() => api("PUT", `${H()}/rules`, change), "规则已生效 Policy saved");
  });
  return form;
}

function profileForms(windows, services) {
  return el("section", { class: "card", id: "profiles" }, el("h2", {}, "窗口工作配置 Work profiles",
    el("small", {}, " 权重 0 = 仅在无其他等候时办理；留空 = 不办理")),
  el("table", {}, el("thead", {}, el("tr", {}, el("th", {}, "窗口"),
    services.map((s) => el("th", {}, `${s.prefix} ${s.name}`)), el("th", {}, ""))),
  el("tbody", {}, windows.map((w) => {
    const inputs = services.map((s) => el("input", { type: "number", min: 0, step: "any",
      name: s.id, "data-window": w.id, value: w.services[s.id] ?? "", style: "width:4.5rem" }));
    const save = el("button", { type: "button", class: "small", id: `profile-save-${w.number}`,
      onclick: async () => {
        const profile = {};
        inputs.forEach((input) => {
          if (input.value !== "") profile[input.name] = Number(input.value);
        });
        await guarded(() => api("PUT", `/api/v1/windows/${encodeURIComponent(w.id)}/profile`,
          { services: profile }), `${w.number} 号窗口配置已生效`);
      } }, "保存");
    return el("tr", { id: `profile-${w.number}` }, el("td", {}, `${w.number} 号`),
      inputs.map((i) => el("td", {}, i)), el("td", {}, save));
  }))));
}

function slotsText(slots) {
  return (slots || []).map((s) => `${s.start}-${s.end}=${s.limit}`).join(", ");
}

function parseSlots(text) {
  return text.split(/[,，]/).map((part) => part.trim()).filter(Boolean).map((part) => {
    const match = part.match(/^(\d\d:\d\d)-(\d\d:\d\d)=(\d+)$/);
    if (!match) throw new Error(`时段格式 HH:MM-HH:MM=数量: ${part}`);
    return { start: match[1], end: match[2], limit: Number(match[3]) };
  });
}

function serviceRules(services) {
  return el("section", { class: "card", id: "service-rules" },
    el("h2", {}, "号源与告警 Quotas and alarms"),
    el("table", {}, el("thead", {}, el("tr", {}, el("th", {}, "事项"), el("th", {}, "日限额"),
      el("th", {}, "时段限额"), el("th", {}, "平均办理（分）"), el("th", {}, "告警（分）"),
      el("th", {}, ""))),
    el("tbody", {}, services.map((s) => {
      const quota = el("input", { type: "number", min: 0, step: 1, value: s.daily_quota ?? "",
        placeholder: "不限", name: "daily_quota", style: "width:5rem" });
      const slots = el("input", { value: slotsText(s.slot_quotas), name: "slot_quotas",
        placeholder: "08:30-12:00=50", style: "width:14rem" });
      const typical = el("input", { type: "number", min: 0.1, step: "any",
        value: s.typical_minutes, name: "typical_minutes", style: "width:4.5rem" });
      const alarm = el("input", { type: "number", min: 1, step: "any",
        value: s.long_wait_minutes ?? "", placeholder: "大厅", name: "long_wait_minutes",
        style: "width:4.5rem" });
      const save = el("button", { type: "button", class: "small", onclick: async () => {
        let slotList;
        try { slotList = parseSlots(slots.value); } catch (err) { toast(err.message, "error"); return; }
        await guarded(() => api("PUT", `/api/v1/services/${encodeURIComponent(s.id)}/rules`, {
          daily_quota: quota.value === "" ? null : Number(quota.value), slot_quotas: slotList,
          typical_minutes: Number(typical.value),
          long_wait_minutes: alarm.value === "" ? null : Number(alarm.value),
        }), `${s.name} 已保存`);
      } }, "保存");
      return el("tr", { "data-service": s.id }, el("td", {}, `${s.prefix} ${s.name}`),
        el("td", {}, quota), el("td", {}, slots), el("td", {}, typical), el("td", {}, alarm),
        el("td", {}, save));
    }))));
}

const DAYS = [["mon", "一"], ["tue", "二"], ["wed", "三"], ["thu", "四"], ["fri", "五"],
  ["sat", "六"], ["sun", "日"]];

function scheduleForm(schedule) {
  const inputs = DAYS.map(([key, name]) => el("label", {}, `周${name}`, el("input", {
    name: key, value: schedule.weekly[key].map(([a, b]) => `${a}-${b}`).join(", "),
    placeholder: "休息 closed" })));
  const form = el("form", { class: "card", id: "schedule-form" },
    el("h2", {}, "办公与取号时间 Hours", el("small", {}, " 取号截止 = 下班前 N 分钟")),
    el("div", { class: "fields" }, inputs,
      numberField("取号截止（分钟）Issuing cut-off", "cutoff", schedule.issuing_cutoff_minutes,
        { min: 0, step: 1 })),
    el("button", { type: "submit", class: "primary" }, "保存 Save"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const f = new FormData(form);
    const weekly = {};
    for (const [key] of DAYS) {
      weekly[key] = String(f.get(key)).split(/[,，]/).map((p) => p.trim()).filter(Boolean)
        .map((p) => p.split("-").map((t) => t.trim()));
    }
    await guarded(() => api("PUT", `${H()}/schedule`,
      { weekly, issuing_cutoff_minutes: Number(f.get("cutoff")) }), "时间已保存 Hours saved");
  });
  return form;
}

function noticeForm() {
  const text = el("textarea", { name: "text", rows: 2, maxlength: 500, required: true,
    id: "notice-text" });
  const form = el("form", { class: "card", id: "notice-form" },
    el("h2", {}, "发布公告 Post a notice"), text,
    el("button", { type: "submit", class: "primary" }, "发布到大屏 Post"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const posted = await guarded(() => api("POST", `${H()}/notices`, { text: text.value }),
      "公告已发布 Posted");
    if (posted) text.value = "";
  });
  return form;
}

async function renderSteer() {
  const [settings, { windows }] = await Promise.all([
    api("GET", `${H()}/settings`), api("GET", `${H()}/windows`)]);

  body.replaceChildren(el("div", { class: "stack" },
    profileForms(windows, settings.services),
    el("div", { class: "settings-grid" }, policyForm(settings.rules), scheduleForm(settings.schedule),
      noticeForm()),
    serviceRules(settings.services)));
}

// ---- staff and devices ---------------------------------------------------------------------

async function renderPeople() {
  const [{ staff }, { windows }, floor] = await Promise.all([
    api("GET", `${H()}/staff`), api("GET", `${H()}/windows`), api("GET", `${H()}/floor`)]);
  const windowSelect = (value, attrs = {}) => el("select", attrs,
    el("option", { value: "" }, "—"),
    windows.map((w) => el("option", { value: w.id, selected: w.id === value }, `${w.number} 号窗口`)));
  const rows = staff.map((m) => {
    if (m.role !== "clerk") {
      return el("tr", {}, el("td", {}, m.username), el("td", {}, m.display_name),
        el("td", {}, m.role), el("td", {}), el("td", {}), el("td", {}));
    }
    const where = windowSelect(m.window_id);
    where.addEventListener("change", () => guarded(() => api("PUT",
      `${H()}/staff/${encodeURIComponent(m.username)}`, { window_id: where.value || null }),
    "已保存"));
    const allowed = el("input", { type: "checkbox", checked: m.permissions.includes("call_out_of_order"),
      id: `perm-${m.username}` });
    allowed.addEventListener("change", () => guarded(() => api("PUT",
      `${H()}/staff/${encodeURIComponent(m.username)}`,
      { permissions: allowed.checked ? ["call_out_of_order"] : [] }),
    allowed.checked ? "已授权越序叫号" : "已收回越序叫号"));
    const password = el("input", { type: "password", placeholder: "新密码 ≥ 8 位",
      autocomplete: "new-password", style: "width:9rem" });
    const reset = el("button", { type: "button", class: "small", onclick: async () => {
      const done = await guarded(() => api("POST",
        `${H()}/staff/${encodeURIComponent(m.username)}/password`, { password: password.value }),
      "密码已重置 Password reset");
      if (done) password.value = "";
    } }, "重置密码");
    return el("tr", { "data-user": m.username }, el("td", {}, m.username),
      el("td", {}, m.display_name), el("td", {}, m.role), el("td", {}, where),
      el("td", {}, el("label", {}, allowed, " 可越序叫号")), el("td", {}, password, reset));
  });
  const add = el("form", { class: "row", id: "add-clerk" },
    el("label", {}, "用户名", el("input", { name: "username", required: true })),
    el("label", {}, "姓名", el("input", { name: "display_name" })),
    el("label", {}, "初始密码", el("input", { name: "password", type: "password", required: true,
      autocomplete: "new-password" })),
    el("label", {}, "窗口", windowSelect(null, { name: "window_id" })),
    el("button", { type: "submit", class: "primary" }, "添加窗口人员 Add clerk"));
  add.addEventListener("submit", async (event) => {
    event.preventDefault();
    const f = new FormData(add);
    const payload = { username: f.get("username"), password: f.get("password"),
      display_name: f.get("display_name") };
    if (f.get("window_id")) payload.window_id = f.get("window_id");
    if (await guarded(() => api("POST", `${H()}/staff`, payload), "已添加 Added")) renderPeople();
  });
  const devices = floor.devices.map((d) => el("tr", { "data-device": d.device_id },
    el("td", {}, d.label || "—"), el("td", {}, d.role),
    el("td", { class: `health-${d.health}` }, HEALTH[d.health] || d.health),
    el("td", {}, d.last_heartbeat_at ? `${localTime(d.last_heartbeat_at)}` : "从未 never"),
    el("td", {}, d.parts.map((p) => el("span", { class: `cls health-${p.status}` },
      `${p.kind}: ${p.detail || p.status}`))),
    el("td", {}, d.revoked ? "已吊销" : el("button", { type: "button", class: "small danger",
      onclick: async () => {
        if (!window.confirm(`吊销 ${d.label || d.device_id}？`)) return;
        await guarded(() => api("POST", `${H()}/devices/${d.device_id}/revoke`, {}), "已吊销");
        renderPeople();
      } }, "吊销 Revoke"))));
  const tokenBox = el("div", { id: "new-token" });
  const register = el("form", { class: "row", id: "register-device" },
    el("label", {}, "类型", el("select", { name: "role" },
      el("option", { value: "kiosk" }, "自助机 kiosk"), el("option", { value: "screen" }, "显示屏 screen"),
      el("option", { value: "counter" }, "窗口设备 counter"))),
    el("label", {}, "名称", el("input", { name: "label", placeholder: "如 1 号自助机" })),
    el("label", {}, "窗口 Window", windowSelect("", { name: "window" })),
    el("button", { type: "submit", class: "primary" }, "登记设备 Register"));
  register.addEventListener("submit", async (event) => {
    event.preventDefault();
    const f = new FormData(register);
    // A window screen or a counter agent acts for one window: its token is bound to it.
    const windowId = f.get("window");
    const body = { role: f.get("role"), label: f.get("label") };
    if (windowId && body.role === "kiosk") return toast("自助机不属于某个窗口 A kiosk belongs to the hall", "error");
    if (!windowId && body.role === "counter") return toast("窗口设备须选择窗口 Choose the window", "error");
    const path = windowId ? `/api/v1/windows/${windowId}/devices` : `${H()}/devices`;
    const made = await guarded(() => api("POST", path, body));
    if (!made) return;
    await renderPeople();
    document.getElementById("new-token").replaceChildren(el("p", {}, "设备令牌只显示这一次："),
      el("p", { class: "token" }, made.token));
  });
  body.replaceChildren(el("div", { class: "stack" },
    el("section", { class: "card" }, el("h2", {}, "人员 Staff"),
      el("table", { id: "staff" }, el("thead", {}, el("tr", {}, el("th", {}, "用户名"),
        el("th", {}, "姓名"), el("th", {}, "角色"), el("th", {}, "窗口"), el("th", {}, "权限"),
        el("th", {}, "密码"))), el("tbody", {}, rows)), add),
    el("section", { class: "card" }, el("h2", {}, "设备 Devices"),
      el("table", { id: "devices" }, el("thead", {}, el("tr", {}, el("th", {}, "名称"),
        el("th", {}, "类型"), el("th", {}, "状态"), el("th", {}, "最后心跳"), el("th", {}, "部件"),
        el("th", {}, ""))), el("tbody", {}, devices)), register, tokenBox)));
}

// ---- today ---------------------------------------------------------------------------------

async function downloadReport() {
  const response = await fetch(`${H()}/report.csv`,
    { headers: { Authorization: `Bearer ${session.get().token}` } });
  if (!response.ok) { toast("导出失败 Export failed", "error"); return; }
  const blob = await response.blob();
  const link = el("a", { href: URL.createObjectURL(blob), download: `onevisit-${hallId}.csv` });
  document.body.append(link);
  link.click();
  link.remove();
}

async function renderToday() {
  const stats = await api("GET", `${H()}/stats/today`);
  const colors = Object.fromEntries(stats.services.map((s, i) => [s.id, PALETTE[i % PALETTE.length]]));
  const hours = stats.per_hour.map((h) => h.hour);
  const perHour = barChart({ title: "每小时取号 Tickets per hour", categories: hours,
    series: stats.services.map((s) => ({ name: s.name, color: colors[s.id],
      values: stats.per_hour.map((h) => h.by_service[s.id] || 0) })) });
  const waits = barChart({ title: "等候时间分布 Waiting time", categories:
    stats.wait_distribution.map((b) => b.label), series: [{ name: "人数", color: "#0a5bd3",
    values: stats.wait_distribution.map((b) => b.count) }] });
  const perWindow = barChart({ title: "各窗口平均办理时长 Service time per window", unit: "",
    categories: stats.service_time_per_window.map((w) => `${w.window}号`),
    series: [{ name: "分钟", color: "#0b7a3b",
      values: stats.service_time_per_window.map((w) => w.mean_minutes || 0) }] });
  const legend = el("div", { class: "legend" }, stats.services.map((s) => el("span", {},
    el("i", { style: `background:${colors[s.id]}` }), `${s.prefix} ${s.name}`)));
  const statuses = stats.statuses;
  body.replaceChildren(el("div", { class: "stack" },
    el("div", { class: "row" },
      el("section", { class: "card" }, el("p", { class: "muted" }, "今日取号 Issued"),
        el("p", { class: "big-figure", id: "issued-today" }, String(stats.issued))),
      el("section", { class: "card" }, el("p", { class: "muted" }, "已办结 Done"),
        el("p", { class: "big-figure" }, String(statuses.done || 0))),
      el("section", { class: "card" }, el("p", { class: "muted" }, "平均等候 Mean wait"),
        el("p", { class: "big-figure" }, minutes(stats.mean_wait_minutes))),
      el("button", { type: "button", class: "primary", id: "export-csv", onclick: downloadReport },
        "导出日报 CSV Day report")),
    el("div", { class: "charts" },
      el("section", { class: "card chart", id: "chart-hourly" },
        el("h2", {}, "每小时取号（按事项）Tickets per hour by service"), perHour, legend),
      el("section", { class: "card chart", id: "chart-waits" },
        el("h2", {}, "等候时间分布（分钟）Waiting time distribution"), waits),
      el("section", { class: "card chart", id: "chart-noshow" },
        el("h2", {}, "过号率 No-show rate"), el("div", { class: "row" }, ring(stats.no_show_rate, "过号率"),
          el("p", {}, `过号 ${statuses.no_show || 0} / 办结 ${statuses.done || 0}`))),
      el("section", { class: "card chart", id: "chart-windows" },
        el("h2", {}, "各窗口平均办理时长（分钟）Service time per window"), perWindow))));
}

// ---- audit ---------------------------------------------------------------------------------

async function renderAudit() {
  const { audit } = await api("GET", `${H()}/audit?limit=200`);
  body.replaceChildren(el("section", { class: "card" }, el("h2", {}, "审计日志 Audit log"),
    el("table", { id: "audit" }, el("thead", {}, el("tr", {}, el("th", {}, "时间"),
      el("th", {}, "操作人"), el("th", {}, "操作"), el("th", {}, "内容"))),
    el("tbody", {}, audit.map((a) => el("tr", {}, el("td", {}, localTime(a.at)),
      el("td", {}, a.actor), el("td", {}, a.action),
      el("td", { class: "detail" }, describe(a.detail))))))));
}

function flatten(value, prefix = "", out = {}) {
  if (value && typeof value === "object" && !Array.isArray(value)) {
    for (const [key, inner] of Object.entries(value)) flatten(inner, prefix ? `${prefix}.${key}` : key, out);
  } else {
    out[prefix] = JSON.stringify(value);
  }
  return out;
}

// An audit detail: "key: before → after" for changes, "key: value" otherwise.
function describe(detail) {
  const { before, after, ...rest } = detail;
  const lines = Object.entries(flatten(rest)).map(([key, value]) => `${key}: ${value}`);
  if (before && after) {
    const old = flatten(before);
    const now = flatten(after);
    for (const key of new Set([...Object.keys(old), ...Object.keys(now)])) {
      if (old[key] !== now[key]) lines.push(`${key}: ${old[key] ?? "—"} → ${now[key] ?? "—"}`);
    }
  }
  return el("code", {}, lines.join("\n"));
}

// ---- shell ---------------------------------------------------------------------------------

const RENDER = { floor: renderFloor, steer: renderSteer, people: renderPeople, today: renderToday,
  audit: renderAudit, appointments: () => renderAppointments(body, hallId),
  accuracy: () => renderAccuracy(body, hallId) };

// Renders run one after another and a render for a tab no longer shown is skipped, so a slow
// refresh of the floor can never land on top of the tab the manager has just opened.
let rendering = Promise.resolve();

function show(name) {
  tab = name;
  document.querySelectorAll("nav.tabs button").forEach((b) => {
    b.setAttribute("aria-selected", String(b.dataset.tab === name));
  });
  rendering = rendering.then(async () => {
    if (tab !== name) return;
    try {
      await RENDER[name]();
    } catch (err) {
      toast(err.message, "error");
    }
  });
  return rendering;
}

// Live tabs re-render on events; forms (steer, staff) are left alone while being edited.
const refreshSoon = debounce(() => {
  if (tab === "floor" || tab === "today" || tab === "audit") show(tab);
  if (tab === "appointments") refreshAppointments();
  if (tab === "accuracy") refreshAccuracy();
}, 120);

async function main() {
  const me = await login(app, "管理员登录 Manager log-in");
  const button = document.getElementById("logout");
  button.hidden = false;
  button.addEventListener("click", logout);
  const halls = await myHalls(me);
  const wanted = new URLSearchParams(location.search).get("hall");
  hallId = (halls.find((h) => h.id === wanted) || halls[0]).id;
  const picker = el("select", { id: "hall-select", "aria-label": "大厅 Hall" },
    halls.map((h) => el("option", { value: h.id, selected: h.id === hallId }, h.name)));
  let feed = null;
  picker.addEventListener("change", () => {
    hallId = picker.value;
    feed?.stop();
    feed = live(hallId, refreshSoon, setConn);
    show(tab);
  });
  document.getElementById("hall-picker").replaceChildren(picker);
  const nav = el("nav", { class: "tabs" }, TABS.map(([name, label]) => el("button", {
    type: "button", "data-tab": name, id: `tab-${name}`, onclick: () => show(name) }, label)));
  app.replaceChildren(nav, body);
  await show("floor");
  feed = live(hallId, refreshSoon, setConn);
}

main();

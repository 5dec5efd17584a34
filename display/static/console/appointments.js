// Manager console, 预约 Appointments: which services take bookings (slot length, capacity), the
// hall's booking rules, and a day's bookings per slot, kept live by the hall's events.
import { api, el, toast } from "./common.js";

let ZONE = "Asia/Shanghai";  // replaced by the hall's own timezone when the panel opens
const STATUS = { booked: "已预约 booked", checked_in: "已签到 checked in", cancelled: "已取消 cancelled",
  no_show: "爽约 no-show" };
const HALL_FIELDS = [
  ["min_days_ahead", "最早提前（工作日）Min days ahead", { min: 0, step: 1 }],
  ["max_days_ahead", "最多提前（工作日）Max days ahead", { min: 1, step: 1 }],
  ["per_person_per_day", "每人每天 Per person per day", { min: 1, step: 1 }],
  ["per_person_per_week", "每人每周 Per person per week", { min: 1, step: 1 }],
  ["cancel_before_minutes", "提前取消（分钟）Cancel before (min)", { min: 0, step: 1 }],
  ["late_grace_minutes", "迟到宽限（分钟）Late grace (min)", { min: 0, step: 1 }],
  ["no_show_limit", "爽约次数上限 No-show limit", { min: 1, step: 1 }],
  ["no_show_window_days", "爽约统计天数 No-show window (days)", { min: 1, step: 1 }],
  ["block_days", "暂停预约天数 Block (days)", { min: 1, step: 1 }],
];

let panel = null;

const hallPath = (hallId) => `/api/v1/halls/${encodeURIComponent(hallId)}`;
const clock = (iso) => new Intl.DateTimeFormat("en-GB", { timeZone: ZONE, hour: "2-digit", minute: "2-digit",
  hour12: false }).format(new Date(iso));
const today = () => new Intl.DateTimeFormat("en-CA", { timeZone: ZONE, year: "numeric", month: "2-digit",
  day: "2-digit" }).format(new Date());

function shiftDate(date, days) {
  const [y, m, d] = date.split("-").map(Number);
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

async function save(path, change, okText, form) {
  form.querySelectorAll(".invalid").forEach((node) => node.classList.remove("invalid"));
  try {
    const rules = await api("PUT", path, change);
    toast(okText);
    return rules;
  } catch (err) {
    const field = err.details && err.details.field;
    const input = field && form.querySelector(`[name="${String(field).split(".").pop()}"]`);
    if (input) input.classList.add("invalid");
    toast(`${err.message}${field ? ` (${field})` : ""}`, "error");
    return null;
  }
}

function hallForm(hallId, hall) {
  const release = el("input", { type: "time", name: "release_time", value: hall.release_time, required: true });
  const form = el("form", { class: "card", id: "appt-hall-form" },
    el("h2", {}, "预约规则 Booking rules", el("small", {}, " 按工作日计；每天在放号时间开放第 N 个工作日的号源")),
    el("div", { class: "fields" }, el("label", {}, "放号时间 Release time", release),
      HALL_FIELDS.map(([name, label, attrs]) => el("label", {}, label,
        el("input", { type: "number", name, value: hall[name], ...attrs })))),
    el("button", { type: "submit", class: "primary" }, "保存规则 Save rules"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const f = new FormData(form);
    const change = { release_time: release.value };
    for (const [name] of HALL_FIELDS) change[name] = Number(f.get(name));
    await save(`${hallPath(hallId)}/appointment-rules`, { hall: change }, "预约规则已生效 Rules saved", form);
  });
  return form;
}

function serviceTable(hallId, services) {
  const table = el("table", { id: "appt-services" }, el("thead", {}, el("tr", {}, el("th", {}, "事项 Service"),
    el("th", {}, "开放预约 Bookable"), el("th", {}, "时段（分钟）Slot min"), el("th", {}, "每时段名额 Capacity"),
    el("th", {}, ""))),
  el("tbody", {}, services.map((s) => {
    const enabled = el("input", { type: "checkbox", name: "enabled", checked: s.enabled });
    const minutes = el("input", { type: "number", name: "slot_minutes", min: 10, max: 240, step: 1,
      value: s.slot_minutes });
    const capacity = el("input", { type: "number", name: "capacity_per_slot", min: 0, max: 500, step: 1,
      value: s.capacity_per_slot });
    const row = el("tr", { "data-service": s.service_id }, el("td", {}, s.name),
      el("td", {}, el("label", {}, enabled, " 开放")), el("td", {}, minutes), el("td", {}, capacity));
    row.append(el("td", {}, el("button", { type: "button", class: "small", onclick: () => save(
      `${hallPath(hallId)}/appointment-rules`, { services: [{ service_id: s.service_id, enabled: enabled.checked,
        slot_minutes: Number(minutes.value), capacity_per_slot: Number(capacity.value) }] },
      `${s.name} 预约设置已生效`, row) }, "保存 Save")));
    return row;
  })));
  return el("section", { class: "card" }, el("h2", {}, "可预约事项 Bookable services",
    el("small", {}, " 改动只影响之后的预约，已有预约不会被取消")), table);
}

function slotRows(slots, names) {
  return slots.map((s) => {
    const share = s.capacity ? Math.min(1, s.booked / s.capacity) : 0;
    return el("tr", { "data-slot": `${s.service_id}@${s.start}` }, el("td", {}, names[s.service_id] || s.service_id),
      el("td", {}, `${clock(s.start)}–${clock(s.end)}`),
      el("td", { class: "num booked" }, `${s.booked} / ${s.capacity}`),
      el("td", {}, el("span", { class: `meter${share >= 1 ? " full" : ""}` },
        el("i", { style: `width:${Math.round(share * 100)}%` }))));
  });
}

function bookingRows(appointments) {
  if (!appointments.length) return [el("tr", {}, el("td", { colspan: 7, class: "muted" }, "这一天没有预约 No bookings"))];
  return appointments.map((a) => el("tr", { "data-code": a.code, class: `appt-${a.status}` },
    el("td", { class: "ticket" }, a.code), el("td", {}, a.service_name),
    el("td", {}, `${clock(a.slot_start)}–${clock(a.slot_end)}`),
    el("td", { class: "status" }, el("span", { class: `cls appt-${a.status}` }, STATUS[a.status] || a.status)),
    el("td", {}, a.id_masked), el("td", {}, a.phone_masked),
    el("td", { class: "appt-ticket" }, a.ticket_number || "—")));
}

async function drawBookings() {
  if (!panel) return;
  const { hallId, date, service, list, names } = panel;
  const query = `date=${encodeURIComponent(date)}${service ? `&service_id=${encodeURIComponent(service)}` : ""}`;
  const data = await api("GET", `${hallPath(hallId)}/appointments?${query}`);
  if (!panel || panel.date !== date || panel.hallId !== hallId) return;
  const slots = data.slots.filter((s) => s.capacity > 0 || s.booked > 0);
  const booked = data.appointments.filter((a) => a.status !== "cancelled").length;
  list.replaceChildren(
    el("p", { id: "appt-summary" }, `${date}：${booked} 个有效预约 active bookings`),
    el("div", { class: "appt-grid" },
      el("table", { id: "appt-slots" }, el("thead", {}, el("tr", {}, el("th", {}, "事项"), el("th", {}, "时段 Slot"),
        el("th", { class: "num" }, "已约/名额"), el("th", {}, ""))), el("tbody", {}, slotRows(slots, names))),
      el("table", { id: "appt-list" }, el("thead", {}, el("tr", {}, el("th", {}, "预约码 Code"), el("th", {}, "事项"),
        el("th", {}, "时段"), el("th", {}, "状态 Status"), el("th", {}, "身份证 ID"), el("th", {}, "手机 Phone"),
        el("th", {}, "排队号 Ticket"))), el("tbody", {}, bookingRows(data.appointments)))));
}

function bookingsCard(services) {
  const date = el("input", { type: "date", id: "appt-date", value: panel.date });
  const which = el("select", { id: "appt-service", "aria-label": "事项 Service" }, el("option", { value: "" }, "全部事项 All"),
    services.map((s) => el("option", { value: s.service_id }, s.name)));
  const go = (value) => { panel.date = value; date.value = value; drawBookings().catch((e) => toast(e.message, "error")); };
  date.addEventListener("change", () => { if (date.value) go(date.value); });
  which.addEventListener("change", () => { panel.service = which.value; go(panel.date); });
  return el("section", { class: "card", id: "appt-bookings" },
    el("h2", {}, "预约名单 Bookings", el("small", {}, " 实时更新 live")),
    el("div", { class: "row" },
      el("button", { type: "button", class: "small", id: "appt-prev", onclick: () => go(shiftDate(panel.date, -1)) }, "‹ 前一天"),
      el("label", {}, "日期 Date", date),
      el("button", { type: "button", class: "small", id: "appt-next", onclick: () => go(shiftDate(panel.date, 1)) }, "后一天 ›"),
      el("label", {}, "事项 Service", which)),
    panel.list);
}

/** Render the tab into `body` for `hallId`. */
export async function renderAppointments(body, hallId) {
  const [rules, settings] = await Promise.all([api("GET", `${hallPath(hallId)}/appointment-rules`),
    api("GET", `${hallPath(hallId)}/settings`).catch(() => null)]);
  ZONE = settings?.schedule?.timezone || ZONE;
  const keepDate = panel && panel.hallId === hallId ? panel.date : today();
  panel = { hallId, date: keepDate, service: "", list: el("div", { id: "appt-day" }),
    names: Object.fromEntries(rules.services.map((s) => [s.service_id, s.name])) };
  const root = el("div", { class: "stack", id: "appointments",
    oninput: (event) => event.target.classList.remove("invalid") },
  bookingsCard(rules.services),
  el("div", { class: "appt-settings" }, serviceTable(hallId, rules.services), hallForm(hallId, rules.hall)));
  body.replaceChildren(root);
  await drawBookings();
}

/** After any event of the hall: the bookings list is redrawn; forms being edited are left alone. */
export function refreshAppointments() {
  if (panel && document.getElementById("appointments")) drawBookings().catch(() => {});
}

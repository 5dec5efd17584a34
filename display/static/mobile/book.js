// Appointments on the phone: pick a day and a slot, prove the phone, give the ID number, then
// "my appointment" with the check-in code as text and QR, cancel before the cut-off, and the
// ticket once checked in. Loaded only when one of these pages (or a hall's services) is shown.
import { qrSvg } from "./qr.js";

const KEY = "ov.appts";
const ZONE = "Asia/Shanghai";
const CHECK = "10X98765432";
let feed = null;
let skew = 0;

// -- things kept on this phone -----------------------------------------------------------------

export function mine() {
  try { return JSON.parse(localStorage.getItem(KEY) || "{}"); } catch { return {}; }
}
function keep(id, fields) {
  const all = mine();
  all[id] = { ...(all[id] || {}), ...fields };
  localStorage.setItem(KEY, JSON.stringify(all));
}

// -- time: the hall's clock and zone, whatever the phone's clock says ----------------------------

async function hallsWithClock(ctx, fresh = false) {
  const data = await ctx.api("/api/v1/remote/halls", fresh ? { cache: "no-cache" } : {});
  if (data.at) skew = Date.parse(data.at) - Date.now();
  return data.halls;
}
const serverNow = () => Date.now() + skew;
const zoneOf = (hall) => (hall && hall.timezone) || ZONE;
function serviceName(ctx, hall, a) {
  const service = hall && hall.services.find((s) => s.id === a.service_id);
  return service ? ctx.nameOf(service) : a.service_name || "";
}

function clock(iso, zone) {
  return new Intl.DateTimeFormat("en-GB", { timeZone: zone, hour: "2-digit", minute: "2-digit", hour12: false })
    .format(new Date(iso));
}
function localDate(iso, zone) {
  return new Intl.DateTimeFormat("en-CA", { timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit" })
    .format(new Date(iso));
}
function dayName(ctx, date) {
  const [y, m, d] = date.split("-").map(Number);
  const weekday = new Date(Date.UTC(y, m - 1, d)).getUTCDay();
  return ctx.t("dayFmt", { m, d, w: ctx.t("wd").split(",")[weekday], mon: ctx.t("months").split(",")[m - 1] });
}
const when = (ctx, iso, zone) => `${dayName(ctx, localDate(iso, zone))} ${clock(iso, zone)}`;
const span = (ctx, a, zone) => `${dayName(ctx, localDate(a.slot_start, zone))} ${clock(a.slot_start, zone)}–${clock(a.slot_end, zone)}`;

// -- checks as the visitor types -----------------------------------------------------------------

/** `typing`, `ok`, or why the characters typed so far cannot become a valid ID number (GB 11643). */
export function idCheck(raw) {
  const text = raw.trim().toUpperCase();
  const body = text.slice(0, 17), last = text.slice(17);
  if (text.length > 18) return "length";
  if ((body && !/^\d+$/.test(body)) || (last && !/^[\dX]$/.test(last))) return "characters";
  if (text[0] === "0") return "region";
  if (text.length >= 14 && !realBirthDate(text.slice(6, 14))) return "birth_date";
  if (text.length < 18) return "typing";
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(body[i]) * (2 ** (17 - i) % 11);
  return CHECK[sum % 11] === last ? "ok" : "check_digit";
}
function realBirthDate(digits) {
  const y = Number(digits.slice(0, 4)), m = Number(digits.slice(4, 6)), d = Number(digits.slice(6, 8));
  const date = new Date(Date.UTC(y, m - 1, d));
  return y >= 1900 && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
}

// -- errors: every refusal in the visitor's language ---------------------------------------------

function refusal(ctx, error, zone, cutoff = "") {
  const details = error.details || {};
  const key = `ap_${error.code}`;
  const text = ctx.t(key, {
    until: details.until ? dayName(ctx, localDate(details.until, zone)) : "",
    s: details.retry_after ?? "", t: cutoff, limit: details.limit ?? "",
  });
  return text === key ? `${ctx.t("err")}: ${error.message}` : text;
}

// -- the hall's services: which can be booked ------------------------------------------------------

// The answer may be up to 5 s old (it is cacheable); `fresh` asks the server again.
async function slotsOf(ctx, hallId, serviceId, fresh = false) {
  return ctx.api(`/api/v1/halls/${encodeURIComponent(hallId)}/services/${encodeURIComponent(serviceId)}/slots`,
    fresh ? { cache: "no-cache" } : {});
}

/** Fill every `[data-book]` placeholder with a "Book" link when its service takes appointments. */
export async function markBookable(ctx) {
  const spots = [...document.querySelectorAll("[data-book]")];
  await Promise.all(spots.map(async (spot) => {
    const { hall, service } = spot.dataset;
    let data;
    try { data = await slotsOf(ctx, hall, service); } catch { return; }
    const first = data.days.find((d) => d.slots.some((s) => s.left > 0));
    spot.innerHTML = `<a class="btn alt book" href="#/book/${ctx.esc(hall)}/${ctx.esc(service)}">${ctx.t("book")}</a>` +
      `<span class="hint">${first ? ctx.t("firstFree", { d: dayName(ctx, first.date) }) : ctx.t("noneFree")}</span>`;
  }));
}

// -- booking ---------------------------------------------------------------------------------------

export async function bookPage(ctx, hallId, serviceId) {
  stopFeed();
  const halls = await hallsWithClock(ctx);
  const hall = halls.find((h) => h.id === hallId);
  const service = hall && hall.services.find((s) => s.id === serviceId);
  if (!service) { location.hash = "#/"; return; }
  const zone = zoneOf(hall);
  const head = `<a href="#/hall/${ctx.esc(hallId)}">‹ ${ctx.t("back")}</a><h1>${ctx.t("bookTitle")}</h1>
    <div class="card"><h3>${ctx.esc(ctx.nameOf(service))}</h3><div class="muted">${ctx.esc(ctx.nameOf(hall))}</div></div>`;
  let data;
  try { data = await slotsOf(ctx, hallId, serviceId); } catch (e) {
    ctx.view.innerHTML = `${head}<p class="err" id="err" role="alert">${ctx.esc(refusal(ctx, e, zone))}</p>
      <a class="btn alt" href="#/take/${ctx.esc(hallId)}/${ctx.esc(serviceId)}">${ctx.t("take")}</a>`;
    return;
  }
  const state = { day: (data.days.find((d) => d.slots.some((s) => s.left > 0)) || data.days[0] || {}).date, slot: null };
  const release = data.next_release ? `<p class="hint" id="release">${ctx.t("nextRelease", { t: when(ctx, data.next_release, zone) })}</p>` : "";
  ctx.view.innerHTML = `${head}<h2>${ctx.t("pickDay")}</h2><div class="chips" id="days" role="radiogroup"></div>${release}
    <h2>${ctx.t("pickSlot")}</h2><p class="err" id="slot-err" role="alert"></p><div class="slots" id="slots" role="radiogroup"></div>
    <form id="book" novalidate hidden>
      <p class="chosen" id="chosen"></p>
      <label for="phone">${ctx.t("phone")}</label><div class="pair"><input id="phone" inputmode="numeric" autocomplete="tel" maxlength="11">
      <button class="btn alt" id="send" type="button">${ctx.t("getCode")}</button></div>
      <p class="hint" id="sent"></p>
      <label for="code">${ctx.t("code")}</label><input id="code" inputmode="numeric" autocomplete="one-time-code" maxlength="6">
      <label for="idno">${ctx.t("idNumber")}</label><input id="idno" autocomplete="off" maxlength="18" spellcheck="false">
      <p class="hint" id="idcheck" aria-live="polite">${ctx.t("id_typing", { n: 0 })}</p>
      <p class="hint">${ctx.t("bookNote", { m: data.slot_minutes })}</p>
      <p class="err" id="err" role="alert"></p>
      <button class="btn" id="submit" type="submit" disabled>${ctx.t("bookSubmit")}</button></form>`;
  const draw = () => drawSlots(ctx, data, state, zone);
  draw();
  wireBooking(ctx, hallId, serviceId, state, zone, async () => {
    data = await slotsOf(ctx, hallId, serviceId, true);
    state.slot = null;
    draw();
  });
}

function drawSlots(ctx, data, state, zone) {
  const days = document.getElementById("days"), slots = document.getElementById("slots");
  if (!data.days.length) {
    days.innerHTML = `<p class="muted">${ctx.t("noDays")}</p>`;
    slots.innerHTML = "";
    return;
  }
  days.innerHTML = data.days.map((d) => {
    const left = d.slots.reduce((n, s) => n + s.left, 0);
    return `<button type="button" role="radio" class="chip" data-day="${d.date}" aria-checked="${d.date === state.day}"
      ${left ? "" : "disabled"}>${ctx.esc(dayName(ctx, d.date))}<small>${left ? ctx.t("leftN", { n: left }) : ctx.t("full")}</small></button>`;
  }).join("");
  const day = data.days.find((d) => d.date === state.day) || data.days[0];
  slots.innerHTML = day.slots.map((s) => `<button type="button" role="radio" class="slot" data-start="${s.start}"
      aria-checked="${s.start === state.slot}" ${s.left > 0 ? "" : "disabled"}>
      <b>${clock(s.start, zone)}–${clock(s.end, zone)}</b>
      <small>${s.left > 0 ? ctx.t("leftOf", { n: s.left, c: s.capacity }) : ctx.t("fullOf", { c: s.capacity })}</small></button>`).join("");
  for (const b of days.querySelectorAll("button")) b.onclick = () => { state.day = b.dataset.day; state.slot = null; drawSlots(ctx, data, state, zone); };
  for (const b of slots.querySelectorAll("button")) {
    b.onclick = () => {
      state.slot = b.dataset.start;
      document.getElementById("slot-err").textContent = "";
      drawSlots(ctx, data, state, zone);
      document.getElementById("chosen").scrollIntoView({ block: "start", behavior: "smooth" });
    };
  }
  const form = document.getElementById("book");
  const chosen = day.slots.find((s) => s.start === state.slot);
  form.hidden = !chosen;
  if (chosen) document.getElementById("chosen").textContent =
    `${ctx.t("yourSlot")} ${dayName(ctx, day.date)} ${clock(chosen.start, zone)}–${clock(chosen.end, zone)}`;
}

function wireBooking(ctx, hallId, serviceId, state, zone, reload) {
  const $ = (id) => document.getElementById(id);
  const err = $("err"), idno = $("idno"), submit = $("submit");
  const fail = (e) => { err.textContent = refusal(ctx, e, zone); };
  idno.addEventListener("input", () => {
    const check = idCheck(idno.value);
    $("idcheck").textContent = ctx.t(`id_${check}`, { n: idno.value.trim().length });
    $("idcheck").className = { typing: "hint", ok: "hint ok" }[check] || "err";
    submit.disabled = check !== "ok";
  });
  $("send").onclick = async () => {
    err.textContent = "";
    if (!/^1\d{10}$/.test($("phone").value.trim())) { err.textContent = ctx.t("ap_invalid_phone"); return; }
    try {
      const r = await ctx.api("/api/v1/remote/otp", { method: "POST", body: { phone: $("phone").value.trim() } });
      $("sent").textContent = `${ctx.t("codeSent")} ${r.to}`;
    } catch (e) { fail(e); }
  };
  $("book").onsubmit = async (ev) => {
    ev.preventDefault();
    err.textContent = "";
    submit.disabled = true;
    try {
      const r = await ctx.api(`/api/v1/halls/${encodeURIComponent(hallId)}/appointments`, { method: "POST", body: {
        service_id: serviceId, slot_start: state.slot, phone: $("phone").value.trim(),
        code: $("code").value.trim(), id_number: idno.value.trim().toUpperCase() } });
      const a = r.appointment;
      keep(a.id, { holder: r.holder_token, hall_id: hallId, code: a.code, slot_start: a.slot_start,
        service_id: a.service_id, service_name: a.service_name });
      location.hash = `#/appt/${encodeURIComponent(a.id)}`;
    } catch (e) {
      submit.disabled = idCheck(idno.value) !== "ok";
      if (!["slot_full", "slot_not_open"].includes(e.code)) { fail(e); return; }
      await reload().catch(() => {});
      $("slot-err").textContent = refusal(ctx, e, zone);
      $("slot-err").scrollIntoView({ block: "center" });
    }
  };
}

// -- my appointment ----------------------------------------------------------------------------------

export async function apptPage(ctx, id) {
  stopFeed();
  const kept = mine()[id];
  if (!kept) { location.hash = "#/appts"; return; }
  const halls = await hallsWithClock(ctx);
  const hall = halls.find((h) => h.id === kept.hall_id);
  const zone = zoneOf(hall);
  const draw = async (note = "") => {
    const { appointment: a } = await ctx.api(`/api/v1/appointments/${encodeURIComponent(id)}?holder=${encodeURIComponent(kept.holder)}`);
    keep(id, { status: a.status, slot_start: a.slot_start, service_id: a.service_id, service_name: a.service_name, code: a.code });
    ctx.view.innerHTML = apptHtml(ctx, a, hall, zone) + `<p class="err" id="err" role="alert">${ctx.esc(note)}</p>`;
    wireCancel(ctx, a, kept, zone, draw);
  };
  try { await draw(); } catch (e) {
    ctx.view.innerHTML = `<a href="#/appts">‹ ${ctx.t("myAppts")}</a><h1>${ctx.t("myAppt")}</h1>
      <p class="err" id="err" role="alert">${ctx.esc(refusal(ctx, e, zone))}</p>`;
    return;
  }
  if (hall) {
    feed = new EventSource(`/api/v1/halls/${encodeURIComponent(hall.id)}/events`);
    feed.onopen = () => { draw().catch(() => {}); };  // catch up on what the stream missed
    const mineOnly = (event) => {
      try { return JSON.parse(event.data).appointment_id === id; } catch { return false; }
    };
    for (const kind of ["appointment.checked_in", "appointment.cancelled", "appointment.no_show"]) {
      feed.addEventListener(kind, (event) => { if (mineOnly(event)) draw().catch(() => {}); });
    }
  }
}

function apptHtml(ctx, a, hall, zone) {
  const code = String(a.code);
  const spaced = code.replace(/^(\d{4})(\d{3})(\d{3})$/, "$1 $2 $3");
  const open = a.status === "booked";
  const cancellable = open && a.cancel_until && serverNow() < Date.parse(a.cancel_until);
  const cutoff = a.cancel_until ? when(ctx, a.cancel_until, zone) : "";
  const ticket = a.status === "checked_in" && a.ticket_id
    ? `<p class="called" id="checked-in">${ctx.t("apptIn", { n: ctx.esc(a.ticket_number || "") })}</p>
       <a class="btn" id="to-ticket" href="#/ticket/${ctx.esc(a.ticket_id)}/${ctx.esc(a.ticket_track_token)}">${ctx.t("toTicket")}</a>` : "";
  return `<a href="#/appts">‹ ${ctx.t("myAppts")}</a><h1>${ctx.t("myAppt")}</h1>
    <div class="card"><div class="muted">${ctx.esc(hall ? ctx.nameOf(hall) : "")} · ${ctx.esc(serviceName(ctx, hall, a))}</div>
      <div class="status" id="appt-status">${ctx.t("ap_st_" + a.status)}</div>
      <div class="when" id="slot">${ctx.esc(span(ctx, a, zone))}</div>
      ${open ? `<div class="qrbox" id="qr">${qrSvg(`APPT:${code}`, ctx.esc(ctx.t("apptCode")))}</div>
      <div class="muted center">${ctx.t("apptCode")}</div><div class="code big-code" id="appt-code">${ctx.esc(spaced)}</div>
      <p class="hint">${ctx.t("apptHow")}</p>` : ""}${ticket}
      <dl><dt>${ctx.t("idNumber")}</dt><dd id="id-masked">${ctx.esc(a.id_masked)}</dd>
      <dt>${ctx.t("phone")}</dt><dd id="phone-masked">${ctx.esc(a.phone_masked)}</dd></dl></div>
    ${hall ? `<div class="card"><dl><dt>${ctx.t("address")}</dt><dd id="address">${ctx.esc(hall.address)}</dd></dl>
      <a class="btn alt" id="map" href="${ctx.esc(ctx.mapUrl(hall))}" target="_blank" rel="noopener">${ctx.t("map")}</a></div>` : ""}
    ${cancellable ? `<div class="card" id="cancel-box"><p class="hint" id="cutoff">${ctx.t("cancelBy", { t: cutoff })}</p>
      <button class="btn alt danger" id="cancel" type="button">${ctx.t("apptCancel")}</button>
      <button class="btn danger" id="cancel-yes" type="button" hidden>${ctx.t("apptCancelSure")}</button></div>`
      : open && cutoff ? `<p class="hint" id="cutoff">${ctx.t("cancelPast", { t: cutoff })}</p>` : ""}`;
}

function wireCancel(ctx, a, kept, zone, redraw) {
  const ask = document.getElementById("cancel");
  if (!ask) return;
  const sure = document.getElementById("cancel-yes");
  ask.onclick = () => { ask.hidden = true; sure.hidden = false; sure.focus(); };
  sure.onclick = async () => {
    sure.disabled = true;
    try {
      await ctx.api(`/api/v1/appointments/${encodeURIComponent(a.id)}/cancel`, { method: "POST", body: { holder: kept.holder } });
      await redraw();
    } catch (e) {
      await hallsWithClock(ctx, true).catch(() => []);
      await redraw(refusal(ctx, e, zone, a.cancel_until ? when(ctx, a.cancel_until, zone) : "")).catch(() => {});
    }
  };
}

// -- my appointments on this phone ---------------------------------------------------------------------

export async function apptsPage(ctx) {
  stopFeed();
  const halls = await hallsWithClock(ctx).catch(() => []);
  await Promise.all(Object.entries(mine()).map(([id, a]) => ctx.api(
    `/api/v1/appointments/${encodeURIComponent(id)}?holder=${encodeURIComponent(a.holder)}`)
    .then(({ appointment: fresh }) => keep(id, { status: fresh.status }), () => {})));
  const list = Object.entries(mine()).map(([id, a]) => ({ id, ...a }))
    .sort((x, y) => String(y.slot_start).localeCompare(String(x.slot_start)));
  const row = (a) => {
    const hall = halls.find((h) => h.id === a.hall_id);
    const zone = zoneOf(hall);
    return `<a class="card svc" href="#/appt/${encodeURIComponent(a.id)}" data-appt="${ctx.esc(a.id)}">
      <h3>${ctx.esc(serviceName(ctx, hall, a))}</h3><div class="muted">${ctx.esc(hall ? ctx.nameOf(hall) : "")}</div>
      <div class="row"><span>${a.slot_start ? ctx.esc(when(ctx, a.slot_start, zone)) : ""}</span>
      <span class="tag">${ctx.t("ap_st_" + (a.status || "booked"))}</span></div></a>`;
  };
  ctx.view.innerHTML = `<a href="#/">‹ ${ctx.t("back")}</a><h1>${ctx.t("myAppts")}</h1>` +
    (list.length ? list.map(row).join("") : `<p class="muted">${ctx.t("noAppts")}</p>`);
}

function stopFeed() {
  if (feed) { feed.close(); feed = null; }
}
window.addEventListener("hashchange", stopFeed);

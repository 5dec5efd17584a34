// The remote visitor's pages: find a service, compare halls, take a remote ticket, follow it.
import { TEXT } from "./i18n.js";
import { initials } from "./pinyin.js";

const root = document.documentElement;
const view = document.getElementById("view");
const store = window.localStorage;
let lang = store.getItem("ov.lang") || (navigator.language.startsWith("zh") ? "zh" : "en");
let halls = [];
let here = null;
let stream = null;
let timer = null;

const t = (key, vars = {}) =>
  (TEXT[lang][key] || key).replace(/\{(\w+)\}/g, (_, k) => String(vars[k] ?? ""));
const esc = (s) =>
  String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
const nameOf = (x) => (lang === "en" && x.name_en ? x.name_en : x.name);

async function api(path, options = {}) {
  const init = { ...options, headers: { "Content-Type": "application/json" } };
  if (options.body && typeof options.body !== "string") init.body = JSON.stringify(options.body);
  const response = await fetch(path, init);
  const data = response.status === 204 ? {} : await response.json().catch(() => ({}));
  if (!response.ok) {
    const error = new Error((data.error && data.error.message) || response.statusText);
    error.code = data.error && data.error.code;
    error.details = data.error || {};
    throw error;
  }
  return data;
}

function tickets() {
  try { return JSON.parse(store.getItem("ov.tickets") || "{}"); } catch { return {}; }
}
function keep(ticket) {
  const all = tickets();
  all[ticket.id] = { ...(all[ticket.id] || {}), ...ticket };
  store.setItem("ov.tickets", JSON.stringify(all));
}

async function loadHalls() {
  halls = (await api("/api/v1/remote/halls")).halls;
  return halls;
}

function km(a, b) {
  const r = (x) => (x * Math.PI) / 180;
  const dLat = r(b.lat - a.lat), dLon = r(b.lon - a.lon);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(r(a.lat)) * Math.cos(r(b.lat)) * Math.sin(dLon / 2) ** 2;
  return 12742 * Math.asin(Math.sqrt(h));
}

function waitText(eta) {
  if (!eta || eta.low == null) return "—";
  const lo = Math.round(eta.low), hi = Math.round(eta.high);
  return lo === hi ? `${hi} ${t("minutes")}` : `${lo}–${hi} ${t("minutes")}`;
}

function hallState(h) {
  const parts = [];
  parts.push(h.open_now ? `<span class="tag open">${t("open")}</span>` : `<span class="tag closed">${t("closed")}</span>`);
  parts.push(h.closes_at ? `<span class="muted">${t("closes")} ${esc(h.closes_at)}</span>` : `<span class="muted">${t("allDay")}</span>`);
  if (h.issuing_ends_in != null) parts.push(`<span class="tag soon">${t("stopsSoon")} · ${h.issuing_ends_in} ${t("minutes")}</span>`);
  else if (h.open_now && !h.issuing_now) parts.push(`<span class="tag soon">${t("notIssuing")}</span>`);
  return parts.join(" ");
}

// -- pages ---------------------------------------------------------------------------------

function catalogue() {
  const byName = new Map();
  for (const h of halls) for (const s of h.services) {
    const key = s.name;
    if (!byName.has(key)) byName.set(key, { name: s.name, name_en: s.name_en, codes: new Set(), ini: initials(s.name), offers: [] });
    const entry = byName.get(key);
    entry.codes.add(s.code);
    entry.offers.push({ hall: h, service: s });
  }
  return [...byName.values()];
}

function matches(entry, q) {
  if (!q) return true;
  const u = q.trim().toUpperCase();
  return entry.name.includes(q.trim()) || entry.ini.includes(u) ||
    (entry.name_en || "").toUpperCase().includes(u) || [...entry.codes].some((c) => c.toUpperCase().includes(u));
}

async function searchPage(q = "") {
  if (!halls.length) await loadHalls();
  view.innerHTML = `<h1>${t("search")}</h1>
    <input id="q" type="search" value="${esc(q)}" placeholder="${esc(t("searchHint"))}" aria-label="${esc(t("search"))}" autocomplete="off">
    <p class="hint">${t("searchHint")}</p>${mineLink()}<div id="results"></div>`;
  const input = document.getElementById("q");
  const draw = () => {
    const list = catalogue().filter((e) => matches(e, input.value));
    document.getElementById("results").innerHTML = list.length
      ? list.map((e) => `<a class="card svc" href="#/svc/${encodeURIComponent(e.name)}"><h3>${esc(nameOf(e))}</h3>
          <div class="row"><span class="muted">${esc([...e.codes][0])} · ${esc(e.ini)}</span>
          <span>${e.offers.length} ${t("hall")}</span></div></a>`).join("")
      : `<p class="muted">${t("none")}</p>`;
  };
  input.addEventListener("input", () => { draw(); history.replaceState(null, "", `#/?q=${encodeURIComponent(input.value)}`); });
  draw();
}

function mineLink() {
  const mine = Object.values(tickets()).slice(-1)[0];
  const booked = store.getItem("ov.appts") && store.getItem("ov.appts") !== "{}";
  return (mine ? `<a class="btn alt" id="mine" href="#/ticket/${mine.id}/${mine.track_token}">${t("mine")} ${esc(mine.number || "")}</a>` : "") +
    (booked ? `<a class="btn alt" id="my-appts" href="#/appts">${t("myAppts")}</a>` : "");
}

// -- appointments live in book.js, loaded on first use ----------------------------------------

const ctx = { view, t: (...a) => t(...a), esc, api, nameOf: (x) => nameOf(x), mapUrl };
const book = (page, ...args) => import("./book.js").then((m) => m[page](ctx, ...args));
const bookSpot = (h, s) => `<div class="bookable" data-book data-hall="${esc(h.id)}" data-service="${esc(s.id)}"></div>`;
const markBookable = () => { book("markBookable").catch(() => {}); };
const wechat = () => import("./wechat.js");
const WECHAT_HOLDER = "微信用户";

function rank(offers) {
  const scored = offers.map((o) => {
    const wait = o.service.eta && o.service.eta.minutes != null ? o.service.eta.minutes : 600;
    const dist = here && o.hall.location.lat != null ? km(here, o.hall.location) : null;
    const travel = dist == null ? 0 : 5 + (dist / 25) * 60;
    const blocked = !o.hall.issuing_now ? 10000 : 0;
    return { ...o, dist, done: travel + wait, score: blocked + travel + wait };
  });
  return scored.sort((a, b) => a.score - b.score);
}

async function servicePage(name) {
  if (!halls.length) await loadHalls();
  const entry = catalogue().find((e) => e.name === name);
  if (!entry) return searchPage();
  const draw = (note = "") => {
    view.innerHTML = `<a href="#/">‹ ${t("back")}</a><h1>${esc(nameOf(entry))}</h1>
      <button class="btn alt" id="locate" type="button">${t("locate")}</button><p class="hint" id="note">${esc(note)}</p>
      <h2>${t("halls")}</h2>` +
      rank(entry.offers).map((o) => `<div class="card" id="offer-${esc(o.hall.id)}">
        <div class="row"><h3><a href="#/hall/${esc(o.hall.id)}">${esc(nameOf(o.hall))}</a></h3></div>
        <div>${hallState(o.hall)}</div>
        <div class="row"><span>${t("wait")} <span class="wait">${waitText(o.service.eta)}</span></span>
          <span>${o.service.waiting} ${t("waiting")}</span></div>
        ${o.dist != null ? `<div class="row"><span>${t("distance")} ${o.dist.toFixed(1)} ${t("km")}</span><span>${t("doneBy")} ${Math.round(o.done)} ${t("minutes")}</span></div>` : ""}
        ${o.hall.issuing_now ? `<a class="btn" href="#/take/${esc(o.hall.id)}/${esc(o.service.id)}">${t("take")}</a>` : ""}
        ${bookSpot(o.hall, o.service)}</div>`).join("");
    markBookable();
    document.getElementById("locate").onclick = () => {
      document.getElementById("note").textContent = t("locating");
      navigator.geolocation.getCurrentPosition(
        (p) => { here = { lat: p.coords.latitude, lon: p.coords.longitude }; draw(); },
        () => draw(t("noLocation")), { timeout: 8000, maximumAge: 600000 });
    };
  };
  draw();
}

function mapUrl(h) {
  const { lat, lon } = h.location;
  return `https://uri.amap.com/marker?position=${lon},${lat}&name=${encodeURIComponent(h.name)}&coordinate=gaode&callnative=1`;
}

async function wechatMap(h) {
  // Inside WeChat: wx.openLocation with a server-signed wx.config (GCJ-02 coordinates).
  const sign = await api(`/api/v1/wechat/jssdk-signature?url=${encodeURIComponent(location.href.split("#")[0])}`);
  await new Promise((ok, fail) => {
    const s = document.createElement("script");
    s.src = "https://res.wx.qq.com/open/js/jweixin-1.6.0.js"; s.onload = ok; s.onerror = fail;
    document.head.appendChild(s);
  });
  const wx = window.wx;
  wx.config({ appId: sign.appId, timestamp: sign.timestamp, nonceStr: sign.nonceStr, signature: sign.signature, jsApiList: ["openLocation"] });
  wx.ready(() => wx.openLocation({ latitude: h.location.lat, longitude: h.location.lon, name: h.name, address: h.address, scale: 16 }));
}

function curve(data) {
  const max = Math.max(1, ...data.today, ...data.typical);
  const w = 360 / 24;
  const bars = data.today.map((n, i) => `<rect x="${i * w + 1}" y="${100 - (n / max) * 95}" width="${w - 2}" height="${(n / max) * 95}" fill="#0b5cad"/>`).join("");
  const line = data.typical.map((n, i) => `${i * w + w / 2},${100 - (n / max) * 95}`).join(" ");
  return `<svg class="curve" viewBox="0 0 360 112" role="img" aria-label="${esc(t("crowd"))}">${bars}
    <polyline points="${line}" fill="none" stroke="#d19a00" stroke-width="2"/>
    ${[0, 6, 12, 18].map((h) => `<text x="${h * w}" y="111" font-size="9" fill="#555">${h}:00</text>`).join("")}
    <rect x="${data.hour_now * w}" y="0" width="${w}" height="100" fill="none" stroke="#1a1a1a" stroke-dasharray="2"/></svg>
    <div class="legend"><i style="background:#0b5cad"></i>${t("today")}<i style="background:#d19a00"></i>${t("typical")}</div>`;
}

async function hallPage(id) {
  await loadHalls();
  const h = halls.find((x) => x.id === id);
  if (!h) return searchPage();
  const hours = h.hours_today.length ? h.hours_today.map((p) => p.join("–")).join("，") : t("closed");
  view.innerHTML = `<a href="#/">‹ ${t("back")}</a><h1>${esc(nameOf(h))}</h1><div>${hallState(h)}</div>
    <div class="card"><dl><dt>${t("hours")}</dt><dd>${esc(hours)}</dd><dt>${t("address")}</dt><dd>${esc(h.address)}</dd></dl>
    <a class="btn alt" id="map" href="${esc(mapUrl(h))}" target="_blank" rel="noopener">${t("map")}</a></div>
    <h2>${t("services")}</h2>` +
    h.services.map((s) => `<div class="card"><h3>${esc(nameOf(s))}</h3>
      <div class="row"><span>${t("wait")} <span class="wait">${waitText(s.eta)}</span></span><span>${s.waiting} ${t("waiting")}</span></div>
      ${h.issuing_now ? `<a class="btn alt" href="#/take/${esc(h.id)}/${esc(s.id)}">${t("take")}</a>` : ""}${bookSpot(h, s)}</div>`).join("") +
    `<h2>${t("crowd")}</h2><div class="card" id="crowd"></div>`;
  if (/MicroMessenger/i.test(navigator.userAgent)) {
    document.getElementById("map").onclick = (e) => { e.preventDefault(); wechatMap(h).catch(() => { location.href = mapUrl(h); }); };
  }
  markBookable();
  const data = await api(`/api/v1/halls/${encodeURIComponent(id)}/crowd`);
  document.getElementById("crowd").innerHTML = curve(data);
}

async function takePage(hallId, serviceId) {
  if (!halls.length) await loadHalls();
  const h = halls.find((x) => x.id === hallId);
  const s = h && h.services.find((x) => x.id === serviceId);
  if (!s) return searchPage();
  view.innerHTML = `<a href="#/svc/${encodeURIComponent(s.name)}">‹ ${t("back")}</a><h1>${t("takeTitle")}</h1>
    <div class="card"><h3>${esc(nameOf(s))}</h3><div class="muted">${esc(nameOf(h))}</div>
    <div class="row"><span>${t("wait")} <span class="wait">${waitText(s.eta)}</span></span><span>${s.waiting} ${t("waiting")}</span></div></div>
    <div id="wx-spot"></div>
    <form id="take" novalidate>
      <label for="phone">${t("phone")}</label><div class="pair"><input id="phone" inputmode="numeric" autocomplete="tel" maxlength="13">
      <button class="btn alt" id="send" type="button" style="margin:0">${t("getCode")}</button></div>
      <p class="hint" id="sent"></p>
      <label for="code">${t("code")}</label><input id="code" inputmode="numeric" autocomplete="one-time-code" maxlength="6">
      <label class="check"><input id="sms" type="checkbox" checked> ${t("remindSms")}</label>
      <p class="hint">${t("remoteNote", { g: h.remote_grace_minutes })}</p>
      <p class="err" id="err" role="alert"></p>
      <button class="btn" id="submit" type="submit">${t("submit")}</button></form>`;
  const err = document.getElementById("err");
  const took = (tk) => {
    keep({ id: tk.id, number: tk.number, track_token: tk.track_token, holder_token: tk.holder_token,
      checkin_code: tk.checkin_code, hall_id: hallId, phone_masked: tk.phone_masked, grace: tk.grace_minutes });
    location.hash = `#/ticket/${tk.id}/${tk.track_token}`;
  };
  wechat().then(async (wx) => {
    document.getElementById("wx-spot").innerHTML = await wx.takeOffer(ctx, hallId, serviceId);
    wx.wireTake(ctx, hallId, serviceId, took, (e) => { err.textContent = e.message; });
  }).catch(() => {});
  document.getElementById("send").onclick = async () => {
    err.textContent = "";
    try {
      const r = await api("/api/v1/remote/otp", { method: "POST", body: { phone: document.getElementById("phone").value } });
      document.getElementById("sent").textContent = `${t("codeSent")} ${r.to}`;
    } catch (e) { err.textContent = e.message; }
  };
  document.getElementById("take").onsubmit = async (ev) => {
    ev.preventDefault();
    err.textContent = "";
    try {
      const r = await api(`/api/v1/halls/${encodeURIComponent(hallId)}/remote-tickets`, { method: "POST", body: {
        service_id: serviceId, phone: document.getElementById("phone").value,
        code: document.getElementById("code").value, remind_sms: document.getElementById("sms").checked } });
      took(r.ticket);
    } catch (e) { err.textContent = e.message; }
  };
}

function beep() {
  try {
    const ctx = new (window.AudioContext || window.webkitAudioContext)();
    [0, 0.35].forEach((at) => {
      const o = ctx.createOscillator(), g = ctx.createGain();
      o.frequency.value = 880; g.gain.value = 0.2; o.connect(g); g.connect(ctx.destination);
      o.start(ctx.currentTime + at); o.stop(ctx.currentTime + at + 0.25);
    });
  } catch { /* no audio */ }
  if (navigator.vibrate) navigator.vibrate([300, 150, 300]);
}

async function ticketPage(id, token) {
  keep({ id, track_token: token });
  if (!halls.length) await loadHalls().catch(() => []);
  const pushReady = "PushManager" in window && "serviceWorker" in navigator &&
    (await fetch("/api/v1/remote/push-key").then((r) => r.ok, () => false));
  let last = null;
  let shown = "";
  const read = () => api(`/api/v1/tickets/${encodeURIComponent(id)}?token=${encodeURIComponent(token)}`);
  // On (re)connecting, read again but redraw only if something changed (typing is kept).
  const catchUp = async () => { const tk = await read(); if (JSON.stringify(tk) !== shown) await draw(tk); };
  const draw = async (fresh) => {
    const tk = fresh || await read();
    shown = JSON.stringify(tk);
    const mine = tickets()[id] || {};
    const h = halls.find((x) => x.services.some((s) => s.id === tk.service_id));
    const s = h && h.services.find((x) => x.id === tk.service_id);
    keep({ id, number: tk.number, hall_id: h && h.id });
    const called = tk.status === "called" && tk.window;
    if (called && last !== "called") beep();
    last = tk.status;
    const open = ["waiting", "not_arrived"].includes(tk.status);
    view.innerHTML = `<a href="#/">‹ ${t("back")}</a><h1>${t("myTicket")}</h1>
      <div class="card"><div class="muted">${esc(h ? nameOf(h) : "")} · ${esc(s ? nameOf(s) : "")}</div>
      <div class="num" id="number">${esc(tk.number)}</div>
      <div class="status" id="status">${t("st_" + tk.status)}</div>
      ${called ? `<p class="called" id="called">${t("calledAt", { w: tk.window.number })}</p>` : ""}
      ${open ? `<div class="row"><span>${t("ahead")}</span><span class="wait" id="ahead">${tk.people_ahead} ${t("people")}</span></div>
        <div class="row"><span>${t("eta")}</span><span class="wait" id="eta">${waitText(tk.eta)}</span></div>` : ""}
      <p class="hint">● ${t("live")}</p></div>
      ${tk.status === "not_arrived" && mine.holder_token ? `<div class="card" id="checkin"><h3>${t("checkinCode")}</h3>
        <div class="code" id="checkin-code">${esc(mine.checkin_code)}</div><p class="hint">${t("checkinHow")}</p>
        <label for="entrance">${t("entrance")}</label><div class="pair"><input id="entrance" inputmode="numeric" maxlength="6">
        <button class="btn" id="do-checkin" type="button" style="margin:0">${t("checkin")}</button></div></div>` : ""}
      ${open && pushReady ? `<button class="btn alt" id="push" type="button">${t("push")}</button>` : ""}
      ${open && mine.holder_token && mine.phone_masked === WECHAT_HOLDER ? `<button class="btn alt" id="wx-cancel" type="button">${t("cancel")}</button>` : ""}
      ${open && mine.holder_token && mine.phone_masked !== WECHAT_HOLDER ? `<details class="card"><summary>${t("cancel")}</summary><p class="hint">${t("cancelTitle")}</p>
        <label for="cphone">${t("phone")}</label><div class="pair"><input id="cphone" inputmode="numeric" maxlength="13">
        <button class="btn alt" id="csend" type="button" style="margin:0">${t("getCode")}</button></div>
        <label for="ccode">${t("code")}</label><input id="ccode" inputmode="numeric" maxlength="6">
        <button class="btn" id="do-cancel" type="button">${t("cancel")}</button></details>` : ""}
      <p class="err" id="err" role="alert"></p>`;
    wire(tk, mine, h);
    if (h && !stream) {
      stream = new EventSource(`/api/v1/halls/${encodeURIComponent(h.id)}/events`);
      stream.onmessage = () => {};
      // Whatever happened between the first read and the stream's (re)connection is read again.
      stream.onopen = () => { catchUp().catch(() => {}); };
      for (const kind of ["ticket.called", "ticket.recalled", "ticket.finished", "ticket.checked_in", "ticket.cancelled",
        "ticket.lapsed", "ticket.issued", "ticket.no_show", "ticket.transferred", "window.opened", "window.closed"]) {
        stream.addEventListener(kind, () => { clearTimeout(timer); timer = setTimeout(() => draw().catch(() => {}), 150); });
      }
    }
  };
  const wire = (tk, mine, h) => {
    const err = document.getElementById("err");
    const fail = (e) => { err.textContent = e.message; };
    const checkin = document.getElementById("do-checkin");
    if (checkin) checkin.onclick = () => api(`/api/v1/tickets/${id}/check-in`, { method: "POST", body: {
      holder_token: mine.holder_token, entrance_code: document.getElementById("entrance").value } }).then(() => draw(), fail);
    const push = document.getElementById("push");
    if (push) push.onclick = () => subscribePush(id, token).then(() => { push.textContent = t("pushOn"); push.disabled = true; }, fail);
    const csend = document.getElementById("csend");
    if (csend) csend.onclick = () => api("/api/v1/remote/otp", { method: "POST", body: { phone: document.getElementById("cphone").value } })
      .then((r) => { err.textContent = `${t("codeSent")} ${r.to}`; }, fail);
    const wxCancel = document.getElementById("wx-cancel");
    if (wxCancel) wxCancel.onclick = () => wechat().then((wx) => wx.cancel(ctx, id)).then(() => draw(), fail);
    const cancel = document.getElementById("do-cancel");
    if (cancel) cancel.onclick = () => api(`/api/v1/tickets/${id}/cancel-remote`, { method: "POST", body: {
      phone: document.getElementById("cphone").value, code: document.getElementById("ccode").value } }).then(() => draw(), fail);
  };
  try { await draw(); } catch (e) { view.innerHTML = `<p class="err">${esc(e.message)}</p>`; }
}

async function subscribePush(id, token) {
  const { public_key: key } = await api("/api/v1/remote/push-key");
  const reg = await navigator.serviceWorker.register("/static/mobile/sw.js");
  const raw = Uint8Array.from(atob(key.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));
  const sub = await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: raw });
  await api(`/api/v1/tickets/${id}/subscribe`, { method: "POST", body: { token, channel: "webpush", subscription: sub.toJSON() } });
}

async function entrancePage(hallId, code) {
  // Opened by scanning the QR at the hall entrance: check in the remote ticket kept on this phone.
  const mine = Object.values(tickets()).filter((x) => x.holder_token && (!x.hall_id || x.hall_id === hallId));
  const tk = mine[mine.length - 1];
  if (!tk) return searchPage();
  try {
    await api(`/api/v1/tickets/${tk.id}/check-in`, { method: "POST", body: { holder_token: tk.holder_token, entrance_code: code } });
  } catch (e) { /* shown on the ticket page by its status */ }
  location.hash = `#/ticket/${tk.id}/${tk.track_token}`;
}

// -- frame ---------------------------------------------------------------------------------

function route() {
  if (stream) { stream.close(); stream = null; }
  const params = new URLSearchParams(location.search);
  if (params.get("t") && params.get("token") && !location.hash) {
    location.hash = `#/ticket/${params.get("t")}/${params.get("token")}`;
    return;
  }
  const [path, query] = location.hash.replace(/^#/, "").split("?");
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  const q = new URLSearchParams(query || "").get("q") || "";
  const pages = {
    svc: () => servicePage(parts[1]),
    hall: () => hallPage(parts[1]),
    take: () => takePage(parts[1], parts[2]),
    ticket: () => ticketPage(parts[1], parts[2]),
    checkin: () => entrancePage(parts[1], parts[2]),
    book: () => book("bookPage", parts[1], parts[2]),
    appt: () => book("apptPage", parts[1]),
    appts: () => book("apptsPage"),
  };
  (pages[parts[0]] || (() => searchPage(q)))().catch((e) => {
    view.innerHTML = `<p class="err">${t("err")}: ${esc(e.message)}</p><button class="btn" onclick="location.reload()">${t("retry")}</button>`;
  });
  window.scrollTo(0, 0);
}

function chrome() {
  root.lang = lang === "zh" ? "zh-CN" : "en";
  document.getElementById("lang").textContent = lang === "zh" ? "EN" : "中文";
  document.getElementById("brand").textContent = t("title");
  document.title = `${t("title")} · ${lang === "zh" ? "政务大厅排队" : "Service hall queues"}`;
}

document.getElementById("lang").onclick = () => { lang = lang === "zh" ? "en" : "zh"; store.setItem("ov.lang", lang); chrome(); route(); };
const big = document.getElementById("big");
const setBig = (on) => { root.classList.toggle("big", on); big.setAttribute("aria-pressed", String(on)); store.setItem("ov.big", on ? "1" : ""); };
big.onclick = () => setBig(!root.classList.contains("big"));
setBig(store.getItem("ov.big") === "1");
window.addEventListener("hashchange", route);
chrome();
route();

// Kiosk page: draws the screen the agent sends over /ws, sends taps back, speaks every step.
// All logic lives in the agent (kiosk/flows.py); this file only renders and relays.
import { T } from "./strings.js";

const $ = (id) => document.getElementById(id);
let ws = null;
let view = null;
let lastSpoken = "";
let askTimer = null;

const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => (
  { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));

function t(key, params = {}) {
  const table = T[view?.lang || "zh"];
  let text = table[key] ?? T.zh[key] ?? key;
  for (const [k, v] of Object.entries(params)) text = text.replaceAll(`{${k}}`, v ?? "");
  return text;
}
const en = () => view?.lang === "en";
const pick = (zh, enText) => (en() && enText ? enText : zh);

function send(action, value) {
  if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: "tap", action, value }));
}

function connect() {
  ws = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws`);
  ws.onmessage = (msg) => {
    const data = JSON.parse(msg.data);
    if (data.type === "view") render(data.view);
  };
  ws.onclose = () => setTimeout(connect, 1000);
}

// Pre-rendered clips (python -m kiosk.voice) for the fixed prompts; Web Speech says the rest.
let clips = null;
let playing = null;
const clipsReady = fetch("/static/voice/manifest.json", { cache: "no-store" })
  .then((r) => (r.ok ? r.json() : null))
  .then((m) => { clips = m && m.clips ? m : null; })
  .catch(() => { clips = null; });

// A clip is played only if it was rendered from exactly the text on screen (not an old wording).
function clipFor(text, lang) {
  if (!clips) return null;
  for (const [name, file] of Object.entries(clips.clips)) {
    if (name.startsWith(`${lang}/`) && (clips.texts || {})[name] === text) return file;
  }
  return null;
}

function heard(entry) {
  // What was said, for the page's own tests; bounded, so a kiosk running for weeks keeps no log.
  const log = (window.__spoken ||= []);
  log.push(entry);
  if (log.length > 50) log.splice(0, log.length - 50);
}

async function speak(text) {
  if (!text) return;
  await clipsReady;
  if (playing) { playing.pause(); playing = null; }
  if ("speechSynthesis" in window) window.speechSynthesis.cancel();
  const file = clipFor(text, view?.lang || "zh");
  if (file) {
    playing = new Audio(`/static/voice/${file}`);
    playing.playbackRate = view?.elder ? 0.85 : 1;
    heard({ via: "clip", file, text });
    playing.play().catch(() => { /* autoplay refused: the text is on screen */ });
    return;
  }
  heard({ via: "speech", text });
  if (!("speechSynthesis" in window)) return;
  try {
    const u = new SpeechSynthesisUtterance(text);
    u.lang = en() ? "en-US" : "zh-CN";
    u.rate = view?.elder ? 0.85 : 1;
    window.speechSynthesis.speak(u);
  } catch (err) { /* no voice on this machine: the text is on screen */ }
}

function eta(tk) {
  if (tk.eta_low == null || tk.eta_high == null) return t("eta_unknown");
  if (tk.eta_low === tk.eta_high) return t("eta_about", { n: tk.eta_low });
  return t("eta_range", { low: tk.eta_low, high: tk.eta_high });
}

const screens = {
  idle() {
    return {
      prompt: t("p_idle"),
      html: `<h1 class="center">${t("welcome")}</h1>
        <div class="card-slot">${t("card_here")}</div>
        <p class="center big">${t("place_card")}</p>
        <div class="actions stack">
          <button type="button" data-tap="typed">${t("typed")}</button>
          <button type="button" data-tap="walk_in">${t("walk_in")}</button>
          <button type="button" data-tap="appointment">${t("appointment")}</button>
        </div>`,
    };
  },
  services() {
    const greet = view.greeting ? t("hello", { name: esc(view.greeting) })
      : (view.walk_in ? t("walk_in_title") : t("hello_anon"));
    const groups = view.groups.map((g) => `<h2>${esc(g.department || t("other_dept"))}</h2>
      <div class="services">${g.services.map((s) => `
        <button type="button" data-tap="choose" data-value="${esc(s.id)}" ${s.enabled ? "" : "disabled"}
          id="svc-${esc(s.id)}">
          <span>${esc(pick(s.name, s.name_en))}</span>
          <small>${s.enabled ? t("waiting_n", { n: s.waiting ?? "-" }) : t("needs_id")}
          ${s.online ? ` · ${t("online_ok")}` : ""}</small>
        </button>`).join("")}</div>`).join("");
    return {
      prompt: t("p_services"),
      html: `<div class="greet"><h1>${greet}</h1>${view.green ? `<span class="badge">${t("green")}</span>` : ""}</div>
        <input class="search" id="search" type="search" placeholder="${t("search")}"
          value="${esc(view.query)}" aria-label="${t("search")}">
        ${groups || `<p>${t("no_match")}</p>`}
        <div class="actions"><button type="button" data-tap="back">${t("back")}</button></div>`,
    };
  },
  materials() {
    const s = view.service || {};
    const items = (s.materials || []).map((m) => `<li>${esc(pick(m.zh, m.en))}</li>`).join("");
    const online = s.online_url ? `<div class="note" id="online-note"><strong>${t("online_title")}</strong>
      ${esc(pick(s.online_note_zh, s.online_note_en) || "")} <span>${esc(s.online_url)}</span></div>` : "";
    const ready = s.ready_note_zh ? `<div class="note">${esc(pick(s.ready_note_zh, s.ready_note_en))}</div>` : "";
    return {
      prompt: t("p_materials"),
      html: `<h1>${esc(pick(s.name, s.name_en))}</h1><p>${esc(s.department)}</p>
        ${online}${ready}
        <h2>${t("materials")}</h2><ol class="materials">${items || `<li>${t("no_materials")}</li>`}</ol>
        <div class="actions">
          <button type="button" class="primary" data-tap="confirm" id="confirm">${t("confirm")}</button>
          <button type="button" data-tap="back">${t("back")}</button></div>`,
    };
  },
  issuing() {
    return { prompt: t("p_issuing"), html: `<div class="spinner"></div><p class="center big">${t("issuing")}</p>` };
  },
  ticket() {
    const tk = view.ticket;
    const ahead = tk.people_ahead == null ? t("ahead_unknown") : t("ahead", { n: tk.people_ahead });
    const printed = {
      printing: `<p>${t("printing")}</p>`,
      printed: `<p class="big">${t("take_ticket")}</p>`,
      near_end: `<p class="big">${t("take_ticket")}</p>`,
    }[tk.printed] ?? `<div class="warn" id="print-failed"><strong>${t("print_failed")}</strong><br>${t("print_failed_hint")}</div>`;
    const arrival = tk.arrival ? `<div class="note">${t(`arrival_${tk.arrival}`, { slot: esc(tk.slot) })}</div>` : "";
    return {
      prompt: t("p_ticket", { number: tk.number, ahead }),
      html: `${tk.reprint ? `<p class="center"><span class="badge soft">${t("reprint_badge")}</span></p>` : ""}
        <div class="ticket"><div class="center">
          <div>${t("your_number")}</div>
          <div class="number" id="number">${esc(tk.number)}</div>
          <div class="big">${esc(pick(tk.service_name, tk.service_name_en))}</div>
          ${tk.class === "green" ? `<p><span class="badge">${t("green")}</span></p>` : ""}
          <p class="big" id="ahead">${ahead}</p><p id="eta">${eta(tk)}</p>
          <p>${esc(tk.issued_at || "")}</p></div>
          <div class="qr center"><img alt="${t("qr_alt")}" src="/qr.svg?text=${encodeURIComponent(tk.track_url || "")}">
          <div>${t("scan_follow")}</div></div></div>
        ${tk.offline ? `<div class="warn" id="offline-note">${t("offline_ticket")}</div>` : ""}
        ${arrival}${printed}
        <div class="actions"><button type="button" class="primary" data-tap="finish">${t("done")}</button></div>`,
    };
  },
  duplicate() {
    const n = esc(view.duplicate?.number);
    return {
      prompt: t("p_duplicate", { number: n }),
      html: `<h1>${t("dup_title", { number: n })}</h1><p class="big">${t("dup_question")}</p>
        <div class="actions"><button type="button" class="primary" data-tap="reprint" id="reprint">${t("reprint")}</button>
        <button type="button" data-tap="back">${t("back")}</button></div>`,
    };
  },
  refused() {
    const r = view.refusal || {};
    const when = r.next_local ? `<p class="big" id="come-back">${t("come_back", { when: esc(r.next_local) })}</p>`
      : (r.code === "quota_reached" || r.code === "no_capacity_today"
        ? `<p class="big" id="come-back">${t("come_tomorrow")}</p>` : "");
    const alts = (r.alternatives || []).map((h) => `<li>${esc(pick(h.name, h.name_en))} · ${esc(h.address)}
      ${h.eta_minutes != null ? ` · ${t("alt_wait", { n: h.eta_minutes })}` : ""}</li>`).join("");
    return {
      prompt: t(`r_${r.code}`),
      html: `<h1 id="refusal">${t(`r_${r.code}`)}</h1>${when}
        ${alts ? `<h2>${t("elsewhere")}</h2><ul id="alternatives">${alts}</ul>` : ""}
        <p>${t("sorry")}</p>
        <div class="actions"><button type="button" class="primary" data-tap="finish">${t("home")}</button></div>`,
    };
  },
  failed() {
    const code = view.refusal?.code || "unavailable";
    const key = T.zh[`f_${code}`] ? `f_${code}` : "f_unavailable";
    return {
      prompt: t(key),
      html: `<h1 id="failure">${t(key)}</h1><p>${t("go_desk")}</p>
        <div class="actions"><button type="button" class="primary" data-tap="finish">${t("home")}</button>
        <button type="button" data-tap="help">${t("help")}</button></div>`,
    };
  },
  keypad() {
    const typed = view.typed || "";
    const shown = [typed.slice(0, 6), typed.slice(6, 14), typed.slice(14)].filter(Boolean).join(" ");
    const bad = ["region", "birth_date", "check_digit", "characters"].includes(view.check);
    const keys = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "X", "0"].map((k) =>
      `<button type="button" data-tap="key" data-value="${k}">${k}</button>`).join("");
    return {
      prompt: t("p_keypad"),
      html: `<h1>${t("typed_title")}</h1>
        <div class="digits" id="typed">${esc(shown) || "&nbsp;"}</div>
        <p id="check" class="${bad ? "error" : ""}">${t(`c_${view.check}`, { n: typed.length })}</p>
        <div class="keypad">${keys}<button type="button" data-tap="backspace" aria-label="${t("backspace")}">⌫</button></div>
        <div class="actions"><button type="button" class="primary" data-tap="submit" id="submit"
          ${view.check === "ok" ? "" : "disabled"}>${t("confirm_id")}</button>
          <button type="button" data-tap="clear">${t("clear")}</button>
          <button type="button" data-tap="back">${t("back")}</button></div>`,
    };
  },
  appointment() {
    const keys = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "0"].map((k) =>
      `<button type="button" data-tap="key" data-value="${k}">${k}</button>`).join("");
    return {
      prompt: t("p_appointment"),
      html: `<h1>${t("appointment")}</h1><p class="big">${t("scan_appt")}</p>
        <p>${t("or_type_code")}</p><div class="digits" id="code">${esc(view.code) || "&nbsp;"}</div>
        <div class="keypad">${keys}<button type="button" data-tap="backspace" aria-label="${t("backspace")}">⌫</button></div>
        <div class="actions"><button type="button" class="primary" data-tap="submit" id="submit"
          ${(view.code || "").length >= 6 ? "" : "disabled"}>${t("confirm")}</button>
          <button type="button" data-tap="back">${t("back")}</button></div>`,
    };
  },
  ask() {
    return {
      prompt: t("p_ask"),
      html: `<h1 class="center">${t("ask")}</h1>
        <p class="center">${t(view.ask_reason === "card_lifted" ? "ask_lifted" : "ask_idle")}</p>
        <p class="center countdown" id="countdown">${view.ask_seconds}</p>
        <div class="actions stack"><button type="button" class="primary" data-tap="continue" id="continue">${t("continue")}</button>
        <button type="button" data-tap="finish">${t("finish")}</button></div>`,
    };
  },
};

function render(next) {
  view = next;
  document.documentElement.lang = en() ? "en" : "zh-CN";
  document.body.classList.toggle("elder", !!view.elder);
  $("hall-name").textContent = pick(view.hall?.name, view.hall?.name_en) || "OneVisit";
  $("net").textContent = view.online ? "" : t("offline");
  $("net").className = view.online ? "net" : "net off";
  $("lang").textContent = en() ? "中文" : "English";
  $("elder").textContent = view.elder ? t("elder_off") : t("elder_on");
  $("elder").setAttribute("aria-pressed", String(!!view.elder));
  $("help").textContent = t("help");
  const search = document.getElementById("search");
  const typing = search && document.activeElement === search && view.screen === "services";
  const out = (screens[view.screen] || screens.idle)();
  if (!typing) {
    $("screen").innerHTML = out.html;
    $("screen").dataset.screen = view.screen;
  } else {
    const fresh = document.createElement("div");
    fresh.innerHTML = out.html;
    $("screen").querySelectorAll(".services, h2").forEach((n) => n.remove());
    fresh.querySelectorAll("h2, .services").forEach((n) => $("screen").querySelector(".actions").before(n));
  }
  $("prompt").textContent = out.prompt;
  const notice = view.notice ? t(`n_${view.notice}`) : "";
  $("notice").hidden = !notice;
  $("notice").textContent = notice;
  const spoken = `${view.screen}|${view.lang}|${out.prompt}`;
  if (spoken !== lastSpoken) { lastSpoken = spoken; speak(out.prompt); }
  clearInterval(askTimer);
  if (view.screen === "ask") {
    const started = Date.now();
    askTimer = setInterval(() => {
      const left = Math.max(0, Math.ceil(view.ask_seconds - (Date.now() - started) / 1000));
      const el = document.getElementById("countdown");
      if (el) el.textContent = left;
    }, 250);
  }
}

document.addEventListener("click", (ev) => {
  const el = ev.target.closest("[data-tap]");
  if (!el || el.disabled) return;
  const action = el.dataset.tap;
  let value = el.dataset.value ?? null;
  if (action === "lang") value = en() ? "zh" : "en";
  if (action === "elder") value = !view?.elder;
  send(action, value);
});
document.addEventListener("input", (ev) => {
  if (ev.target.id === "search") send("search", ev.target.value);
});
connect();

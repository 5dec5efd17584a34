// Shared by the staff consoles: log-in, the API, live events over the WebSocket, small DOM help.
// No rules live here: every decision is the server's; pages render what it answers.

const SESSION_KEY = "onevisit.console";

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (value === true) node.setAttribute(key, "");
    else node.setAttribute(key, value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

export const session = {
  get() {
    try { return JSON.parse(sessionStorage.getItem(SESSION_KEY) || "null"); } catch { return null; }
  },
  save(value) { sessionStorage.setItem(SESSION_KEY, JSON.stringify(value)); },
  clear() { sessionStorage.removeItem(SESSION_KEY); },
};

export class ApiError extends Error {
  constructor(status, error) {
    super(error.message || `HTTP ${status}`);
    this.status = status;
    this.code = error.code || "http_error";
    this.details = error;
  }
}

export async function api(method, path, body) {
  const headers = {};
  const current = session.get();
  if (current) headers.Authorization = `Bearer ${current.token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status === 204) return null;
  const type = response.headers.get("Content-Type") || "";
  const data = type.includes("json") ? await response.json() : await response.text();
  if (!response.ok) {
    if (response.status === 401 && current) {
      session.clear();
      location.reload();
    }
    throw new ApiError(response.status, (data && data.error) || {});
  }
  return data;
}

// A log-in form in `container`; resolves with the session once a member of staff logs in.
export function login(container, title) {
  const existing = session.get();
  if (existing) return Promise.resolve(existing);
  return new Promise((resolve) => {
    const message = el("p", { class: "form-error", role: "alert", id: "login-error" });
    const user = el("input", { id: "login-username", name: "username", autocomplete: "username",
      required: true, autofocus: true });
    const pass = el("input", { id: "login-password", name: "password", type: "password",
      autocomplete: "current-password", required: true });
    const form = el("form", { class: "login card", id: "login-form" },
      el("h2", {}, title),
      el("label", {}, "用户名 Username", user),
      el("label", {}, "密码 Password", pass),
      el("button", { type: "submit", class: "primary" }, "登录 Log in"),
      message);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      message.textContent = "";
      try {
        const result = await api("POST", "/api/v1/auth/login",
          { username: user.value.trim(), password: pass.value });
        const value = { ...result, username: user.value.trim() };
        session.save(value);
        container.replaceChildren();
        resolve(value);
      } catch (err) {
        message.textContent = err.code === "invalid_credentials"
          ? "用户名或密码错误 Wrong username or password" : `登录失败 ${err.message}`;
        pass.select();
      }
    });
    container.replaceChildren(form);
    user.focus();
  });
}

export async function logout() {
  try { await api("POST", "/api/v1/auth/logout"); } catch { /* the token may be gone already */ }
  session.clear();
  location.reload();
}

// The halls this member of staff works in (managers of every hall: all halls).
export async function myHalls(current) {
  const { halls } = await api("GET", "/api/v1/halls");
  if ((current.halls || []).includes("*")) return halls;
  return halls.filter((h) => current.halls.includes(h.id));
}

// Live events of a hall over the console WebSocket; resumes after a drop without losing any.
export function live(hallId, onEvent, onStatus = () => {}) {
  let lastId = null;
  let socket = null;
  let delay = 500;
  let stopped = false;
  function connect() {
    const token = session.get()?.token;
    if (!token || stopped) return;
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    socket = new WebSocket(`${scheme}://${location.host}/api/v1/ws?token=${encodeURIComponent(token)}`);
    socket.addEventListener("open", () => {
      delay = 500;
      const message = { id: 1, type: "subscribe_events", hall_id: hallId };
      if (lastId !== null) message.last_event_id = lastId;
      socket.send(JSON.stringify(message));
    });
    socket.addEventListener("message", (raw) => {
      const message = JSON.parse(raw.data);
      if (message.type === "result" && message.success) {
        onStatus("live");
        onEvent({ type: "connected" });
      } else if (message.type === "event") {
        lastId = message.event.id;
        onEvent(message.event);
      } else if (message.type === "reset") {
        lastId = message.last_event_id;
        onEvent({ type: "reset" });
      }
    });
    socket.addEventListener("close", () => {
      onStatus("offline");
      if (stopped) return;
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 10000);
    });
  }
  connect();
  return { stop() { stopped = true; socket?.close(); } };
}

export function debounce(fn, ms) {
  let timer = null;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

export function toast(text, kind = "info") {
  let box = document.getElementById("toasts");
  if (!box) {
    box = el("div", { id: "toasts", "aria-live": "assertive" });
    document.body.append(box);
  }
  const item = el("div", { class: `toast ${kind}`, role: kind === "error" ? "alert" : "status" }, text);
  box.append(item);
  while (box.children.length > 3) box.firstChild.remove();
  setTimeout(() => item.remove(), kind === "error" ? 6000 : 3000);
}

export function minutes(value) {
  if (value === null || value === undefined) return "—";
  return `${Math.round(value)} 分`;
}

export function localTime(iso) {
  if (!iso) return "—";
  return new Date(iso).toLocaleTimeString("zh-CN", { hour12: false });
}

export const CLASS_NAMES = { normal: "普通", green: "绿色通道", appointment: "预约" };
export const STATE_NAMES = { open: "开放", paused: "暂停", closed: "关闭" };
export const STATUS_NAMES = {
  waiting: "等候", not_arrived: "未到", called: "已叫号", serving: "办理中", held: "挂起",
  done: "已办结", no_show: "过号", cancelled: "已作废", lapsed: "已失效",
};
export const RULE_NAMES = {
  pinned: "转入本窗口", appointment: "预约时段内", starvation: "防饿死上限", score: "权重×等候+加分",
  fallback: "无其他等候", manual: "越序叫号", held: "挂起回呼",
};

// A small modal that offers choices keyed 1-9 then A-Z: a key picks, Escape cancels, Enter takes
// the first.
const KEYS = [..."123456789abcdefghijklmnopqrstuvwxyz"];
export function pick(title, options, { note = "", confirmLabel = null } = {}) {
  return new Promise((resolve) => {
    const previous = document.activeElement;
    const keys = options.map((_, index) => KEYS[index] || "");
    const buttons = options.map((option, index) => el("button", {
      type: "button", class: "choice", onclick: () => done(option.value),
    }, keys[index] ? el("kbd", {}, keys[index].toUpperCase()) : null, ` ${option.label}`));
    const cancel = el("button", { type: "button", onclick: () => done(null) },
      el("kbd", {}, "Esc"), " 取消 Cancel");
    const dialog = el("div", { class: "modal", role: "dialog", "aria-modal": "true",
      "aria-label": title, id: "picker" },
      el("div", { class: "card" }, el("h2", {}, title), note ? el("p", {}, note) : null,
        el("div", { class: "choices" }, buttons),
        confirmLabel ? el("p", { class: "hint" }, confirmLabel) : null, cancel));
    function onKey(event) {
      if (event.key === "Escape") { event.preventDefault(); done(null); return; }
      if (event.key === "Enter" && options.length) {
        event.preventDefault(); done(options[0].value); return;
      }
      const index = event.key.length === 1 ? keys.indexOf(event.key.toLowerCase()) : -1;
      if (index >= 0) {
        event.preventDefault(); done(options[index].value);
      }
      event.stopPropagation();
    }
    function done(value) {
      document.removeEventListener("keydown", onKey, true);
      dialog.remove();
      if (previous && previous.focus) previous.focus();
      resolve(value);
    }
    document.addEventListener("keydown", onKey, true);
    document.body.append(dialog);
    (buttons[0] || cancel).focus();
  });
}

export function connectionBadge(node) {
  return (status) => {
    node.textContent = status === "live" ? "● 实时 Live" : "○ 重连中 Reconnecting";
    node.className = `conn ${status}`;
    node.dataset.status = status;
  };
}

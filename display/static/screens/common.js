// Small helpers shared by the signage, window screen and evaluator pages.

export const params = new URLSearchParams(location.search);

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value !== null && value !== undefined) node.setAttribute(key, value);
  }
  for (const child of children) {
    if (child !== null && child !== undefined) node.append(child);
  }
  return node;
}

// "zh" (default) or "zh-en" (Chinese with English captions).
export function language() {
  return params.get("lang") === "zh-en" ? "zh-en" : "zh";
}

// A device token is set up once: from the URL fragment (#token=…, never sent to servers or
// logs) or a pairing code, then kept in this browser; the fragment is removed from the URL.
export function deviceToken(scope) {
  const key = `onevisit.token.${scope}`;
  const hash = new URLSearchParams(location.hash.slice(1));
  const fromUrl = hash.get("token");
  if (fromUrl) {
    localStorage.setItem(key, fromUrl);
    history.replaceState(null, "", location.pathname + location.search);
    return fromUrl;
  }
  return localStorage.getItem(key);
}

export function storeToken(scope, token) {
  localStorage.setItem(`onevisit.token.${scope}`, token);
}

export function forgetToken(scope) {
  localStorage.removeItem(`onevisit.token.${scope}`);
}

export async function getJSON(url, token) {
  const headers = token ? { Authorization: `Bearer ${token}` } : {};
  const response = await fetch(url, { headers, cache: "no-store" });
  if (!response.ok) {
    const error = new Error(`${url}: ${response.status}`);
    error.status = response.status;
    throw error;
  }
  return { body: await response.json(), date: response.headers.get("Date") };
}

export async function postJSON(url, body, token) {
  const headers = { "Content-Type": "application/json" };
  if (token) headers.Authorization = `Bearer ${token}`;
  const response = await fetch(url, { method: "POST", headers, body: JSON.stringify(body) });
  const data = await response.json().catch(() => ({}));
  return { status: response.status, body: data };
}

// The wall clock, drawn by the page (the API is clock-free).
export function startClock(node, withDate = true) {
  const pad = (n) => String(n).padStart(2, "0");
  const days = ["日", "一", "二", "三", "四", "五", "六"];
  const tick = () => {
    const now = new Date();
    const time = `${pad(now.getHours())}:${pad(now.getMinutes())}`;
    node.replaceChildren(el("span", { class: "clock-time" }, time));
    if (withDate) {
      node.append(el("span", { class: "clock-date" },
        `${now.getMonth() + 1}月${now.getDate()}日 星期${days[now.getDay()]}`));
    }
  };
  tick();
  setInterval(tick, 1000);
}

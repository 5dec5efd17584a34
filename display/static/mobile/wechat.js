// WeChat web login for remote tickets: offered inside WeChat (or once logged in), loaded on use.
// The session lives in an HttpOnly cookie the server sets; this page never sees a token.

const inWeChat = () => /MicroMessenger/i.test(navigator.userAgent);

// "in" (logged in), "out" (configured, not logged in) or "off" (not configured here).
export async function loginState() {
  const response = await fetch("/api/v1/remote/wechat/session", { credentials: "same-origin" });
  if (response.ok) return "in";
  return response.status === 401 ? "out" : "off";
}

// Where WeChat's login comes back with an error, say it once and tidy the address.
export function loginError(ctx) {
  const params = new URLSearchParams(location.search);
  const code = params.get("wx_error");
  if (!code) return "";
  params.delete("wx_error");
  const query = params.toString();
  history.replaceState(null, "", `${location.pathname}${query ? `?${query}` : ""}${location.hash}`);
  return ctx.t(`wx_${code}`) === `wx_${code}` ? ctx.t("wx_failed") : ctx.t(`wx_${code}`);
}

// The block above the phone form on the take page; "" when WeChat login does not apply.
export async function takeOffer(ctx, hallId, serviceId) {
  const state = await loginState().catch(() => "off");
  const error = loginError(ctx);
  const note = error ? `<p class="err" id="wx-error" role="alert">${ctx.esc(error)}</p>` : "";
  if (state === "in") {
    return `<div class="card" id="wx"><p>${ctx.t("wxAs")}</p>
      <label class="check"><input id="wx-remind" type="checkbox" checked> ${ctx.t("wxRemind")}</label>
      <button class="btn" id="wx-take" type="button">${ctx.t("wxTake")}</button>
      <p class="hint">${ctx.t("wxOr")}</p></div>${note}`;
  }
  if (state === "out" && inWeChat()) {
    const next = `/mobile#/take/${hallId}/${serviceId}`;
    const href = `/api/v1/remote/wechat/login?next=${encodeURIComponent(next)}`;
    return `<div class="card" id="wx"><a class="btn" id="wx-login" href="${href}">${ctx.t("wxLogin")}</a>
      <p class="hint">${ctx.t("wxOr")}</p></div>${note}`;
  }
  return note;
}

// Wire the "take as WeChat user" button; resolves with the new ticket.
export function wireTake(ctx, hallId, serviceId, onTicket, onError) {
  const button = document.getElementById("wx-take");
  if (!button) return;
  button.onclick = async () => {
    button.disabled = true;
    try {
      const remind = document.getElementById("wx-remind").checked;
      const r = await ctx.api(`/api/v1/halls/${encodeURIComponent(hallId)}/remote-tickets/wechat`,
        { method: "POST", body: { service_id: serviceId, remind_wechat: remind } });
      onTicket(r.ticket);
    } catch (e) { onError(e); button.disabled = false; }
  };
}

// Cancel a ticket this WeChat visitor holds (no phone code).
export function cancel(ctx, ticketId) {
  return ctx.api(`/api/v1/tickets/${encodeURIComponent(ticketId)}/cancel-wechat`, { method: "POST" });
}

// A hall's live feed for screens: the board picture, then the event stream after it.
//
// Reconnects by itself (with Last-Event-ID as ?last_event_id=) and reports its state, so a
// page can show "reconnecting". After a reconnect it applies the catch-up rule:
//
//   The server replays every event missed during the outage. Before reopening the stream the
//   page fetches a fresh board; its `last_event_id` is the boundary B. Replayed events with
//   id <= B are "catch-up": the fresh board already shows them (missed calls appear in the
//   list of latest calls), and a catch-up call (ticket.called / ticket.recalled) is announced
//   only when all hold:
//     1. it is still current: on the fresh board its window's ticket is that ticket, still
//        `called` (not started, finished, no-show, held, transferred or cancelled), and the
//        event is that ticket's latest call (`call_event_id`); a later call at the same
//        window, or a recall of the same ticket, supersedes it;
//     2. it is at most `staleSeconds` old (default 30, page option ?stale=N), measured on
//        the server's clock (the Date header of the board answer);
//     3. its event id has not been announced before (ids are unique; nothing twice).
//   Events with id > B are live: shown and, if calls, announced in order, once each.
//
// `decideCatchUp` is the rule as a pure function, exported for tests and for reading.

export function decideCatchUp(event, board, serverNowMs, staleSeconds) {
  if (event.type !== "ticket.called" && event.type !== "ticket.recalled") {
    return { announce: false, reason: "not_a_call" };
  }
  const window = (board.windows || []).find((w) => w.id === event.data.window_id);
  const current = window ? window.ticket : null;
  if (!current || current.id !== event.data.ticket_id || current.status !== "called") {
    return { announce: false, reason: "no_longer_current" };
  }
  if (current.call_event_id !== event.id) {
    return { announce: false, reason: "superseded" };
  }
  const ageSeconds = (serverNowMs - Date.parse(event.data.at)) / 1000;
  if (ageSeconds > staleSeconds) {
    return { announce: false, reason: "stale" };
  }
  return { announce: true, reason: "current" };
}

const CALLS = new Set(["ticket.called", "ticket.recalled"]);
const TYPES = [
  "ticket.issued", "ticket.called", "ticket.recalled", "ticket.started", "ticket.finished",
  "ticket.no_show", "ticket.transferred", "ticket.held", "ticket.cancelled", "ticket.lapsed",
  "window.opened", "window.paused", "window.resumed", "window.closed", "notice.posted",
  "device.health",
];

export class HallFeed {
  // hooks: onBoard(board, {resumed}), onEvent({id, type, data, live}),
  //        onCall({id, type, data, live, decision}), onStatus("connecting"|"live"|"reconnecting")
  constructor(hallId, hooks, options = {}) {
    this.hallId = hallId;
    this.hooks = hooks;
    this.token = options.token || null;
    this.staleSeconds = options.staleSeconds ?? 30;
    this.retryMs = options.retryMs ?? 2000;
    this.maxRetryMs = options.maxRetryMs ?? 15000;
    this.lastId = null;
    this.boundary = null;
    this.board = null;
    this.skewMs = 0;
    this.source = null;
    this.failures = 0;
    this.seenCalls = new Set();
    this.log = [];
    window.__feed = this;
  }

  boardUrl() {
    return `/api/v1/halls/${encodeURIComponent(this.hallId)}/board`;
  }

  async start() {
    this.status("connecting");
    await this.resync(false);
  }

  status(value) {
    this.state = value;
    document.documentElement.dataset.feed = value;
    if (this.hooks.onStatus) this.hooks.onStatus(value);
  }

  async fetchBoard() {
    const headers = this.token ? { Authorization: `Bearer ${this.token}` } : {};
    const response = await fetch(this.boardUrl(), { headers, cache: "no-store" });
    if (!response.ok) throw new Error(`board ${response.status}`);
    const board = await response.json();
    const date = Date.parse(response.headers.get("Date") || "");
    this.skewMs = Number.isFinite(date) ? date - Date.now() : 0;
    return board;
  }

  async refreshBoard() {
    try {
      this.board = await this.fetchBoard();
      this.hooks.onBoard(this.board, { resumed: false });
    } catch (err) {
      // the stream's own error handling reconnects; a failed refresh is retried later
    }
  }

  // resumed=false: first start or after `reset` (nothing is replayed, nothing announced);
  // resumed=true: after an outage, replay from lastId with the catch-up rule.
  async resync(resumed) {
    let board;
    try {
      board = await this.fetchBoard();
    } catch (err) {
      this.scheduleReconnect();
      return;
    }
    this.board = board;
    this.hooks.onBoard(board, { resumed });
    if (!resumed || this.lastId === null) this.lastId = board.last_event_id;
    this.boundary = resumed ? board.last_event_id : null;
    this.resumedAtServerMs = Date.now() + this.skewMs;
    this.open();
  }

  open() {
    const url = `/api/v1/halls/${encodeURIComponent(this.hallId)}/events?last_event_id=${this.lastId}`;
    const source = new EventSource(url);
    this.source = source;
    source.onopen = () => {
      this.failures = 0;
      this.status("live");
    };
    source.onerror = () => {
      if (this.source !== source) return;
      source.close();
      this.source = null;
      this.scheduleReconnect();
    };
    for (const type of TYPES) {
      source.addEventListener(type, (message) => this.receive(type, message));
    }
    source.addEventListener("reset", () => {
      source.close();
      this.source = null;
      this.lastId = null;
      this.resync(false);
    });
  }

  scheduleReconnect() {
    this.status("reconnecting");
    this.failures += 1;
    const delay = Math.min(this.maxRetryMs, this.retryMs * Math.min(this.failures, 4));
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.resync(true), delay);
  }

  receive(type, message) {
    const id = Number(message.lastEventId);
    if (!Number.isFinite(id) || (this.lastId !== null && id <= this.lastId)) return;
    this.lastId = id;
    const data = JSON.parse(message.data);
    const live = this.boundary === null || id > this.boundary;
    const event = { id, type, data, live };
    if (live) this.hooks.onEvent(event);
    if (!CALLS.has(type)) return;
    let decision;
    if (this.seenCalls.has(id)) {
      decision = { announce: false, reason: "already_announced" };
    } else if (live) {
      decision = { announce: true, reason: "live" };
    } else {
      decision = decideCatchUp(event, this.board, this.resumedAtServerMs, this.staleSeconds);
    }
    if (decision.announce) this.seenCalls.add(id);
    this.log.push({ id, number: data.number, window: data.window_number, live, ...decision });
    if (this.hooks.onCall) this.hooks.onCall({ ...event, decision });
  }
}

// Voice calling: a queue that announces every call and recall in order, once each.
//
// An announcement is a chime and then pre-rendered clips played one after another
// ("请" "A" "0" "2" "3" "号" "到" "5" "号窗口办理"), built by `python -m display.voice.build`.
// When the clips are missing (or one fails to play) the announcement is spoken with the
// browser's Web Speech instead. `?voice=silent` runs the same queue without sound, each clip
// "playing" for `?clip_ms=` milliseconds (default 60), so tests can watch the order.
// Every announcement is logged in `window.__announced` as it starts.

const CN_DIGITS = "零一二三四五六七八九";

// The clip names of a window number read as a Chinese cardinal (5 → 五, 12 → 十二).
export function numberPieces(n) {
  if (!Number.isInteger(n) || n < 0 || n > 999) return String(n).split("");
  if (n < 10) return [String(n)];
  const hundreds = Math.floor(n / 100);
  const tens = Math.floor((n % 100) / 10);
  const ones = n % 10;
  const pieces = [];
  if (hundreds) pieces.push(String(hundreds), "100");
  if (tens) {
    if (!(tens === 1 && !hundreds)) pieces.push(String(tens));
    pieces.push("10");
  } else if (hundreds && ones) {
    pieces.push("0");
  }
  if (ones) pieces.push(String(ones));
  return pieces;
}

function numberText(n) {
  return numberPieces(n).map((p) => (p === "10" ? "十" : p === "100" ? "百" : CN_DIGITS[p])).join("");
}

// The clip sequence of one call, e.g. zh: qing A 0 2 3 hao dao 5 window.
export function segments(call, languages) {
  const ticket = String(call.number).split("").map((ch) => (/[0-9]/.test(ch) ? ch : ch.toUpperCase()));
  const out = [];
  if (languages.includes("zh")) {
    if (call.kind === "recalled") out.push("zh/recall");
    out.push("zh/qing", ...ticket.map((c) => `zh/${c}`), "zh/hao", "zh/dao",
      ...numberPieces(call.window_number).map((p) => `zh/${p}`), "zh/window");
  }
  if (languages.includes("en")) {
    out.push("en/number", ...ticket.map((c) => `en/${c}`), "en/please_go_to_window",
      ...String(call.window_number).split("").map((d) => `en/${d}`));
  }
  return out;
}

export function sentence(call, language) {
  if (language === "en") {
    const spaced = String(call.number).split("").join(" ");
    return `Number ${spaced}, please go to window ${call.window_number}.`;
  }
  const recall = call.kind === "recalled" ? "重呼，" : "";
  const digits = String(call.number).split("").map((c) => (/[0-9]/.test(c) ? CN_DIGITS[c] : c)).join("");
  return `${recall}请${digits}号，到${numberText(call.window_number)}号窗口办理`;
}

export class Announcer {
  constructor(options = {}) {
    this.mode = options.mode || "clips";           // "clips" | "speech" | "silent"
    this.languages = options.languages || ["zh"];
    this.clipMs = options.clipMs ?? 60;
    this.base = options.base || "/static/voice/";
    this.onStart = options.onStart || (() => {});
    this.onEnd = options.onEnd || (() => {});
    this.queue = [];
    this.busy = false;
    this.announcedIds = new Set();
    this.manifest = null;
    this.audio = new Map();
    this.blocked = false;
    window.__announced = window.__announced || [];
  }

  async load() {
    if (this.mode !== "clips") return;
    try {
      const response = await fetch(`${this.base}manifest.json`, { cache: "no-store" });
      if (!response.ok) throw new Error("no clips");
      this.manifest = await response.json();
    } catch (err) {
      this.mode = "speech";
    }
  }

  // Queue one call; an event id already queued or announced is ignored.
  enqueue(call) {
    if (this.announcedIds.has(call.id)) return;
    this.announcedIds.add(call.id);
    this.queue.push(call);
    if (!this.busy) this.drain();
  }

  async drain() {
    this.busy = true;
    while (this.queue.length) {
      const call = this.queue.shift();
      window.__announced.push({ id: call.id, number: call.number, window: call.window_number,
        kind: call.kind, t: Math.round(performance.now()) });
      document.documentElement.dataset.announced = String(window.__announced.length);
      this.onStart(call);
      try {
        await this.announce(call);
      } catch (err) {
        // a failed announcement never stops the queue
      }
      this.onEnd(call);
    }
    this.busy = false;
  }

  async announce(call) {
    const clips = ["chime", ...segments(call, this.languages)];
    if (this.mode === "silent") {
      for (let i = 0; i < clips.length; i += 1) await sleep(this.clipMs);
      return;
    }
    if (this.mode === "clips" && this.manifest) {
      const files = clips.map((name) => this.manifest.clips[name]);
      if (files.every(Boolean)) {
        try {
          for (const file of files) await this.play(file);
          return;
        } catch (err) {
          // fall through to speech for this announcement
        }
      }
    }
    await this.playChimeSafely();
    for (const language of this.languages) await this.speak(sentence(call, language), language);
  }

  async playChimeSafely() {
    const file = this.manifest && this.manifest.clips.chime;
    if (!file) return;
    try { await this.play(file); } catch (err) { /* speech follows anyway */ }
  }

  play(file) {
    return new Promise((resolve, reject) => {
      let audio = this.audio.get(file);
      if (!audio) {
        audio = new Audio(this.base + file);
        this.audio.set(file, audio);
      }
      audio.currentTime = 0;
      const done = () => { cleanup(); resolve(); };
      const fail = () => { cleanup(); reject(new Error(`clip ${file}`)); };
      const cleanup = () => {
        audio.removeEventListener("ended", done);
        audio.removeEventListener("error", fail);
        clearTimeout(guard);
      };
      const guard = setTimeout(fail, 5000);
      audio.addEventListener("ended", done);
      audio.addEventListener("error", fail);
      audio.play().catch((err) => {
        if (err && err.name === "NotAllowedError") this.setBlocked(true);
        fail();
      });
    });
  }

  setBlocked(value) {
    this.blocked = value;
    document.documentElement.dataset.soundBlocked = value ? "yes" : "no";
  }

  speak(text, language) {
    return new Promise((resolve) => {
      if (!("speechSynthesis" in window)) { resolve(); return; }
      const utterance = new SpeechSynthesisUtterance(text);
      utterance.lang = language === "en" ? "en-US" : "zh-CN";
      utterance.rate = 0.9;
      const guard = setTimeout(resolve, 8000);
      utterance.onend = () => { clearTimeout(guard); resolve(); };
      utterance.onerror = () => { clearTimeout(guard); resolve(); };
      speechSynthesis.speak(utterance);
    });
  }
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

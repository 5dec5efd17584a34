// Manager console, 等候预估准确度 Wait estimate accuracy: for a business day, what each citizen
// was told at issue against the wait they actually had, per service and for the hall, with the
// predictor's state. Kept live by the hall's events (each call adds an outcome).
import { api, el, toast } from "./common.js";

let panel = null;

const hallPath = (hallId) => `/api/v1/halls/${encodeURIComponent(hallId)}`;
const fixed = (value, digits = 1) => (value === null || value === undefined ? "—" : value.toFixed(digits));
const signed = (value) => (value === null || value === undefined ? "—"
  : `${value > 0 ? "+" : ""}${value.toFixed(1)}`);
const share = (value) => (value === null || value === undefined ? "—" : `${Math.round(value * 100)}%`);

function verdict(figures) {
  if (figures.count === 0) return el("span", { class: "muted" }, "暂无 no data");
  if (figures.drifting) return el("span", { class: "health-fault" }, `偏差 drifting · ${figures.reason}`);
  return el("span", { class: "health-ok" }, figures.count < 20 ? "样本少 few so far" : "正常 ok");
}

function row(label, figures, attrs = {}) {
  return el("tr", { ...attrs, class: figures.drifting ? "drifting" : "" },
    el("td", {}, label),
    el("td", { class: "num count" }, String(figures.count)),
    el("td", { class: "num mae" }, fixed(figures.mae_min)),
    el("td", { class: "num bias" }, signed(figures.bias_min)),
    el("td", { class: "num coverage" }, share(figures.coverage90)),
    el("td", { class: "verdict" }, verdict(figures)));
}

function predictorLine(predictor) {
  if (!predictor.running) {
    return el("p", { class: "muted", id: "eta-predictor" }, "预估方式：公式估算（模拟预估未启用）Closed form only");
  }
  const method = predictor.fresh ? "模拟预估 simulation" : "公式估算 closed form（模拟尚未就绪）";
  const ready = predictor.services_ready.length;
  return el("p", { class: "muted", id: "eta-predictor" },
    `预估方式 Method：${method} · 有足够历史的事项 ${ready} 个 · 已回馈 ${predictor.outcomes} 个结果`);
}

async function draw() {
  const { hallId, date } = panel;
  const query = date ? `?date=${encodeURIComponent(date)}` : "";
  const data = await api("GET", `${hallPath(hallId)}/eta-accuracy${query}`);
  if (!panel || panel.hallId !== hallId || panel.date !== date) return;
  panel.date = data.business_day;
  panel.dateInput.value = data.business_day;
  panel.table.replaceChildren(
    el("thead", {}, el("tr", {}, el("th", {}, "事项 Service"), el("th", { class: "num" }, "已叫号 Called"),
      el("th", { class: "num" }, "平均误差（分）MAE"), el("th", { class: "num" }, "偏差（分）Bias"),
      el("th", { class: "num" }, "落在范围内 In range"), el("th", {}, "状态 Status"))),
    el("tbody", {}, data.services.map((s) => row(`${s.prefix} · ${s.name}`, s, { "data-service": s.service_id }))),
    el("tfoot", {}, row("全厅 Whole hall", data.overall, { id: "eta-overall" })));
  panel.predictor.replaceWith(predictorLine(data.predictor));
  panel.predictor = document.getElementById("eta-predictor");
}

// The panel's card, rendered into the console's tab body.
export async function renderAccuracy(body, hallId) {
  const dateInput = el("input", { type: "date", id: "eta-date" });
  const table = el("table", { id: "eta-accuracy" });
  const predictor = el("p", { id: "eta-predictor" });
  panel = { hallId, date: null, dateInput, table, predictor };
  dateInput.addEventListener("change", () => {
    panel.date = dateInput.value || null;
    draw().catch((err) => toast(err.message, "error"));
  });
  body.replaceChildren(el("section", { class: "card", id: "eta-panel" },
    el("h2", {}, "等候预估准确度 Wait estimate accuracy",
      el("small", {}, " 取号时告知的等候 vs 实际等候；偏差 = 预估 − 实际，范围为 90% 区间")),
    el("div", { class: "row" }, el("label", {}, "日期 Date ", dateInput)),
    table, predictor));
  await draw();
}

// Re-read the figures after an event of the hall (a call adds an outcome).
export function refreshAccuracy() {
  if (panel) draw().catch(() => {});
}

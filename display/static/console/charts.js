// Small SVG charts drawn by hand: bars (stacked or single). No chart library.
const NS = "http://www.w3.org/2000/svg";
export const PALETTE = ["#0a5bd3", "#0b7a3b", "#b35c00", "#7b3fb3", "#b3261e", "#00838f",
  "#6d4c41", "#5b6570"];

function svg(tag, attrs = {}, text = null) {
  const node = document.createElementNS(NS, tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, String(value));
  if (text !== null) node.textContent = text;
  return node;
}

function niceMax(value) {
  if (value <= 5) return 5;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) if (step * power >= value) return step * power;
  return value;
}

// categories: ["08", "09", …]; series: [{name, color, values: [n per category]}]
export function barChart({ categories, series, title, unit = "", width = 520, height = 220 }) {
  const pad = { left: 38, right: 10, top: 14, bottom: 28 };
  const root = svg("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": title });
  const totals = categories.map((_, i) => series.reduce((sum, s) => sum + (s.values[i] || 0), 0));
  const top = niceMax(Math.max(0, ...totals));
  const plotW = width - pad.left - pad.right;
  const plotH = height - pad.top - pad.bottom;
  for (let k = 0; k <= 5; k += 1) {
    const value = (top / 5) * k;
    const y = pad.top + plotH - (value / top) * plotH;
    root.append(svg("line", { x1: pad.left, x2: width - pad.right, y1: y, y2: y,
      stroke: "#e3e7ed" }));
    root.append(svg("text", { x: pad.left - 4, y: y + 4, "text-anchor": "end" },
      `${Number.isInteger(value) ? value : value.toFixed(1)}${unit}`));
  }
  const slot = plotW / Math.max(1, categories.length);
  const barW = Math.max(4, Math.min(36, slot * 0.7));
  categories.forEach((category, i) => {
    const x = pad.left + slot * i + (slot - barW) / 2;
    let base = pad.top + plotH;
    series.forEach((s) => {
      const value = s.values[i] || 0;
      if (!value) return;
      const h = (value / top) * plotH;
      base -= h;
      const rect = svg("rect", { x, y: base, width: barW, height: h, fill: s.color, rx: 2 });
      rect.append(svg("title", {}, `${category} · ${s.name}: ${value}${unit}`));
      root.append(rect);
    });
    if (categories.length <= 16 || i % 2 === 0) {
      root.append(svg("text", { x: x + barW / 2, y: height - pad.bottom + 14,
        "text-anchor": "middle" }, category));
    }
    if (totals[i] && series.length === 1) {
      root.append(svg("text", { x: x + barW / 2, y: base - 3, "text-anchor": "middle" },
        `${Number.isInteger(totals[i]) ? totals[i] : totals[i].toFixed(1)}`));
    }
  });
  if (!categories.length) {
    root.append(svg("text", { x: width / 2, y: height / 2, "text-anchor": "middle" },
      "暂无数据 No data yet"));
  }
  return root;
}

// A ring showing a share (0..1).
export function ring(share, label, size = 140) {
  const root = svg("svg", { viewBox: `0 0 ${size} ${size}`, role: "img", "aria-label": label,
    width: size, height: size, class: "ring" });
  const r = size / 2 - 12;
  const c = 2 * Math.PI * r;
  const center = size / 2;
  root.append(svg("circle", { cx: center, cy: center, r, fill: "none", stroke: "#e3e7ed",
    "stroke-width": 14 }));
  if (share !== null && share > 0) {
    root.append(svg("circle", { cx: center, cy: center, r, fill: "none", stroke: "#b3261e",
      "stroke-width": 14, "stroke-dasharray": `${c * share} ${c}`,
      transform: `rotate(-90 ${center} ${center})` }));
  }
  root.append(svg("text", { x: center, y: center + 6, "text-anchor": "middle",
    style: "font-size:20px;fill:#1b1f24" }, share === null ? "—" : `${(share * 100).toFixed(1)}%`));
  return root;
}

// The simulator panel beside the kiosk: drives the agent's simulated devices.
const post = (path, body) => fetch(path, {
  method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body || {}),
}).then((r) => r.json());

document.querySelectorAll("[data-card]").forEach((b) => b.addEventListener("click", () =>
  post("/sim/card", { person: b.dataset.card })));
document.getElementById("lift").addEventListener("click", () => post("/sim/lift"));
document.querySelectorAll("[data-paper]").forEach((b) => b.addEventListener("click", () =>
  post("/sim/printer", { paper: b.dataset.paper })));
document.getElementById("show-qr").addEventListener("click", () =>
  post("/sim/qr", { code: document.getElementById("qr").value }));

async function receipts() {
  try {
    const data = await (await fetch("/sim/receipts")).json();
    const last = data.receipts[data.receipts.length - 1];
    document.getElementById("log").textContent = last ? last.lines.join("\n") : "—";
  } catch (err) { /* agent restarting */ }
}
setInterval(receipts, 1500);

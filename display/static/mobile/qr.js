// A QR code (ISO/IEC 18004) for a short text, drawn as SVG: version 1 (21×21), error correction
// level M, alphanumeric mode — enough for "APPT:" plus a 10-digit appointment code (20 characters
// at most). Kept tiny on purpose: the mobile page must stay light, and a longer text simply gets
// no QR (the code is always shown as text too).

const SIZE = 21;
const DATA_BYTES = 16;
const EC_BYTES = 10;
const ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
const LEVEL_M = 0b00;

// Arithmetic in GF(256) with the QR polynomial x^8 + x^4 + x^3 + x^2 + 1.
const EXP = new Uint8Array(512);
const LOG = new Uint8Array(256);
for (let i = 0, x = 1; i < 255; i++, x = x & 0x80 ? ((x << 1) ^ 0x11d) & 0xff : x << 1) {
  EXP[i] = x;
  LOG[x] = i;
}
for (let i = 255; i < 512; i++) EXP[i] = EXP[i - 255];
const mul = (a, b) => (a && b ? EXP[LOG[a] + LOG[b]] : 0);

function generator(degree) {
  let poly = [1];
  for (let i = 0; i < degree; i++) {
    const next = new Array(poly.length + 1).fill(0);
    poly.forEach((c, j) => { next[j] ^= c; next[j + 1] ^= mul(c, EXP[i]); });
    poly = next;
  }
  return poly;
}

function errorCorrection(data) {
  const gen = generator(EC_BYTES);
  const rest = [...data, ...new Array(EC_BYTES).fill(0)];
  for (let i = 0; i < data.length; i++) {
    const factor = rest[i];
    if (factor) gen.forEach((c, j) => { rest[i + j] ^= mul(c, factor); });
  }
  return rest.slice(data.length);
}

function codewords(text) {
  const bits = [];
  const put = (value, length) => { for (let i = length - 1; i >= 0; i--) bits.push((value >> i) & 1); };
  put(0b0010, 4);
  put(text.length, 9);
  for (let i = 0; i < text.length; i += 2) {
    const a = ALNUM.indexOf(text[i]);
    if (i + 1 < text.length) put(a * 45 + ALNUM.indexOf(text[i + 1]), 11);
    else put(a, 6);
  }
  put(0, Math.min(4, DATA_BYTES * 8 - bits.length));
  while (bits.length % 8) bits.push(0);
  const bytes = [];
  for (let i = 0; i < bits.length; i += 8) bytes.push(parseInt(bits.slice(i, i + 8).join(""), 2));
  for (let pad = 0xec; bytes.length < DATA_BYTES; pad ^= 0xec ^ 0x11) bytes.push(pad);
  return [...bytes, ...errorCorrection(bytes)];
}

function blank() {
  const dark = Array.from({ length: SIZE }, () => new Array(SIZE).fill(false));
  const fixed = Array.from({ length: SIZE }, () => new Array(SIZE).fill(false));
  const set = (row, col, on) => { dark[row][col] = on; fixed[row][col] = true; };
  for (const [top, left] of [[0, 0], [0, SIZE - 7], [SIZE - 7, 0]]) {
    for (let r = -1; r <= 7; r++) for (let c = -1; c <= 7; c++) {
      const row = top + r, col = left + c;
      if (row < 0 || col < 0 || row >= SIZE || col >= SIZE) continue;
      const ring = Math.max(Math.abs(r - 3), Math.abs(c - 3));
      set(row, col, ring !== 2 && ring !== 4);
    }
  }
  for (let i = 8; i < SIZE - 8; i++) { set(6, i, i % 2 === 0); set(i, 6, i % 2 === 0); }
  for (let i = 0; i < 9; i++) { fixed[8][i] = fixed[i][8] = true; }
  for (let i = 0; i < 8; i++) { fixed[8][SIZE - 1 - i] = fixed[SIZE - 1 - i][8] = true; }
  set(SIZE - 8, 8, true);
  return { dark, fixed };
}

function place(grid, bytes) {
  let bit = 0;
  for (let right = SIZE - 1; right >= 1; right -= 2) {
    if (right === 6) right = 5;
    const upward = ((right + 1) & 2) === 0;
    for (let step = 0; step < SIZE; step++) {
      const row = upward ? SIZE - 1 - step : step;
      for (const col of [right, right - 1]) {
        if (grid.fixed[row][col]) continue;
        grid.dark[row][col] = bit < bytes.length * 8 && ((bytes[bit >> 3] >> (7 - (bit & 7))) & 1) === 1;
        bit++;
      }
    }
  }
}

const MASKS = [
  (r, c) => (r + c) % 2 === 0, (r) => r % 2 === 0, (r, c) => c % 3 === 0,
  (r, c) => (r + c) % 3 === 0, (r, c) => (Math.floor(r / 2) + Math.floor(c / 3)) % 2 === 0,
  (r, c) => ((r * c) % 2) + ((r * c) % 3) === 0, (r, c) => (((r * c) % 2) + ((r * c) % 3)) % 2 === 0,
  (r, c) => (((r + c) % 2) + ((r * c) % 3)) % 2 === 0,
];

function formatBits(mask) {
  const data = (LEVEL_M << 3) | mask;
  let rem = data;
  for (let i = 0; i < 10; i++) rem = (rem << 1) ^ ((rem >> 9) * 0x537);
  return ((data << 10) | rem) ^ 0x5412;
}

function masked(grid, mask) {
  const dark = grid.dark.map((line, r) => line.map((on, c) => (grid.fixed[r][c] ? on : on !== MASKS[mask](r, c))));
  const bits = formatBits(mask);
  const bitAt = (i) => ((bits >> i) & 1) === 1;
  for (let i = 0; i < 6; i++) dark[i][8] = bitAt(i);
  dark[7][8] = bitAt(6);
  dark[8][8] = bitAt(7);
  dark[8][7] = bitAt(8);
  for (let i = 9; i < 15; i++) dark[8][14 - i] = bitAt(i);
  for (let i = 0; i < 8; i++) dark[8][SIZE - 1 - i] = bitAt(i);
  for (let i = 8; i < 15; i++) dark[SIZE - 15 + i][8] = bitAt(i);
  return dark;
}

// The spec's penalty, minus the finder-lookalike rule: long runs, 2×2 blocks, dark balance.
function penalty(dark) {
  let score = 0;
  for (const lines of [dark, dark[0].map((_, c) => dark.map((line) => line[c]))]) {
    for (const line of lines) {
      let run = 1;
      for (let i = 1; i <= SIZE; i++) {
        if (i < SIZE && line[i] === line[i - 1]) { run++; continue; }
        if (run >= 5) score += run - 2;
        run = 1;
      }
    }
  }
  for (let r = 0; r < SIZE - 1; r++) for (let c = 0; c < SIZE - 1; c++) {
    const v = dark[r][c];
    if (dark[r][c + 1] === v && dark[r + 1][c] === v && dark[r + 1][c + 1] === v) score += 3;
  }
  const total = dark.flat().filter(Boolean).length;
  return score + 10 * Math.floor(Math.abs(total * 20 - SIZE * SIZE * 10) / (SIZE * SIZE));
}

/** The modules of the QR code for `text`, or null when it does not fit version 1-M. */
export function qrModules(text) {
  const upper = String(text).toUpperCase();
  if (upper.length > 20 || [...upper].some((ch) => !ALNUM.includes(ch))) return null;
  const grid = blank();
  place(grid, codewords(upper));
  let best = null;
  for (let mask = 0; mask < MASKS.length; mask++) {
    const dark = masked(grid, mask);
    const score = penalty(dark);
    if (!best || score < best.score) best = { dark, score };
  }
  return best.dark;
}

/** An SVG drawing of the QR code for `text` with a four-module quiet zone, or "" if it cannot. */
export function qrSvg(text, label = "") {
  const dark = qrModules(text);
  if (!dark) return "";
  const span = SIZE + 8;
  let path = "";
  dark.forEach((line, r) => line.forEach((on, c) => { if (on) path += `M${c + 4} ${r + 4}h1v1h-1z`; }));
  return `<svg class="qr" viewBox="0 0 ${span} ${span}" role="img" aria-label="${label}" shape-rendering="crispEdges">` +
    `<rect width="${span}" height="${span}" fill="#fff"/><path d="${path}" fill="#000"/></svg>`;
}

// Pinyin initials of Chinese text, for searching services by "BDC" (不动产).
// Chinese collation orders characters by pinyin, so the first character of each initial's
// range is enough: a character's initial is that of the last boundary not after it.
const BOUNDS = "阿八嚓哒妸发旮哈讥咔垃痳拏噢妑七呥仨他屲夕丫帀";
const LETTERS = "ABCDEFGHJKLMNOPQRSTWXYZ";
// Characters whose reading in service names differs from the collation's first reading.
const FIX = { 行: "X", 长: "C", 重: "C", 籍: "J", 沈: "S", 厦: "X" };
let collator = null;

function initial(ch) {
  if (/[A-Za-z0-9]/.test(ch)) return ch.toUpperCase();
  if (FIX[ch]) return FIX[ch];
  if (!/[\u4e00-\u9fff]/.test(ch)) return "";
  collator ||= new Intl.Collator("zh-CN-u-co-pinyin");
  let found = "";
  for (let i = 0; i < BOUNDS.length; i++) {
    if (collator.compare(ch, BOUNDS[i]) >= 0) found = LETTERS[i];
    else break;
  }
  return found;
}

export function initials(text) {
  let out = "";
  for (const ch of text) out += initial(ch);
  return out;
}

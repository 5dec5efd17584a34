// Smallest font, smallest touch target and lowest text contrast on the page.
(() => {
          const px = (el, p) => parseFloat(getComputedStyle(el)[p]);
          const lum = (c) => { const v = c.match(/\d+(\.\d+)?/g).slice(0, 3).map(Number)
            .map((x) => { x /= 255; return x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4; });
            return 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2]; };
          const bg = (el) => { while (el) { const c = getComputedStyle(el).backgroundColor;
            if (!c.startsWith("rgba(0, 0, 0, 0)")) return c; el = el.parentElement; } return "rgb(255,255,255)"; };
          const ratio = (el) => { const a = lum(getComputedStyle(el).color), b = lum(bg(el));
            return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05); };
          const texts = [...document.querySelectorAll("main *, header *, footer *")]
            .filter((el) => el.childNodes.length && [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim()));
          const buttons = [...document.querySelectorAll("button")].filter((b) => b.offsetParent);
          return {
            minFont: Math.min(...texts.map((el) => px(el, "fontSize"))),
            minTarget: Math.min(...buttons.map((b) => Math.min(b.getBoundingClientRect().height, b.getBoundingClientRect().width))),
            minContrast: Math.min(...texts.map(ratio)),
          };
        })

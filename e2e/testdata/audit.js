// What a careful user checks on a page, measured in the page: whether it
// scrolls sideways, and the contrast of every visible text against what is
// behind it (WCAG 2: 4.5:1 for body text, 3:1 for large text). It is a
// function of the screen's width; it returns JSON.
((limit) => {
  const parse = (c) => {
    const m = c.match(/rgba?\(([^)]+)\)/);
    if (!m) return null;
    const p = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
    return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 };
  };
  const over = (top, under) => ({
    r: top.r * top.a + under.r * (1 - top.a),
    g: top.g * top.a + under.g * (1 - top.a),
    b: top.b * top.a + under.b * (1 - top.a),
    a: 1,
  });
  const luminance = (c) => {
    const ch = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * ch(c.r) + 0.7152 * ch(c.g) + 0.0722 * ch(c.b);
  };
  // The colour behind el: its own and its ancestors' backgrounds, composed,
  // or null where an image or gradient makes it unknown.
  const behind = (el) => {
    const layers = [];
    for (let n = el; n && n.nodeType === 1; n = n.parentElement) {
      const s = getComputedStyle(n);
      if (s.backgroundImage !== "none") return null;
      const c = parse(s.backgroundColor);
      if (c && c.a > 0) {
        layers.push(c);
        if (c.a >= 1) break;
      }
    }
    let c = { r: 255, g: 255, b: 255, a: 1 };
    for (let i = layers.length - 1; i >= 0; i--) c = over(layers[i], c);
    return c;
  };
  const visible = (el) => {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) return false;
    for (let n = el; n && n.nodeType === 1; n = n.parentElement) {
      const s = getComputedStyle(n);
      if (s.visibility === "hidden" || s.display === "none" || Number(s.opacity) === 0) return false;
    }
    return true;
  };
  // Text out of the window that no scrolling box lets one reach: clipped.
  const reachable = (el) => {
    for (let n = el.parentElement; n && n !== document.body; n = n.parentElement) {
      if (["auto", "scroll"].includes(getComputedStyle(n).overflowX)) return true;
    }
    return false;
  };
  const cut = [];
  const low = [];
  let checked = 0;
  for (const el of document.body.querySelectorAll("*")) {
    if (["SCRIPT", "STYLE", "NOSCRIPT", "IFRAME", "OPTION"].includes(el.tagName)) continue;
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim() !== "");
    if (!own || !visible(el)) continue;
    const box = el.getBoundingClientRect();
    if ((box.right > limit + 1 || box.left < -1) && !reachable(el)) {
      cut.push(`${el.tagName.toLowerCase()} “${el.textContent.trim().slice(0, 30)}” at ${Math.round(box.left)}–${Math.round(box.right)}`);
    }
    // Inactive controls are exempt (WCAG 1.4.3).
    if (el.closest(":disabled, .is-disabled")) continue;
    const s = getComputedStyle(el);
    const bg = behind(el);
    const fg = parse(s.color);
    if (!bg || !fg) continue;
    // Opacity on the element or an ancestor fades the text into what is behind.
    let alpha = fg.a;
    for (let n = el; n && n.nodeType === 1; n = n.parentElement) alpha *= Number(getComputedStyle(n).opacity);
    const text = over({ ...fg, a: alpha }, bg);
    const [hi, lo] = [luminance(text), luminance(bg)].sort((a, b) => b - a);
    const ratio = (hi + 0.05) / (lo + 0.05);
    const size = parseFloat(s.fontSize);
    const large = size >= 24 || (size >= 18.66 && Number(s.fontWeight) >= 700);
    checked++;
    if (ratio < (large ? 3 : 4.5)) {
      low.push(`${el.tagName.toLowerCase()}${el.className && typeof el.className === "string" ? "." + el.className.trim().split(/\s+/).join(".") : ""} “${el.textContent.trim().slice(0, 30)}” ${ratio.toFixed(2)}:1 (${s.color} on ${JSON.stringify(bg)})`);
    }
  }
  return JSON.stringify({
    scrollWidth: document.scrollingElement.scrollWidth,
    innerWidth: window.innerWidth,
    wide: [...document.body.querySelectorAll("*")].filter((e) => e.getBoundingClientRect().right > limit + 1 && visible(e)).slice(0, 5)
      .map((e) => `${e.tagName.toLowerCase()}.${typeof e.className === "string" ? e.className : ""} → ${Math.round(e.getBoundingClientRect().right)}`),
    checked,
    cut: cut.slice(0, 5),
    low: [...new Set(low)].slice(0, 12),
  });
})

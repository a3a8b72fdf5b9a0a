// Creates an element with a class and attributes. The player builds its DOM
// with these calls rather than innerHTML, so nothing from the server is ever
// parsed as markup.
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className: string,
  attrs: Record<string, string> = {},
  text?: string,
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  node.className = className;
  for (const name of Object.keys(attrs)) node.setAttribute(name, attrs[name]);
  if (text !== undefined) node.textContent = text;
  return node;
}

// afterFrame calls f once the next frame is drawn, or after a second in a
// hidden tab, which draws none: work that can wait lets the frame come
// first.
export function afterFrame(f: () => void): void {
  let done = false;
  const run = () => {
    if (done) return;
    done = true;
    clearTimeout(fallback);
    f();
  };
  const fallback = setTimeout(run, 1000);
  requestAnimationFrame(() => setTimeout(run));
}

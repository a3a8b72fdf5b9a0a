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

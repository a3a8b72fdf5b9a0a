// The server writes times in its own time zone, named; pages show them in
// the viewer's. Each <time datetime> matched gets the viewer's wording,
// the server's kept as its title.

// localTimes rewrites the times under root that selector matches, with
// parts: one piece each, which the page's CSS may keep from wrapping.
export function localTimes(root: ParentNode, selector: string, parts: (at: Date) => string[]): void {
  for (const el of Array.from(root.querySelectorAll<HTMLTimeElement>(selector))) {
    const at = new Date(el.dateTime);
    if (Number.isNaN(at.getTime())) continue;
    el.title = el.textContent ?? "";
    const spans = parts(at).map((text) => {
      const span = document.createElement("span");
      span.textContent = text;
      return span;
    });
    el.replaceChildren(...spans.flatMap((s, i) => (i === 0 ? [s] : [" ", s])));
  }
}

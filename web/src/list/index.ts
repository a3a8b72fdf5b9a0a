// The session list works without script; this adds two things the server
// cannot do: it shows start times in the viewer's own time zone, and
// applies a filter picked from a list at once instead of after "Apply".

const day = new Intl.DateTimeFormat(undefined, { year: "numeric", month: "short", day: "numeric" });
const hour = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit", timeZoneName: "short" });

// part is a piece of a start that wraps as one (dashboard.css).
function part(text: string): HTMLSpanElement {
  const span = document.createElement("span");
  span.textContent = text;
  return span;
}

// localTimes shows each start as its day over its time of day, so that the
// column wraps where a reader expects.
function localTimes(root: ParentNode): void {
  for (const el of Array.from(root.querySelectorAll<HTMLTimeElement>("table.sessions time[datetime]"))) {
    const at = new Date(el.dateTime);
    if (Number.isNaN(at.getTime())) continue;
    el.title = el.textContent ?? "";
    el.replaceChildren(part(day.format(at)), " ", part(hour.format(at)));
  }
}

function applyOnPick(form: HTMLFormElement): void {
  form.addEventListener("change", (e) => {
    const target = e.target;
    if (target instanceof HTMLSelectElement && target.closest("details.more")) form.requestSubmit();
  });
}

function start(): void {
  localTimes(document);
  const form = document.getElementById("filters");
  if (form instanceof HTMLFormElement) applyOnPick(form);
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();

// The session list works without script; this adds two things the server
// cannot do: it shows start times in the viewer's own time zone, and
// applies a filter picked from a list at once instead of after "Apply".
import { localTimes } from "../local-time";

const day = new Intl.DateTimeFormat(undefined, { year: "numeric", month: "short", day: "numeric" });
const hour = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit", timeZoneName: "short" });

function applyOnPick(form: HTMLFormElement): void {
  form.addEventListener("change", (e) => {
    const target = e.target;
    if (target instanceof HTMLSelectElement && target.closest("details.more")) form.requestSubmit();
  });
}

function start(): void {
  // Each start as its day over its time of day, so that the column wraps
  // where a reader expects.
  localTimes(document, "table.sessions time[datetime]", (at) => [day.format(at), hour.format(at)]);
  const form = document.getElementById("filters");
  if (form instanceof HTMLFormElement) applyOnPick(form);
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();

// The session list works without script; this adds two things the server
// cannot do: it shows start times in the viewer's own time zone, and
// applies a filter picked from a list at once instead of after "Apply".

const zoned = new Intl.DateTimeFormat(undefined, {
  year: "numeric",
  month: "short",
  day: "numeric",
  hour: "2-digit",
  minute: "2-digit",
  timeZoneName: "short",
});

function localTimes(root: ParentNode): void {
  for (const el of Array.from(root.querySelectorAll<HTMLTimeElement>("table.sessions time[datetime]"))) {
    const at = new Date(el.dateTime);
    if (Number.isNaN(at.getTime())) continue;
    el.title = el.textContent ?? "";
    el.textContent = zoned.format(at);
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

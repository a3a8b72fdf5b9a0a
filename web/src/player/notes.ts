import { fetchNotes, type Note, send, type SessionRef } from "./api";
import { el } from "./dom";
import { Clock, type Mark } from "./timeline";

// Where the player is, for a note written now: the moment as the
// recording's time and as an offset of the replay, and the window shown.
export interface Moment {
  at: number; // ms from the start of the replay
  time: number; // the recording's time, ms since the epoch
  window: string | undefined;
}

// NotesPane lists the session's notes, each at its moment (a click seeks
// there), and lets a member write one at the moment shown and delete any.
export class NotesPane {
  readonly element: HTMLDivElement;
  private readonly list: HTMLOListElement;
  private readonly form: HTMLFormElement | null = null;
  private readonly text: HTMLTextAreaElement | null = null;
  private readonly submit: HTMLButtonElement | null = null;
  private readonly error: HTMLParagraphElement;
  private notes: Note[] = [];
  private clock = new Clock(0, 0);

  constructor(
    private readonly ref: SessionRef,
    private readonly csrf: string,
    private readonly moment: () => Moment,
    private readonly changed: () => void,
  ) {
    this.element = el("div", "ph-notes");
    this.list = el("ol", "ph-list ph-list-notes");
    this.error = el("p", "ph-notes-error", { role: "alert" });
    this.error.hidden = true;
    if (csrf) {
      this.form = el("form", "ph-note-form");
      this.text = el("textarea", "ph-note-text", { rows: "2", maxlength: "2000", placeholder: "A note on this moment", "aria-label": "Note" });
      this.submit = el("button", "ph-note-add", { type: "submit" }, "Add note");
      this.form.append(this.text, this.submit);
      this.form.addEventListener("submit", (e) => {
        e.preventDefault();
        void this.add();
      });
      this.text.addEventListener("keydown", (e) => {
        if (e.key === "Enter" && !e.shiftKey) {
          e.preventDefault();
          void this.add();
        }
      });
      this.element.append(this.form);
    }
    this.element.append(this.error, this.list);
  }

  async load(): Promise<void> {
    try {
      this.notes = await fetchNotes(this.ref);
      this.render();
    } catch (err) {
      this.fail(err);
    }
  }

  // setClock dates the notes for a replay on the clock (timeline.ts).
  setClock(clock: Clock): void {
    this.clock = clock;
    this.render();
  }

  // sync shows the moment a new note would take.
  sync(ms: number): void {
    if (this.submit) this.submit.textContent = `Add note at ${this.clock.label(ms)}`;
  }

  get count(): number {
    return this.notes.length;
  }

  marks(): Mark[] {
    return this.notes.map((n) => ({ at: n.time_ms - this.clock.start, kind: "note", label: `Note: ${n.text} (${n.author})` }));
  }

  private async add(): Promise<void> {
    const text = this.text?.value.trim() ?? "";
    if (!text) return;
    const m = this.moment();
    try {
      const note = await send<Note>(this.ref, "POST", "/notes", this.csrf, { text, time_ms: Math.round(m.time), window: m.window ?? "" });
      if (note) this.notes.push(note);
      this.notes.sort((a, b) => a.time_ms - b.time_ms || a.id - b.id);
      if (this.text) this.text.value = "";
      this.error.hidden = true;
      this.render();
    } catch (err) {
      this.fail(err);
    }
  }

  private async remove(id: number): Promise<void> {
    try {
      await send(this.ref, "DELETE", `/notes/${id}`, this.csrf);
      this.notes = this.notes.filter((n) => n.id !== id);
      this.error.hidden = true;
      this.render();
    } catch (err) {
      this.fail(err);
    }
  }

  private fail(err: unknown): void {
    this.error.textContent = `Notes: ${err instanceof Error ? err.message : String(err)}`;
    this.error.hidden = false;
  }

  private render(): void {
    this.list.textContent = "";
    if (this.notes.length === 0) this.list.append(el("li", "ph-empty", {}, "No notes yet."));
    for (const n of this.notes) {
      const at = n.time_ms - this.clock.start;
      const li = el("li", "ph-item is-note", { "data-at": String(Math.round(at)), "data-note": String(n.id) });
      const created = new Date(n.created);
      li.append(
        el("time", "ph-at", {}, this.clock.label(at)),
        el("span", "ph-text", {}, n.text),
        el("span", "ph-note-by", { title: created.toLocaleString() }, `${n.author} · ${created.toLocaleDateString()}`),
      );
      if (this.csrf) {
        const del = el("button", "ph-note-delete", { type: "button", title: "Delete this note", "aria-label": "Delete this note" }, "×");
        del.addEventListener("click", (e) => {
          e.stopPropagation();
          void this.remove(n.id);
        });
        li.append(del);
      }
      this.list.append(li);
    }
    this.changed();
  }
}

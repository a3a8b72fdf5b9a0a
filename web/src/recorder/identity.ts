import { isValidId, randomId } from "./ids";
import type { Store } from "./storage";

// Session rules from DESIGN.md: one visitor in one browser, across pages and
// tabs, until 30 minutes without activity or 24 hours in all.
export const IDLE_MS = 30 * 60 * 1000;
export const MAX_SESSION_MS = 24 * 60 * 60 * 1000;

const SESSION_KEY = "playhead:session";
const WINDOW_KEY = "playhead:window";
// Set while a page of this tab is open. Browsers copy sessionStorage into
// duplicated tabs and some popups; a copy that still says "open" tells the
// new page that it is not the tab the window id belongs to.
const OPEN_KEY = "playhead:window-open";

interface SessionRecord {
  id: string;
  start: number;
  last: number;
}

// A window belongs to one session; its batches are numbered from 0.
interface WindowRecord {
  id: string;
  session: string;
  seq: number;
}

function isSessionRecord(v: SessionRecord | null): v is SessionRecord {
  return !!v && isValidId(v.id) && typeof v.start === "number" && typeof v.last === "number";
}

function isWindowRecord(v: WindowRecord | null): v is WindowRecord {
  return !!v && isValidId(v.id) && isValidId(v.session) && Number.isInteger(v.seq) && v.seq >= 0;
}

// A start in the future means the clock was set back; such a session could
// never reach its 24 hours, so it is treated as over.
function alive(s: SessionRecord, now: number): boolean {
  return now - s.last <= IDLE_MS && now - s.start <= MAX_SESSION_MS && s.start <= now + 60_000;
}

// Identity is the (session, window) pair that batches are sent under.
// localStorage holds the session, shared by the tabs of the site;
// sessionStorage holds the window and its next seq, kept across reloads of
// one tab.
export class Identity {
  private session: SessionRecord;
  private currentWindow: string;
  // In-memory time of the last event, so that the common case (recent
  // activity) needs no storage access at all.
  private lastSeen: number;

  constructor(
    private readonly shared: Store,
    private readonly tab: Store,
    now: number,
  ) {
    const stored = shared.get<SessionRecord>(SESSION_KEY);
    this.session = isSessionRecord(stored) && alive(stored, now) ? stored : this.newSession(now);
    this.session.last = now;
    this.shared.set(SESSION_KEY, this.session);

    const win = tab.get<WindowRecord>(WINDOW_KEY);
    const duplicated = tab.get<number>(OPEN_KEY) === 1;
    this.currentWindow =
      isWindowRecord(win) && win.session === this.session.id && !duplicated ? win.id : this.newWindow();
    this.lastSeen = now;
    this.markOpen(true);
  }

  // When the session started (ms since the epoch).
  get start(): number {
    return this.session.start;
  }

  get sessionId(): string {
    return this.session.id;
  }

  get windowId(): string {
    return this.currentWindow;
  }

  // Called for every recorded event. True means the events from now on
  // belong to another session (this one expired, or another tab has already
  // started the next one): the caller sends what it has under the old
  // identity, then calls renew().
  stale(now: number): boolean {
    const quiet = now - this.lastSeen > IDLE_MS || now - this.session.start > MAX_SESSION_MS;
    this.lastSeen = now;
    if (!quiet) return false;
    // This tab was quiet or the session is old; another tab may have kept
    // the session alive meanwhile.
    const stored = this.shared.get<SessionRecord>(SESSION_KEY);
    return !(isSessionRecord(stored) && alive(stored, now) && stored.id === this.session.id);
  }

  // Moves to the session that another tab started, or to a new one, with a
  // new window whose seq starts at 0.
  renew(now: number): void {
    const stored = this.shared.get<SessionRecord>(SESSION_KEY);
    if (isSessionRecord(stored) && alive(stored, now) && stored.id !== this.session.id) {
      this.session = stored;
    } else {
      this.session = this.newSession(now);
      this.shared.set(SESSION_KEY, this.session);
    }
    this.currentWindow = this.newWindow();
  }

  // Records activity for the session; called on each flush.
  touch(now: number): void {
    const stored = this.shared.get<SessionRecord>(SESSION_KEY);
    // Never overwrite a session that another tab has started since: this tab
    // moves to it on its next event (see stale).
    if (isSessionRecord(stored) && stored.id !== this.session.id && alive(stored, now)) return;
    this.session.last = Math.max(this.session.last, now);
    this.shared.set(SESSION_KEY, this.session);
  }

  // Hands out the next seq of this window. Read from storage every time: a
  // page restored from the back/forward cache must continue after the
  // batches that later pages of the tab have sent.
  nextSeq(): number {
    const win = this.tab.get<WindowRecord>(WINDOW_KEY);
    const seq = isWindowRecord(win) && win.id === this.currentWindow ? win.seq : 0;
    this.tab.set(WINDOW_KEY, { id: this.currentWindow, session: this.session.id, seq: seq + 1 });
    return seq;
  }

  // Marks whether a page of this tab is open (see OPEN_KEY).
  markOpen(open: boolean): void {
    if (open) this.tab.set(OPEN_KEY, 1);
    else this.tab.remove(OPEN_KEY);
  }

  private newSession(now: number): SessionRecord {
    return { id: randomId(), start: now, last: now };
  }

  private newWindow(): string {
    const id = randomId();
    this.tab.set(WINDOW_KEY, { id, session: this.session.id, seq: 0 });
    return id;
  }
}

// What the capture modules get from the recorder.
export interface Capture {
  // Queues a playhead/<tag> custom event; ts defaults to now.
  emit(tag: string, payload: object, ts?: number): void;
  // A URL as it may be recorded (privacy.ts stripURL).
  url(raw: string): string;
  // Text as it may be recorded (privacy.ts scrubText); page is true for
  // the page's own text (its title), which maskAllText masks.
  text(s: string, page?: boolean): string;
  // True for requests to Playhead itself, which are never recorded.
  own(url: string): boolean;
  // Adds a listener removed when recording stops; errors in handler never
  // reach the page.
  on(target: EventTarget, type: string, handler: (e: Event) => void, capture?: boolean): void;
  // Registers what undoes a patch when recording stops.
  undo(fn: () => void): void;
}

// A token bucket: at most `burst` at once, refilled at `perSecond`, so that
// a page logging or fetching in a loop cannot flood the recording.
export class Bucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly burst: number,
    private readonly perSecond: number,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = burst;
    this.last = now();
  }

  take(): boolean {
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) / 1000) * this.perSecond);
    this.last = t;
    if (this.tokens < 1) return false;
    this.tokens--;
    return true;
  }
}

// Cuts s to at most n characters.
export const cut = (s: unknown, n: number): string => String(s).slice(0, n);

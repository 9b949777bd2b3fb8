/** Source of "now" for everything that expires. Tests pass a ManualClock and travel in time. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

export class ManualClock implements Clock {
  constructor(private current = Date.UTC(2026, 0, 1)) {}
  now(): number {
    return this.current;
  }
  advance(ms: number): void {
    this.current += ms;
  }
  set(ms: number): void {
    this.current = ms;
  }
}

/** A time as ISO 8601 in UTC, as the CLI and the administration API show it; null stays null. */
export const isoTime = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/**
 * Fake timers for the client: every pause it asks for is recorded and only
 * ends when the test says so, so no test ever waits for real time.
 */
import FakeTimers from '@sinonjs/fake-timers';
import type { Timers } from '@login-service/client';

export interface DrivenTimers {
  timers: Timers;
  /** Every pause the client asked for, in order, ms. */
  scheduled: number[];
  /** Pauses currently pending. */
  pending(): number;
  /** Waits until the client is paused and returns the length of that pause, without ending it. */
  waitForPause(): Promise<number>;
  /** Waits until the client is paused, ends that pause and returns its length. */
  runNext(): Promise<number>;
  /** Ends every pause the client takes until `done` settles; then returns it. */
  drive<T>(done: Promise<T>): Promise<T>;
}

export function drivenTimers(): DrivenTimers {
  const clock = FakeTimers.createClock(0);
  const scheduled: number[] = [];
  let wake: (() => void) | null = null;
  const wakeUp = () => {
    const w = wake;
    wake = null;
    w?.();
  };
  const timers: Timers = {
    setTimeout(callback, ms) {
      scheduled.push(ms);
      const id = clock.setTimeout(callback, ms);
      wakeUp();
      return id;
    },
    clearTimeout(handle) {
      clock.clearTimeout(handle as ReturnType<typeof clock.setTimeout>);
    },
  };
  /** Resolves once a pause is pending or `stop()` says so. */
  async function paused(stop: () => boolean): Promise<void> {
    while (clock.countTimers() === 0 && !stop()) await new Promise<void>((resolve) => (wake = resolve));
  }
  function runOne(): number {
    const before = clock.now;
    clock.next();
    return clock.now - before;
  }
  return {
    timers,
    scheduled,
    pending: () => clock.countTimers(),
    async waitForPause() {
      await paused(() => false);
      return scheduled[scheduled.length - 1]!;
    },
    async runNext() {
      await paused(() => false);
      return runOne();
    },
    async drive(done) {
      let settled = false;
      done.then(
        () => {
          settled = true;
          wakeUp();
        },
        () => {
          settled = true;
          wakeUp();
        },
      );
      for (;;) {
        await paused(() => settled);
        if (settled) return done;
        runOne();
      }
    },
  };
}

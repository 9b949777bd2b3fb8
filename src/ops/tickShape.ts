/**
 * Keeps `process.nextTick` fast for the life of the process.
 *
 * Node builds each queued tick as an object literal with computed (symbol)
 * keys. In V8 11 (Node 20), once a full garbage collection runs while no
 * such object is alive (any idle moment: the memory reducer's collections
 * come ~8 s into an idle pause), the hidden classes of that literal die, and
 * from then on every literal at that site takes a slow path: ~125 ns became
 * ~415 ns per tick (bench/tickShape.ts), with no deoptimization to undo it.
 * A request queues about seven ticks, so a server that sat idle before its
 * first traffic answered bearer checks 4–8 µs slower, for good
 * (docs/BENCHMARKS.md, "The idle-start slowdown").
 *
 * Holding one tick object keeps its hidden class, and the transitions that
 * lead to it, alive. A tick callback sees its own tick object as
 * `executionAsyncResource()`, so no async hook is needed to catch one.
 */
import { executionAsyncResource } from 'node:async_hooks';

let pinned: object | null = null;

/** Pins one tick object (once per process) and resolves with it. */
export function pinTickObjectShape(): Promise<object> {
  if (pinned !== null) return Promise.resolve(pinned);
  return new Promise((resolve) => {
    process.nextTick(
      (_value: number) => {
        pinned ??= executionAsyncResource();
        resolve(pinned);
      },
      0,
    );
  });
}

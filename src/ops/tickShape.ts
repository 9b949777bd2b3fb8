/**
 * Keeps `process.nextTick` fast for the life of the process.
 *
 * Node builds each queued tick as an object literal with computed (symbol)
 * keys. In V8 11 (Node 20), once a full garbage collection runs while no
 * such object is alive (any idle moment: the memory reducer's collections
 * come ~8 s after start), the hidden classes of that literal die, and from
 * then on every literal at that site takes a slow path: ~8 ns became ~235 ns
 * in a loop, with no deoptimization to undo it. A request queues about seven
 * ticks, so a server that sat idle before its first traffic answered bearer
 * checks ~2 µs slower (docs/BENCHMARKS.md, "The idle-start slowdown").
 *
 * Holding one tick object keeps its hidden class, and the transitions that
 * lead to it, alive. It is caught once through an async hook that is enabled
 * only around one `nextTick` call, so no hook runs afterwards.
 */
import { createHook } from 'node:async_hooks';

let pinned: object | null = null;

/** Pins one tick object (idempotent) and returns it. */
export function pinTickObjectShape(): object | null {
  if (pinned !== null) return pinned;
  const hook = createHook({
    init(_asyncId, type, _triggerAsyncId, resource) {
      if (type === 'TickObject' && pinned === null) pinned = resource;
    },
  });
  hook.enable();
  try {
    process.nextTick(tickShapeNoop, 0);
  } finally {
    hook.disable();
  }
  return pinned;
}

function tickShapeNoop(_value: number): void {}

/**
 * WAL checkpoints (copying the WAL back into the database file, with an
 * fsync) on a thread of their own, so that they never stall the event loop:
 * run inline, under a login storm, they held single statements for tens of
 * milliseconds and set the refresh p99 (docs/BENCHMARKS.md).
 *
 * The WAL starts over from its beginning only when a write finds every frame
 * copied back. The thread's checkpoints always leave the frames written
 * during their copy, and under steady writes nothing else would empty it but
 * the serving connection's automatic checkpoint, with its fsyncs on the event
 * loop. So once the WAL passes WAL_RESTART_FRAMES, the thread, having just
 * copied all but the newest frames, asks the serving connection to copy
 * those (`onRestartDue`: a few dozen pages, between two of its writes),
 * after which its next write restarts the WAL. The serving connection keeps
 * its automatic checkpoint, at four times that size, should the thread fall
 * behind (SqliteDatabase sets it).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

/** The WAL size, in 4 KiB frames (64 MiB), past which the serving connection is asked to let it start over. */
export const WAL_RESTART_FRAMES = 16384;

const CHECKPOINT_INTERVAL_MS = 200;

/** Starts checkpointing the database file at `path`; returns the function that stops it. */
export function startCheckpointer(path: string, onRestartDue: () => void): () => void {
  // A plain JavaScript file beside this module, in the sources and in the build alike.
  const entry = new URL('./checkpointer.worker.js', import.meta.url);
  // A worker that fails to load would go unnoticed (its errors are ignored below): a build without it must not start.
  if (!existsSync(fileURLToPath(entry))) throw new Error(`${fileURLToPath(entry)} is missing: a build must copy src/**/*.worker.js beside the compiled modules`);
  const worker = new Worker(entry, {
    // The thread needs no loader or flag of the process (tsx, --inspect).
    execArgv: [],
    workerData: { path, intervalMs: CHECKPOINT_INTERVAL_MS, restartFrames: WAL_RESTART_FRAMES },
  });
  worker.on('error', () => {}); // the serving connection's automatic checkpoints remain
  worker.on('message', onRestartDue);
  worker.unref(); // after the listeners, which would otherwise keep the process alive
  return () => void worker.terminate();
}

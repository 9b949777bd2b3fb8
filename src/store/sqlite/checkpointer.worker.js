// The WAL checkpointer's thread (checkpointer.ts). Plain JavaScript: it runs
// as it is, from the sources and from a build alike.
//
// workerData: { path, intervalMs, restartFrames }. Every intervalMs it opens
// the database, copies what it can of the WAL back into the file (a passive
// checkpoint: it never waits for a writer), and closes it again, so that no
// connection is left open once the store closes. When the WAL holds at least
// restartFrames frames, it posts the checkpoint's result to the serving
// thread, which then lets the WAL start over.
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

setInterval(() => {
  try {
    const db = new Database(workerData.path, { fileMustExist: true });
    try {
      db.pragma('busy_timeout = 1000');
      const [result] = db.pragma('wal_checkpoint(PASSIVE)');
      if (result.log >= workerData.restartFrames) parentPort.postMessage(result);
    } finally {
      db.close();
    }
  } catch {
    // The file may be gone or locked for a moment; the next interval tries again.
  }
}, workerData.intervalMs);

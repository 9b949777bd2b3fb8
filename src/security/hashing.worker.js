// A password-hashing thread of PasswordHasher (passwords.ts): plain JavaScript, so it
// runs as is from the sources and from the build, with no loader in the thread.
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { hashSync, verifySync } from '@node-rs/argon2';

// The lowest priority an unprivileged thread may take, so the event loop's thread wins the CPU
// whenever it has a request to answer. On Linux niceness is per thread and setpriority(0) means
// the calling thread: this one only. Elsewhere it would lower the whole process, so not there.
if (process.platform === 'linux') {
  try {
    setPriority(workerData.niceness);
  } catch {
    // Not permitted (e.g. a seccomp profile): hash at normal priority rather than not at all.
  }
}

parentPort.on('message', (task) => {
  let reply;
  try {
    const value = task.op === 'hash' ? hashSync(task.password, task.options) : verifySync(task.storedHash, task.password);
    reply = { ok: true, value };
  } catch (error) {
    reply = { ok: false, message: String((error && error.message) || error) };
  }
  parentPort.postMessage(reply);
});

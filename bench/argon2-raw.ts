/**
 * Raw argon2id verification throughput with our parameters on all cores, no
 * HTTP: the most logins per second this machine could ever serve. On request
 * it runs one verification loop per core for the given time and reports the
 * rate. Kept alive between rounds so the measurement is interleaved with the
 * HTTP scenarios.
 */
import { availableParallelism } from 'node:os';
import { Algorithm, hash, verify } from '@node-rs/argon2';
import { DEFAULT_ARGON2 } from '../src/security/passwords.js';
import { exitWithParent, failStart, report } from './lib/child.js';

const PASSWORD = 'correct horse battery staple';

async function measure(stored: string, seconds: number, loops: number) {
  const started = performance.now();
  const deadline = started + seconds * 1000;
  let verified = 0;
  await Promise.all(
    Array.from({ length: loops }, async () => {
      while (performance.now() < deadline) {
        if (!(await verify(stored, PASSWORD))) throw new Error('verification failed');
        verified++;
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  return { verifications: verified, seconds: elapsed, perSecond: verified / elapsed, threads: loops };
}

try {
  const stored = await hash(PASSWORD, { algorithm: Algorithm.Argon2id, ...DEFAULT_ARGON2 });
  const loops = availableParallelism();
  process.on('message', (message: { type: string; seconds: number }) => {
    if (message.type !== 'measure') return;
    measure(stored, message.seconds, loops).then(
      (result) => report({ type: 'result', ...result }),
      (error) => report({ type: 'error', message: String(error) }),
    );
  });
  exitWithParent();
  report({ type: 'ready', port: 0 });
} catch (error) {
  failStart(error);
}

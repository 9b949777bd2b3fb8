/**
 * The side of the process protocol that runs inside a benchmark child (a
 * server or the raw argon2 meter): read the options the parent passed, report
 * once over IPC, and exit when the parent goes away so no child outlives a run.
 */
export function childOptions<T>(): T {
  const raw = process.env.BENCH_CHILD_OPTIONS;
  if (!raw) throw new Error('BENCH_CHILD_OPTIONS is not set: start this file through bench/run.ts');
  return JSON.parse(raw) as T;
}

export function report(message: Record<string, unknown>): void {
  if (process.send) process.send(message);
  else process.stdout.write(`${JSON.stringify(message)}\n`);
}

/** Runs `stop` and exits when the parent disconnects or asks to stop. */
export function exitWithParent(stop: () => Promise<void> | void = () => {}): void {
  let stopping = false;
  const end = () => {
    if (stopping) return;
    stopping = true;
    Promise.resolve()
      .then(stop)
      .catch(() => {})
      .finally(() => process.exit(0));
  };
  process.on('disconnect', end);
  process.on('SIGTERM', end);
  process.on('SIGINT', end);
}

/** Reports a failure to start, so the parent can say why instead of timing out. */
export function failStart(error: unknown): never {
  report({ type: 'error', message: error instanceof Error ? error.stack ?? error.message : String(error) });
  process.exit(1);
}

/**
 * Two ways to run `login-service` commands in tests: as the real command in a
 * child process (what operators run), and in-process through `main` with
 * in-memory streams (same parsing and dispatch, without a process start per call).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { main } from '../../src/main.js';

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON, when it is JSON. */
  json: any;
}

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const entry = fileURLToPath(new URL('../../bin/login-service.js', import.meta.url));

function parsed(stdout: string): unknown {
  try {
    return JSON.parse(stdout);
  } catch {
    return undefined;
  }
}

/** Settings the tests must not inherit from the environment they run in. */
const CLEAN_ENV = { DATABASE_URL: '', REDIS_URL: '', REDIS_KEY_PREFIX: '', PUBLIC_HOST: '', AUTO_MIGRATE: '', LOGIN_FAILURES_PER_MINUTE: '' };

/** Runs `node bin/login-service.js ...args` with `stdin` as its standard input, in the repository (or `cwd`). */
export function runCommand(args: string[], options: { stdin?: string; env?: Record<string, string>; cwd?: string } = {}): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [entry, ...args], { cwd: options.cwd ?? repoRoot, env: { ...process.env, ...CLEAN_ENV, ...options.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr, json: parsed(stdout) }));
    // The command may exit before reading all of it (it reads only the first line).
    child.stdin.on('error', () => {});
    child.stdin.end(options.stdin ?? '');
  });
}

class Collect extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _encoding: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

/** Runs the command line through `main` in this process. */
export async function runInProcess(args: string[], stdin?: string): Promise<CommandResult> {
  const stdout = new Collect();
  const stderr = new Collect();
  const code = await main(args, { stdout, stderr, stdin: Readable.from(stdin === undefined ? [] : [Buffer.from(stdin)]) });
  return { code, stdout: stdout.text, stderr: stderr.text, json: parsed(stdout.text) };
}

export function assertSucceeded(r: CommandResult): void {
  assert.equal(r.code, 0, `exit ${r.code}: ${r.stderr}`);
  assert.equal(r.stderr, '');
}

/** A failure: one line on stderr naming the problem, nothing on stdout. */
export function assertFailed(r: CommandResult, code: number, message: RegExp): void {
  assert.equal(r.code, code, `expected exit ${code}, got ${r.code}: ${r.stderr}${r.stdout}`);
  assert.equal(r.stdout, '', 'nothing on stdout when a command fails');
  assert.match(r.stderr, /^login-service: [^\n]+\n$/, 'one line on stderr');
  assert.match(r.stderr, message);
}

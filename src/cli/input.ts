/** Reading flag values and standard input for the admin commands. */
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { UsageError, type CliOptions } from './context.js';

/** Longer than any password policy allows, short enough that a wrong pipe does not fill memory. */
const MAX_LINE_BYTES = 64 * 1024;

/**
 * The first line of `stream` without its line ending, or null when the stream
 * ends before any character. Reading stops at the newline: what follows is left unread.
 */
export function readFirstLine(stream: NodeJS.ReadableStream): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const decoder = new StringDecoder('utf8');
    let text = '';
    // Tab aside, a control character in the line is a wrong pipe or a trick, as in a request body.
    const settle = (line: string | null) => (line !== null && CONTROL_EXCEPT_LINE_BREAKS.test(line) ? reject(new UsageError('the first line of standard input contains a control character')) : resolve(line));
    const cleanup = () => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onError);
      stream.pause();
    };
    const onData = (chunk: Buffer | string) => {
      text += typeof chunk === 'string' ? chunk : decoder.write(chunk);
      const newline = text.indexOf('\n');
      if (newline >= 0) {
        cleanup();
        settle(text.slice(0, newline).replace(/\r$/, ''));
      } else if (text.length > MAX_LINE_BYTES) {
        cleanup();
        reject(new UsageError('the first line of standard input is too long for a password'));
      }
    };
    const onEnd = () => {
      cleanup();
      text += decoder.end();
      settle(text === '' ? null : text.replace(/\r$/, ''));
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('error', onError);
    stream.resume();
  });
}

/**
 * A password typed at a terminal: prompted on `prompt`, not echoed. Null when
 * input ends first; Ctrl-C cancels.
 */
export function readHiddenLine(terminal: NodeJS.ReadableStream, prompt: NodeJS.WritableStream): Promise<string | null> {
  const silent = new Writable({ write: (_chunk, _encoding, done) => done() });
  // terminal: true puts the TTY in raw mode, so readline echoes into `silent` instead of the terminal echoing the keys.
  const rl = createInterface({ input: terminal, output: silent, terminal: true });
  prompt.write('password: ');
  return new Promise((resolve, reject) => {
    let answered = false;
    rl.once('line', (line) => {
      answered = true;
      rl.close();
      resolve(line);
    });
    rl.once('SIGINT', () => {
      answered = true;
      rl.close();
      reject(new Error('cancelled'));
    });
    rl.once('close', () => {
      prompt.write('\n');
      (terminal as { pause?: () => void }).pause?.();
      if (!answered) resolve(null);
    });
  });
}

export async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/** Every C0 control character: never in a positional argument (an id, a login name). */
const ANY_CONTROL = /[\u0000-\u001f]/;
/** C0 control characters that free text has no use for: all but tab, line feed and carriage return. */
const CONTROL_EXCEPT_LINE_BREAKS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f]/;

/**
 * Refuses control characters in the command line as the HTTP API refuses them
 * in requests (docs/SECURITY.md, "Control characters"): none in a positional
 * argument, none but tab, line feed and carriage return in a flag's value.
 */
export function refuseControlCharacters(args: readonly string[], options: CliOptions, argNames: readonly string[] = []): void {
  args.forEach((arg, i) => {
    if (ANY_CONTROL.test(arg)) throw new UsageError(`${argNames[i] ?? `argument ${i + 1}`} contains a control character`);
  });
  for (const [name, value] of Object.entries(options)) {
    const values = Array.isArray(value) ? value : [value];
    if (values.some((v) => typeof v === 'string' && CONTROL_EXCEPT_LINE_BREAKS.test(v))) throw new UsageError(`--${name} contains a control character`);
  }
}

export function stringFlag(options: CliOptions, name: string): string | undefined {
  const value = options[name];
  return typeof value === 'string' ? value : undefined;
}

/** A flag given several times arrives as a list. */
export function listFlag(options: CliOptions, name: string): string[] | undefined {
  const value = options[name] as unknown;
  if (value === undefined) return undefined;
  return Array.isArray(value) ? value.map(String) : [String(value)];
}

/** A whole number flag within [min, max], or undefined when absent. */
export function integerFlag(options: CliOptions, name: string, min: number, max: number): number | undefined {
  const raw = stringFlag(options, name);
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw.trim())) throw new UsageError(`--${name} must be a whole number, got "${raw}"`);
  const n = Number(raw.trim());
  if (n < min || n > max) throw new UsageError(`--${name} must be between ${min} and ${max}, got ${n}`);
  return n;
}

/** `--privileges 100,101`: a comma-separated list of integers; empty means none. */
export function privilegesFlag(options: CliOptions): number[] | undefined {
  const raw = stringFlag(options, 'privileges');
  if (raw === undefined) return undefined;
  const items = raw.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const privileges = items.map((item) => {
    if (!/^-?\d{1,15}$/.test(item)) throw new UsageError(`--privileges must be comma-separated integers, e.g. 100,101; got "${raw}"`);
    return Number(item);
  });
  return [...new Set(privileges)];
}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;

/** An ISO 8601 date or date-time flag, as ms since the epoch. A date alone means midnight UTC. */
export function timeFlag(options: CliOptions, name: string): number | undefined {
  const raw = stringFlag(options, name);
  if (raw === undefined) return undefined;
  const ms = ISO_TIME.test(raw.trim()) ? Date.parse(raw.trim()) : NaN;
  if (Number.isNaN(ms)) throw new UsageError(`--${name} must be an ISO 8601 time such as 2026-01-31 or 2026-01-31T08:00:00Z, got "${raw}"`);
  return ms;
}

/**
 * CPU time a server used, all its threads and child processes together
 * (Linux /proc), so each scenario can report server CPU per request: a figure
 * that other load on the machine disturbs far less than requests per second.
 * A server run with several worker processes is charged for all of them.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

let ticksPerSecond: number | null | undefined;

function clockTicks(): number | null {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || null;
    } catch {
      ticksPerSecond = null;
    }
  }
  return ticksPerSecond;
}

/** Parent pid and user and system clock ticks of one process (`/proc/PID/stat`) or thread, or null once it is gone. */
function statOf(path: string): { ppid: number; user: number; system: number } | null {
  try {
    const stat = readFileSync(path, 'utf8');
    // Fields after the command name, which is in parentheses and may contain spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(fields[1]), user: Number(fields[11]), system: Number(fields[12]) };
  } catch {
    return null;
  }
}

/** User + system CPU seconds of `pid` and its live descendants so far, or null where /proc is not available. */
export function processCpuSeconds(pid: number | undefined): number | null {
  const times = processCpuTimes(pid);
  return times && times.user + times.system;
}

/**
 * The same, split: user time (JavaScript, V8, SQLite, OpenSSL…) and system
 * time (the kernel: socket reads and writes, loopback delivery, file I/O).
 */
export function processCpuTimes(pid: number | undefined): { user: number; system: number } | null {
  const hz = clockTicks();
  if (pid === undefined || hz === null) return null;
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return null;
  }
  const children = new Map<number, number[]>();
  const ticks = new Map<number, { user: number; system: number }>();
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const s = statOf(`/proc/${entry}/stat`);
    if (!s) continue;
    ticks.set(Number(entry), s);
    const siblings = children.get(s.ppid);
    if (siblings) siblings.push(Number(entry));
    else children.set(s.ppid, [Number(entry)]);
  }
  if (!ticks.has(pid)) return null;
  let user = 0;
  let system = 0;
  const queue = [pid];
  while (queue.length > 0) {
    const p = queue.pop()!;
    const t = ticks.get(p);
    user += t?.user ?? 0;
    system += t?.system ?? 0;
    queue.push(...(children.get(p) ?? []));
  }
  return { user: user / hz, system: system / hz };
}

/**
 * CPU seconds of the process's main thread alone (its event loop; Linux
 * /proc/PID/task/PID), or null where /proc is not available: the rest of
 * the process's time is its other threads (hashing, checkpoints, V8, libuv).
 */
export function mainThreadCpuSeconds(pid: number | undefined): number | null {
  const hz = clockTicks();
  const s = pid === undefined || hz === null ? null : statOf(`/proc/${pid}/task/${pid}/stat`);
  return s && (s.user + s.system) / hz!;
}

/**
 * CPU time a process used, all its threads together (Linux /proc), so each
 * scenario can report server CPU per request: a figure that other load on
 * the machine disturbs far less than requests per second.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

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

/** User + system CPU seconds of `pid` so far, or null where /proc is not available. */
export function processCpuSeconds(pid: number | undefined): number | null {
  const hz = clockTicks();
  if (pid === undefined || hz === null) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may contain spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / hz;
  } catch {
    return null;
  }
}

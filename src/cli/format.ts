/** Human-readable output: aligned tables and times. */

/** ISO 8601 in UTC, as JSON output carries times. */
export { isoTime } from '../clock.js';

/** ISO 8601 to the second, for tables. */
export const shortTime = (ms: number | null): string => (ms === null ? '-' : new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z'));

/**
 * Control characters become visible escapes: names and user agents come from
 * clients (failed logins record what was typed), and a terminal must not
 * interpret them.
 */
export function printable(value: string): string {
  return value.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function table(headers: string[], rows: Array<Array<string | number | boolean | null>>): string {
  const cells = [headers, ...rows.map((row) => row.map((c) => (c === null || c === '' ? '-' : printable(String(c)))))];
  const widths = headers.map((_, i) => Math.max(...cells.map((row) => [...(row[i] ?? '')].length)));
  return cells
    .map((row) => row.map((c, i) => (i === row.length - 1 ? c : c + ' '.repeat(widths[i]! - [...c].length))).join('  '))
    .join('\n');
}

export const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

/** IANA time-zone helpers. Formatters are cached: building one costs far more than using it. */
const formatters = new Map<string, Intl.DateTimeFormat>();

function offsetFormatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'longOffset' });
    formatters.set(zone, f);
  }
  return f;
}

export function isValidTimeZone(zone: string): boolean {
  if (typeof zone !== 'string' || zone.length === 0 || zone.length > 64) return false;
  try {
    offsetFormatter(zone);
    return true;
  } catch {
    return false;
  }
}

/**
 * Offsets change only on quarter-hour boundaries (every zone's transitions
 * fall on them), so one is computed once per zone and quarter hour:
 * formatToParts is slow, and every login needs an offset.
 */
const QUARTER_HOUR_MS = 15 * 60_000;
const offsets = new Map<string, number>();

/** The zone's offset from UTC at `at`, in ms (DST-aware). "GMT+05:30" → 19800000. */
export function zoneOffsetMs(zone: string, at: number): number {
  const key = `${zone}@${Math.floor(at / QUARTER_HOUR_MS)}`;
  let offset = offsets.get(key);
  if (offset === undefined) {
    if (offsets.size >= 10_000) offsets.clear();
    offset = computeOffsetMs(zone, at);
    offsets.set(key, offset);
  }
  return offset;
}

function computeOffsetMs(zone: string, at: number): number {
  const part = offsetFormatter(zone).formatToParts(at).find((p) => p.type === 'timeZoneName')?.value ?? 'GMT';
  const m = /GMT([+-])(\d{2}):(\d{2})(?::(\d{2}))?/.exec(part);
  if (!m) return 0;
  const ms = ((Number(m[2]) * 60 + Number(m[3])) * 60 + Number(m[4] ?? 0)) * 1000;
  return m[1] === '-' ? -ms : ms;
}

export function systemTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

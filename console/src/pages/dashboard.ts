/**
 * Dashboard: logins, failed logins and lockouts of the last 24 hours, per
 * hour, as a line chart, and the sessions live now. Computed from the audit
 * events and the sessions list, the API's answers today. The chart is plain
 * SVG built with DOM calls; its colours come from the style sheet's classes.
 */
import { paths, versions } from '../api.js';
import { formatTime, h, svg } from '../dom.js';
import type { PageContext } from './page.js';
import { readEvents, timeOf, type AuditEvent } from './events.js';

const HOURS = 24;
const HOUR_MS = 3_600_000;
/** Enough for a busy day; the chart says when it reached this many. */
const EVENTS_READ = 20_000;

const SERIES = [
  { key: 'logins', label: 'Logins', types: ['login_success'] },
  { key: 'failures', label: 'Failed logins', types: ['login_failure', 'login_locked', 'login_rate_limited'] },
  { key: 'lockouts', label: 'Lockouts', types: ['lockout'] },
] as const;

type SeriesKey = (typeof SERIES)[number]['key'];

/** Refusals stored once a minute carry how many they stand for. */
const weight = (e: AuditEvent) => (typeof e.detail?.count === 'number' ? e.detail.count : 1);

export async function dashboardPage(ctx: PageContext): Promise<Node> {
  const now = Date.now();
  // Hours end on the hour: the last bucket is the current, partial hour.
  const end = Math.ceil(now / HOUR_MS) * HOUR_MS;
  const start = end - HOURS * HOUR_MS;
  const [events, sessions] = await Promise.all([
    readEvents(ctx.api, { since: new Date(start).toISOString(), limit: EVENTS_READ }),
    ctx.api.get<Array<{ loginName?: string; appKey?: string | null }>>(paths.sessions, { v: versions.own }),
  ]);
  const counts = Object.fromEntries(SERIES.map((s) => [s.key, new Array<number>(HOURS).fill(0)])) as Record<SeriesKey, number[]>;
  for (const event of events) {
    const hour = Math.floor((timeOf(event) - start) / HOUR_MS);
    if (hour < 0 || hour >= HOURS) continue;
    const series = SERIES.find((s) => (s.types as readonly string[]).includes(event.type));
    if (series) counts[series.key][hour]! += weight(event);
  }
  const totals = Object.fromEntries(SERIES.map((s) => [s.key, counts[s.key].reduce((a, b) => a + b, 0)])) as Record<SeriesKey, number>;
  const live = sessions.body;
  const people = new Set(live.filter((s) => !s.appKey).map((s) => s.loginName)).size;

  return h(
    'div',
    { class: 'dashboard' },
    h(
      'div',
      { class: 'tiles' },
      tile('Live sessions', live.length, `${people} ${people === 1 ? 'person' : 'people'}, ${live.filter((s) => s.appKey).length} bot sessions`),
      SERIES.map((s) => tile(s.label, totals[s.key], 'last 24 hours')),
    ),
    h('h2', null, 'Last 24 hours, per hour'),
    chart(counts, start),
    events.length >= EVENTS_READ ? h('p', { class: 'empty' }, `Only the newest ${EVENTS_READ} events are counted.`) : null,
  );
}

function tile(label: string, value: number, note: string): HTMLElement {
  return h('section', { class: 'tile', attrs: { 'aria-label': label } }, h('h3', null, label), h('p', { class: 'value' }, String(value)), h('p', { class: 'note' }, note));
}

/** A line per series over the hours; the scale is labelled, the lines drawn in the style sheet's colours. */
function chart(counts: Record<SeriesKey, number[]>, start: number): HTMLElement {
  const width = 720;
  const height = 240;
  const pad = { left: 40, right: 12, top: 12, bottom: 28 };
  const plotW = width - pad.left - pad.right;
  const plotH = height - pad.top - pad.bottom;
  const max = Math.max(1, ...SERIES.flatMap((s) => counts[s.key]));
  const top = niceCeiling(max);
  const x = (hour: number) => pad.left + (plotW * hour) / (HOURS - 1);
  const y = (value: number) => pad.top + plotH - (plotH * value) / top;

  const grid = [0, 0.5, 1].map((f) => {
    const value = Math.round(top * f);
    return svg(
      'g',
      { class: 'grid' },
      svg('line', { x1: pad.left, x2: width - pad.right, y1: y(value), y2: y(value) }),
      svg('text', { x: pad.left - 6, y: y(value) + 4, 'text-anchor': 'end' }, String(value)),
    );
  });
  const hourLabels = [0, 6, 12, 18, HOURS - 1].map((hour) =>
    svg('text', { class: 'axis', x: x(hour), y: height - 8, 'text-anchor': hour === 0 ? 'start' : hour === HOURS - 1 ? 'end' : 'middle' }, new Date(start + hour * HOUR_MS).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })),
  );
  const lines = SERIES.map((s) =>
    svg(
      'polyline',
      { class: `series ${s.key}`, 'data-series': s.key, points: counts[s.key].map((v, hour) => `${x(hour).toFixed(1)},${y(v).toFixed(1)}`).join(' ') },
      svg('title', {}, `${s.label}: ${counts[s.key].join(', ')}`),
    ),
  );
  const summary = SERIES.map((s) => `${s.label} ${counts[s.key].reduce((a, b) => a + b, 0)}`).join(', ');
  const picture = svg(
    'svg',
    { class: 'chart', viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': `Logins, failed logins and lockouts per hour since ${formatTime(start)}: ${summary}` },
    ...grid,
    ...hourLabels,
    ...lines,
  );
  const legend = h(
    'ul',
    { class: 'legend' },
    SERIES.map((s) => h('li', null, h('span', { class: `swatch ${s.key}`, attrs: { 'aria-hidden': 'true' } }), s.label)),
  );
  return h('figure', { class: 'chart-box' }, picture, legend);
}

/** 1, 2, 5, 10, 20, 50 …: a scale top at or above `n`. */
function niceCeiling(n: number): number {
  const step = 10 ** Math.floor(Math.log10(n));
  for (const m of [1, 2, 5, 10]) if (m * step >= n) return m * step;
  return 10 * step;
}

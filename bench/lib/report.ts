/**
 * Turns the rounds into the published figures: medians per scenario, ratios
 * per round and their medians, targets met or not, the printed table and the
 * SVG chart (markup written here, no charting library).
 */
import type { LoadResult } from './load.js';

export type RoundMeasurements = Record<string, LoadResult>;

interface ScenarioInfo {
  label: string;
  description: string;
  /** Where a baseline cannot do exactly the same work as ours. */
  differs?: string;
}

export const SCENARIOS: Record<string, ScenarioInfo> = {
  ceiling: { label: 'ceiling: bare Fastify, plain GET', description: 'GET /ceiling returning a fixed {"status":"ok"}: no plugins, no logging, no store.' },
  ceiling_bearer_requests: {
    label: 'ceiling: bare Fastify, bearer-check requests',
    description: 'The same bare route answering exactly the requests of the bearer check (path, Authorization header): the ceiling the bearer check is compared with.',
  },
  ceiling_refresh_requests: {
    label: 'ceiling: bare Fastify, refresh requests',
    description: 'The same bare route answering exactly the requests of refresh (POST, cookie, JSON body that Fastify parses): the ceiling refresh is compared with.',
  },
  validate: { label: 'ours: bearer check', description: 'GET /api/account/{id}/session with Authorization: Bearer, a random one of the pre-seeded sessions.' },
  validate_uncached: {
    label: 'ours: bearer check, nothing kept in memory',
    description: 'The bearer check on a second small store whose server keeps no bearers in memory (BEARER_CACHE_SIZE=0): every check reads the file, as most checks spread over a larger store do.',
  },
  refresh: { label: 'ours: refresh', description: 'POST /api/account/{id}/refresh?v=1.3 with the Session_id cookie and {"csrf"}, a random one of the pre-seeded sessions.' },
  login: { label: 'ours: login', description: 'POST /api/account/{id}/login?v=1.3 {username, password}, argon2id m=19456 t=2 p=1, random user of 20.' },
  argon2_raw: { label: 'raw argon2id verify', description: 'argon2id verifications per second with our parameters, one loop per core, no HTTP, no store.' },
  express_check: {
    label: 'Express+passport: session check',
    description: 'GET /session with the connect.sid cookie: express-session store read, passport deserializeUser (user read), and the store touch that express-session does on every request with a session.',
    differs: 'cookie, not bearer; writes (touch) on every check, where ours is read-only',
  },
  express_refresh: {
    label: 'Express+passport: refresh',
    description: 'POST /refresh with the cookie and {"csrf"}: session read, user read, CSRF comparison, touch write.',
  },
  express_login: {
    label: 'Express+passport: login',
    description: 'POST /login with passport-local, argon2id with our parameters, session regenerated and saved.',
    differs: 'no audit event and no brute-force counters, both of which ours writes',
  },
  better_auth_get_session: {
    label: 'better-auth: get-session',
    description: 'GET /api/auth/get-session with its signed session cookie: signature check, session and user read.',
    differs: 'cookie, not bearer; no refresh with CSRF exists in better-auth (get-session extends a session at most once a day)',
  },
  better_auth_sign_in: {
    label: 'better-auth: sign-in',
    description: 'POST /api/auth/sign-in/email, argon2id with our parameters (its default is scrypt), session insert.',
    differs: 'no audit event and no brute-force counters',
  },
  ceiling_refresh_paced: {
    label: 'ceiling: bare Fastify, paced refresh requests',
    description: 'The bare route answering the refresh requests at the same fixed rate as the probes below: the latency floor that waking an idle process costs on this machine.',
  },
  refresh_idle_paced: { label: 'ours: refresh, paced, idle', description: 'Refresh at a fixed rate spread evenly over time (open loop), nothing else running.' },
  refresh_during_storm: { label: 'ours: refresh, paced, login storm', description: 'The same paced refresh probe while many connections log in as fast as the server answers, keeping every hashing slot busy.' },
};

function scaleInfo(key: string): ScenarioInfo | undefined {
  const m = /^(validate|refresh)_(\d+)([km])$/.exec(key);
  if (!m) return undefined;
  const sessions = Number(m[2]) * (m[3] === 'm' ? 1_000_000 : 1000);
  const base = SCENARIOS[m[1]!]!;
  return { label: `${base.label}, ${sessions.toLocaleString('en-US')} sessions`, description: `${base.description.replace('pre-seeded sessions', `${sessions.toLocaleString('en-US')} pre-seeded sessions`)}` };
}

const info = (key: string): ScenarioInfo => SCENARIOS[key] ?? scaleInfo(key) ?? { label: key, description: key };

/** The median of the finite values; NaN if there are none. */
export const median = (xs: number[]): number => {
  const v = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
};

const round = (x: number, digits: number) => (Number.isFinite(x) ? Number(x.toFixed(digits)) : null);

type RatioDef = { of: (r: RoundMeasurements) => number; min?: number; max?: number; means: string };

const rps = (key: string) => (r: RoundMeasurements) => r[key]?.requestsPerSecond ?? NaN;
const per = (a: string, b: string) => (r: RoundMeasurements) => rps(a)(r) / rps(b)(r);

function ratioDefinitions(keys: string[]): Record<string, RatioDef> {
  const defs: Record<string, RatioDef> = {
    validate_vs_ceiling: { of: per('validate', 'ceiling_bearer_requests'), min: 0.7, means: 'bearer checks/s ÷ bare Fastify answering the same requests/s' },
    refresh_vs_ceiling: { of: per('refresh', 'ceiling_refresh_requests'), min: 0.5, means: 'refreshes/s ÷ bare Fastify answering the same requests/s' },
    refresh_vs_express: { of: per('refresh', 'express_refresh'), min: 2.0, means: 'our refreshes/s ÷ Express+passport refreshes/s' },
    login_vs_argon2: { of: per('login', 'argon2_raw'), min: 0.9, means: 'logins/s ÷ raw argon2id verifications/s on all cores' },
    storm_p99_ratio: {
      of: (r) => (r.refresh_during_storm?.p99Ms ?? NaN) / (r.refresh_idle_paced?.p99Ms ?? NaN),
      max: 3.0,
      means: 'refresh p99 during a login storm ÷ refresh p99 idle, at the same paced rate',
    },
    idle_p99_vs_ceiling: {
      of: (r) => (r.refresh_idle_paced?.p99Ms ?? NaN) / (r.ceiling_refresh_paced?.p99Ms ?? NaN),
      means: 'our idle refresh p99 ÷ the bare route p99 at the same paced rate (how much of the idle p99 is the machine)',
    },
    validate_vs_plain_ceiling: { of: per('validate', 'ceiling'), means: 'bearer checks/s ÷ bare Fastify plain GET/s (the generator builds and parses less for that GET)' },
    refresh_vs_plain_ceiling: { of: per('refresh', 'ceiling'), means: 'refreshes/s ÷ bare Fastify plain GET/s' },
    validate_vs_express_check: { of: per('validate', 'express_check'), means: 'our bearer checks/s ÷ Express+passport session checks/s' },
    login_vs_express: { of: per('login', 'express_login'), means: 'our logins/s ÷ Express+passport logins/s' },
  };
  if (keys.includes('better_auth_get_session')) {
    defs.validate_vs_better_auth = { of: per('validate', 'better_auth_get_session'), means: 'our bearer checks/s ÷ better-auth get-session/s' };
    defs.login_vs_better_auth = { of: per('login', 'better_auth_sign_in'), means: 'our logins/s ÷ better-auth sign-ins/s' };
  }
  if (keys.includes('validate_uncached')) {
    defs.validate_vs_uncached = { of: per('validate', 'validate_uncached'), means: 'small store: bearer checks/s ÷ the same with nothing kept in memory (what the bearer cache gives)' };
  }
  for (const key of keys) {
    const m = /^(validate|refresh)_(\d+[km])$/.exec(key);
    if (m) defs[`${m[1]}_${m[2]}_vs_small`] = { of: per(key, m[1]!), min: 0.8, means: `${m[1]} with ${m[2]} sessions ÷ the same with the small store` };
    if (m?.[1] === 'validate' && keys.includes('validate_uncached')) {
      defs[`validate_${m[2]}_vs_uncached`] = { of: per(key, 'validate_uncached'), means: `validate with ${m[2]} sessions ÷ the small store with nothing kept in memory (what the size alone costs)` };
    }
  }
  return defs;
}

export interface ReportInput {
  date: string;
  machine: Record<string, unknown>;
  settings: Record<string, unknown>;
  rounds: RoundMeasurements[];
  seeding: Record<string, unknown>;
  betterAuthUnavailable: string | null;
  setupSeconds: number;
  totalSeconds: number;
}

export interface Report {
  date: string;
  machine: Record<string, unknown>;
  settings: Record<string, unknown>;
  ratios: Record<string, number | null>;
  targets: Record<string, { target: string; value: number | null; met: boolean }>;
  ratioMeanings: Record<string, string>;
  ratioRounds: Record<string, Array<number | null>>;
  scenarios: Record<string, {
    label: string;
    description: string;
    differs?: string;
    requestsPerSecond: number | null;
    p50Ms: number | null;
    p99Ms: number | null;
    /** Server CPU time (all its threads) per answered request. */
    serverCpuUsPerRequest: number | null;
    /** The load generator's CPU use during the run, in cores: near 1 means it, not the server, set the pace. */
    generatorCpuShare: number | null;
    failed: number;
    rounds: Array<Record<string, number | null>>;
  }>;
  store: Record<string, unknown>;
  betterAuth: { ran: boolean; reason?: string };
  notes: string[];
  setupSeconds: number;
  totalSeconds: number;
}

export function buildReport(input: ReportInput): Report {
  const keys = Object.keys(input.rounds[0] ?? {});
  const scenarios: Report['scenarios'] = {};
  for (const key of keys) {
    const all = input.rounds.map((r) => r[key]!).filter(Boolean);
    scenarios[key] = {
      ...info(key),
      requestsPerSecond: round(median(all.map((m) => m.requestsPerSecond)), 1),
      p50Ms: round(median(all.map((m) => m.p50Ms)), 3),
      p99Ms: round(median(all.map((m) => m.p99Ms)), 3),
      serverCpuUsPerRequest: round(median(all.map((m) => m.serverCpuUsPerRequest ?? NaN)), 1),
      generatorCpuShare: round(median(all.map((m) => m.generatorCpuShare ?? NaN)), 2),
      failed: all.reduce((n, m) => n + m.failed + (m.stormLoginsFailed ?? 0), 0),
      rounds: all.map((m) => Object.fromEntries(Object.entries(m).map(([k, v]) => [k, round(v as number, 3)]))),
    };
  }
  const defs = ratioDefinitions(keys);
  const ratios: Report['ratios'] = {};
  const ratioRounds: Report['ratioRounds'] = {};
  const targets: Report['targets'] = {};
  const ratioMeanings: Report['ratioMeanings'] = {};
  for (const [name, def] of Object.entries(defs)) {
    const each = input.rounds.map((r) => def.of(r));
    ratioRounds[name] = each.map((x) => round(x, 3));
    ratios[name] = round(median(each), 3);
    ratioMeanings[name] = def.means;
    if (def.min !== undefined || def.max !== undefined) {
      const value = ratios[name];
      const met = value !== null && (def.min === undefined || value >= def.min) && (def.max === undefined || value <= def.max);
      targets[name] = { target: def.min !== undefined ? `>= ${def.min}` : `<= ${def.max}`, value, met };
    }
  }
  const notes = [
    'All processes share one machine: the load generator (this process, autocannon), the server under test, and the idle others. Ratios compare targets measured by the same generator within the same round.',
    'Closed-loop scenarios: a fixed number of keep-alive connections each sending its next request when the previous one is answered; p50/p99 are per-response latencies seen by the generator.',
    'Paced scenarios: requests sent at a fixed rate whatever the answers (open loop); latency counts from the moment a request is issued, including any wait for a free socket.',
    'Express+passport: the session check is by cookie (no bearer exists) and writes on every request (express-session touches the store); its login writes no audit event and keeps no brute-force counters.',
    'better-auth: get-session is its only session check (cookie, read-only unless a day has passed); it has no refresh with CSRF, so it appears in the bearer-check and login comparisons only.',
    'Raw argon2: verification throughput alone (no HTTP, no store), the bound for any login endpoint with these parameters on this machine.',
  ];
  const failed = Object.entries(scenarios).filter(([, s]) => s.failed > 0).map(([k, s]) => `${k}: ${s.failed}`);
  if (failed.length) notes.push(`Some requests failed (non-2xx or connection errors), which makes these figures suspect: ${failed.join(', ')}.`);
  return {
    date: input.date,
    machine: input.machine,
    settings: input.settings,
    ratios,
    targets,
    ratioMeanings,
    ratioRounds,
    scenarios,
    store: input.seeding,
    betterAuth: input.betterAuthUnavailable ? { ran: false, reason: input.betterAuthUnavailable } : { ran: true },
    notes,
    setupSeconds: round(input.setupSeconds, 1)!,
    totalSeconds: round(input.totalSeconds, 1)!,
  };
}

const num = (x: number | null, digits = 0) => (x === null ? '–' : x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }));

export function printTable(report: Report): void {
  const rows = Object.entries(report.scenarios).map(([key, s]) => [
    key,
    num(s.requestsPerSecond, s.requestsPerSecond !== null && s.requestsPerSecond < 1000 ? 1 : 0),
    num(s.p50Ms, 2),
    num(s.p99Ms, 2),
    num(s.serverCpuUsPerRequest, 0),
    num(s.generatorCpuShare, 2),
    s.failed ? String(s.failed) : '',
  ]);
  const header = ['scenario', 'per second', 'p50 ms', 'p99 ms', 'server CPU µs/req', 'generator cores', 'failed'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.log(`\nmedians of ${(report.settings as { rounds: number }).rounds} rounds (${(report.settings as { mode: string }).mode} mode)`);
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
  console.log('\nratio                         value   target');
  for (const [name, value] of Object.entries(report.ratios)) {
    const t = report.targets[name];
    console.log(`${name.padEnd(28)} ${num(value, 3).padStart(7)}   ${t ? `${t.target} ${t.met ? 'met' : 'NOT MET'}` : ''}`);
  }
}

/** Markdown table of the same figures, for docs/BENCHMARKS.md. */
export function markdownTable(report: Report): string {
  const lines = ['| scenario | per second | p50 ms | p99 ms | server CPU µs/request |', '| --- | ---: | ---: | ---: | ---: |'];
  for (const s of Object.values(report.scenarios)) {
    lines.push(`| ${s.label} | ${num(s.requestsPerSecond, s.requestsPerSecond !== null && s.requestsPerSecond < 1000 ? 1 : 0)} | ${num(s.p50Ms, 2)} | ${num(s.p99Ms, 2)} | ${num(s.serverCpuUsPerRequest, 0)} |`);
  }
  return lines.join('\n');
}

const escapeXml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

interface Bar {
  label: string;
  value: number | null;
  kind: 'ours' | 'baseline' | 'bound';
}

interface Panel {
  title: string;
  unit: string;
  bars: Bar[];
}

const COLORS = { ours: '#2563eb', baseline: '#9ca3af', bound: '#374151' };

export function renderChart(report: Report): string {
  const s = report.scenarios;
  const bar = (key: string, kind: Bar['kind'], label?: string, field: 'requestsPerSecond' | 'p99Ms' = 'requestsPerSecond'): Bar[] =>
    s[key] ? [{ label: label ?? s[key]!.label, value: s[key]![field], kind }] : [];
  const scaled = Object.keys(s).filter((k) => /^(validate|refresh)_\d+[km]$/.test(k));
  const panels: Panel[] = [
    {
      title: 'Session check',
      unit: 'requests/s',
      bars: [
        ...bar('ceiling_bearer_requests', 'bound', 'ceiling: bare Fastify, same requests'),
        ...bar('validate', 'ours', 'ours: bearer check, 10,000 sessions'),
        ...bar('validate_uncached', 'ours', 'ours: bearer check, 10,000 sessions, none in memory'),
        ...scaled.filter((k) => k.startsWith('validate_')).flatMap((k) => bar(k, 'ours')),
        ...bar('express_check', 'baseline'),
        ...bar('better_auth_get_session', 'baseline'),
      ],
    },
    {
      title: 'Refresh',
      unit: 'requests/s',
      bars: [
        ...bar('ceiling_refresh_requests', 'bound', 'ceiling: bare Fastify, same requests'),
        ...bar('refresh', 'ours', 'ours: refresh, 10,000 sessions'),
        ...scaled.filter((k) => k.startsWith('refresh_')).flatMap((k) => bar(k, 'ours')),
        ...bar('express_refresh', 'baseline'),
      ],
    },
    {
      title: 'Login (argon2id m=19456 t=2 p=1)',
      unit: 'per second',
      bars: [...bar('argon2_raw', 'bound'), ...bar('login', 'ours'), ...bar('express_login', 'baseline'), ...bar('better_auth_sign_in', 'baseline')],
    },
    {
      title: 'Refresh p99 latency at a paced rate',
      unit: 'ms, lower is better',
      bars: [...bar('ceiling_refresh_paced', 'bound', 'ceiling: bare Fastify, idle', 'p99Ms'), ...bar('refresh_idle_paced', 'ours', 'ours: idle', 'p99Ms'), ...bar('refresh_during_storm', 'ours', 'ours: during a login storm', 'p99Ms')],
    },
  ];

  const width = 820;
  const labelWidth = 330;
  const barArea = width - labelWidth - 110;
  const barHeight = 18;
  const gap = 6;
  const out: string[] = [];
  let y = 46;
  for (const panel of panels) {
    out.push(`<text x="16" y="${y}" class="title">${escapeXml(panel.title)} <tspan class="unit">(${escapeXml(panel.unit)})</tspan></text>`);
    y += 12;
    const max = Math.max(...panel.bars.map((b) => b.value ?? 0), 1e-9);
    for (const b of panel.bars) {
      const w = b.value === null ? 0 : Math.max(1, (b.value / max) * barArea);
      const value = b.value === null ? 'n/a' : b.value >= 100 ? Math.round(b.value).toLocaleString('en-US') : b.value.toFixed(b.value >= 10 ? 1 : 2);
      out.push(`<text x="${labelWidth - 8}" y="${y + barHeight - 5}" class="label" text-anchor="end">${escapeXml(b.label)}</text>`);
      out.push(`<rect x="${labelWidth}" y="${y}" width="${w.toFixed(1)}" height="${barHeight}" fill="${COLORS[b.kind]}" rx="2"/>`);
      out.push(`<text x="${(labelWidth + w + 6).toFixed(1)}" y="${y + barHeight - 5}" class="value">${escapeXml(value)}</text>`);
      y += barHeight + gap;
    }
    y += 22;
  }
  const m = report.machine as { cores?: number; cpuModel?: string; node?: string };
  const caption = `${report.date.slice(0, 10)} · ${m.cores} cores · ${m.cpuModel} · Node ${m.node} · medians of ${(report.settings as { rounds: number }).rounds} rounds (${(report.settings as { mode: string }).mode})`;
  const height = y + 10;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif">`,
    '<style>.title{font-size:15px;font-weight:bold;fill:#111827}.unit{font-weight:normal;fill:#6b7280;font-size:13px}.label{font-size:12px;fill:#1f2937}.value{font-size:12px;fill:#111827}.caption{font-size:11px;fill:#6b7280}</style>',
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="16" y="22" class="caption">${escapeXml(caption)}</text>`,
    `<g><rect x="${width - 300}" y="12" width="10" height="10" fill="${COLORS.ours}"/><text x="${width - 285}" y="21" class="caption">login-service</text>`,
    `<rect x="${width - 205}" y="12" width="10" height="10" fill="${COLORS.baseline}"/><text x="${width - 190}" y="21" class="caption">baseline</text>`,
    `<rect x="${width - 130}" y="12" width="10" height="10" fill="${COLORS.bound}"/><text x="${width - 115}" y="21" class="caption">upper bound</text></g>`,
    ...out,
    '</svg>',
    '',
  ].join('\n');
}

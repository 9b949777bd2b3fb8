/**
 * Account settings: name, time zone, session TTL and caps, password policy,
 * lockout, allowed origins, SSO. The form is built from the document the API
 * returns, field by field (text, number, switch, list, nested section), so a
 * setting the server adds appears here without a console release; `PUT`
 * sends the whole document back, as the API replaces it.
 */
import { paths, versions } from '../api.js';
import { field, h, input, messageArea } from '../dom.js';
import { problem, type PageContext } from './page.js';

type Json = string | number | boolean | null | Json[] | { [name: string]: Json };
type Settings = { [name: string]: Json };

const q = { v: versions.own };

const LABELS: Record<string, string> = {
  name: 'Account name',
  timeZone: 'Time zone',
  sessionTtlMs: 'Session TTL (ms)',
  absoluteSessionLifetimeMs: 'Longest session life, whatever the refreshes (ms, 0 = none)',
  maxSessionsPerUser: 'Sessions per user (0 = no cap)',
  passwordMinLength: 'Shortest password',
  passwordMaxBytes: 'Longest password (bytes)',
  rejectCommonPasswords: 'Refuse common and leaked passwords',
  passwordMaxAgeMs: 'Password expires after (ms, 0 = never)',
  lockoutThreshold: 'Failed logins before a lock (0 = never)',
  lockoutBaseMs: 'First lock lasts (ms)',
  lockoutMaxMs: 'Longest lock (ms)',
  allowedOrigins: 'Allowed origins (one a line)',
  sso: 'Single sign-on',
};

/** "passwordMinLength" → "Password min length". */
function labelOf(name: string): string {
  if (LABELS[name]) return LABELS[name]!;
  const words = name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/[_-]+/g, ' ').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** One editor per value: `read` gives the edited value back. */
interface Editor {
  node: Node;
  read(): Json;
}

function editorFor(name: string, value: Json, path: string): Editor {
  const label = labelOf(name);
  if (typeof value === 'boolean') {
    const box = input({ type: 'checkbox', name: path, checked: value });
    return { node: field(label, box), read: () => box.checked };
  }
  if (typeof value === 'number') {
    const box = input({ type: 'number', name: path, value: String(value), step: 'any' });
    return { node: field(label, box), read: () => (box.value === '' ? 0 : Number(box.value)) };
  }
  if (Array.isArray(value) && value.every((v) => typeof v === 'string' || typeof v === 'number')) {
    const numbers = value.length > 0 && value.every((v) => typeof v === 'number');
    const area = h('textarea', { name: path, rows: Math.max(2, value.length + 1), value: value.join('\n') });
    return {
      node: field(label, area),
      read: () => {
        const lines = area.value.split('\n').map((l) => l.trim()).filter(Boolean);
        return numbers ? lines.map(Number) : lines;
      },
    };
  }
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const editors = Object.entries(value).map(([child, v]) => [child, editorFor(child, v, `${path}.${child}`)] as const);
    return {
      node: h('fieldset', null, h('legend', null, label), editors.map(([, e]) => e.node)),
      read: () => Object.fromEntries(editors.map(([child, e]) => [child, e.read()])),
    };
  }
  if (typeof value === 'string' && value.includes('\n')) {
    // Certificates and other multi-line values keep their lines.
    const area = h('textarea', { name: path, rows: Math.min(12, value.split('\n').length + 1), value });
    return { node: field(label, area), read: () => area.value };
  }
  if (typeof value === 'string' || value === null) {
    const box = input({ name: path, value: value ?? '' });
    return { node: field(label, box), read: () => (value === null && box.value === '' ? null : box.value) };
  }
  // Anything else (a list of objects): edited as JSON.
  const area = h('textarea', { name: path, rows: 4, value: JSON.stringify(value, null, 2) });
  return { node: field(`${label} (JSON)`, area), read: () => JSON.parse(area.value) as Json };
}

interface SsoSettings {
  idpIssuer: string;
  idpCerts: string[];
  audience?: string;
  loginNameAttribute: string;
  enforce: boolean;
}

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/**
 * The account's identity provider (docs/SSO.md), always shown so one can be
 * added: an empty issuer means none (sent as null, which removes it).
 * Certificates are PEM blocks in one text area, several while a key rotates.
 */
function ssoEditor(value: SsoSettings | null | undefined): Editor {
  const issuer = input({ name: 'sso.idpIssuer', value: value?.idpIssuer ?? '' });
  const certs = h('textarea', { name: 'sso.idpCerts', rows: 8, value: (value?.idpCerts ?? []).join('') });
  const audience = input({ name: 'sso.audience', value: value?.audience ?? '' });
  const attribute = input({ name: 'sso.loginNameAttribute', value: value?.loginNameAttribute ?? 'loginName' });
  const enforce = input({ type: 'checkbox', name: 'sso.enforce', checked: value?.enforce ?? false });
  return {
    node: h(
      'fieldset',
      null,
      h('legend', null, LABELS.sso!),
      field('Identity provider issuer', issuer, 'Empty: no single sign-on'),
      field('Identity provider certificates (PEM)', certs),
      field('Audience', audience, 'Empty: urn:login-service:account:<account id>'),
      field('Login name attribute', attribute),
      field('Refuse password logins of people', enforce),
    ),
    read: () => {
      if (issuer.value.trim() === '') return null;
      return {
        idpIssuer: issuer.value.trim(),
        idpCerts: certs.value.match(PEM_BLOCK) ?? [],
        ...(audience.value.trim() === '' ? {} : { audience: audience.value.trim() }),
        loginNameAttribute: attribute.value.trim() || 'loginName',
        enforce: enforce.checked,
      };
    },
  };
}

export async function settingsPage(ctx: PageContext): Promise<Node> {
  const { body: settings, revision } = await ctx.api.get<Settings>(paths.settings, q);
  const messages = messageArea();
  const { sso, ...others } = settings;
  const editors = [
    ...Object.entries(others).map(([name, value]) => [name, editorFor(name, value, name)] as const),
    ['sso', ssoEditor(sso as unknown as SsoSettings | null | undefined)] as const,
  ];
  const save = h('button', { type: 'submit', class: 'primary' }, 'Save settings');
  return h(
    'form',
    {
      class: 'settings',
      on: {
        submit: async (event) => {
          event.preventDefault();
          messages.clear();
          let body: Settings;
          try {
            body = Object.fromEntries(editors.map(([name, e]) => [name, e.read()]));
          } catch {
            return messages.error('A JSON field is not valid JSON.');
          }
          save.disabled = true;
          try {
            await ctx.api.call('PUT', paths.settings, { query: q, body, ifMatch: revision });
            ctx.refresh('Settings saved.');
          } catch (error) {
            messages.error(`Saving failed: ${problem(error)}`);
          } finally {
            save.disabled = false;
          }
        },
      },
    },
    editors.map(([, e]) => e.node),
    messages.el,
    h('div', { class: 'actions' }, save),
  );
}

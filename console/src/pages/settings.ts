/**
 * Account settings: name, time zone, session lifetimes and caps, password
 * policy, lockout; and below them single sign-on, a resource of its own
 * (configuration/sso) with its own form, so saving one never changes the
 * other. The policy fields come from the server's table of
 * settings (src/accounts/settings.ts): its labels, units and ranges;
 * durations are shown and typed in minutes, hours or days, never raw
 * milliseconds. Fields the document holds that this console does not know
 * are still shown, by their shape (text, number, switch, list, nested
 * section), so a newer server's setting is not lost on save; `PUT` sends the
 * whole document back, as the API replaces it.
 */
import { DURATION_UNITS, formatDuration, naturalUnit, settingSpec, type AccountSettingSpec, type DurationUnit } from '../../../src/accounts/settings.js';
import { paths, versions } from '../api.js';
import { button, confirmAction, field, h, input, messageArea, select } from '../dom.js';
import { problem, type PageContext } from './page.js';

type Json = string | number | boolean | null | Json[] | { [name: string]: Json };
type Settings = { [name: string]: Json };

const q = { v: versions.own };

const LABELS: Record<string, string> = {
  name: 'Account name',
  timeZone: 'Time zone',
  allowedOrigins: 'Allowed origins (one a line)',
};

/** "passwordMinLength" → "Password min length". */
function labelOf(name: string): string {
  if (LABELS[name]) return LABELS[name]!;
  const words = name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/[_-]+/g, ' ').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** What the field accepts, under it: "1 minute to 30 days", "8 to 256 characters; 0: no cap". */
function hintOf(spec: AccountSettingSpec): string {
  if (spec.type === 'boolean') return spec.description;
  const range = spec.type === 'duration' ? `${formatDuration(spec.min)} to ${formatDuration(spec.max)}` : `${spec.min} to ${spec.max} ${spec.unit}`;
  return `${spec.description} ${range}${spec.zero === undefined ? '' : `; 0: ${spec.zero}`}.`;
}

/**
 * A field whose label names only its control (`for`), so the hint and a
 * duration's unit beside it stay out of the control's accessible name.
 */
function namedField(label: string, control: HTMLInputElement | HTMLSelectElement, ...rest: Node[]): HTMLElement {
  control.id = `setting-${control.name.replace(/[^A-Za-z0-9_-]/g, '-')}`;
  return h('div', { class: 'field' }, h('span', null, h('label', { htmlFor: control.id }, label)), ...rest);
}

const UNIT_OPTIONS = (Object.keys(DURATION_UNITS) as DurationUnit[]).map((unit) => ({ value: unit, label: unit }));

/** A setting of the table: its label, its hint, and for a duration a number with its unit. */
function settingEditor(spec: AccountSettingSpec, value: Json, path: string): Editor {
  if (spec.type === 'boolean') {
    const box = input({ type: 'checkbox', name: path, checked: value === true });
    return { node: field(spec.label, box, spec.description), read: () => box.checked };
  }
  if (spec.type === 'integer') {
    const box = input({ type: 'number', name: path, value: String(value), min: '0', max: String(spec.max), step: '1' });
    return { node: namedField(spec.label, box, box, h('small', null, hintOf(spec))), read: () => (box.value === '' ? 0 : Number(box.value)) };
  }
  const ms = typeof value === 'number' ? value : 0;
  // The table's unit when the value is a whole number in it, else the largest unit that gives one.
  const unit = ms % DURATION_UNITS[spec.shownIn] === 0 ? spec.shownIn : naturalUnit(ms);
  const amount = input({ type: 'number', name: path, value: String(ms / DURATION_UNITS[unit]), min: '0', step: 'any' });
  const units = select(UNIT_OPTIONS, unit, { name: `${path}.unit` });
  units.setAttribute('aria-label', `Unit of ${spec.label.toLowerCase()}`);
  return {
    node: namedField(spec.label, amount, h('div', { class: 'duration' }, amount, units), h('small', null, hintOf(spec))),
    read: () => (amount.value === '' ? 0 : Math.round(Number(amount.value) * DURATION_UNITS[units.value as DurationUnit])),
  };
}

/** Every IANA zone this browser knows, with the account's own first in line should the browser not know it. */
function timeZoneEditor(value: Json): Editor {
  const zones = Intl.supportedValuesOf('timeZone');
  const current = typeof value === 'string' ? value : 'UTC';
  const all = [...new Set([...zones, 'UTC', current])].sort();
  const box = select(all.map((zone) => ({ value: zone, label: zone })), current, { name: 'timeZone' });
  return { node: namedField(LABELS.timeZone!, box, box), read: () => box.value };
}

/** One editor per value: `read` gives the edited value back. */
interface Editor {
  node: Node;
  read(): Json;
}

function editorFor(name: string, value: Json, path: string): Editor {
  const spec = path === name ? settingSpec(name) : undefined;
  if (spec) return settingEditor(spec, value, path);
  if (path === 'timeZone') return timeZoneEditor(value);
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

/** A SAML identity provider as configuration/sso carries it. */
interface SamlConfig {
  idpIssuer: string;
  idpCerts: string[];
  audience?: string;
  loginNameAttribute: string;
  enforce: boolean;
}

/** An OpenID Connect provider as configuration/sso shows it (never its client secret). */
interface OidcConfig {
  issuer: string;
  clientId: string;
  clientSecretSet: boolean;
  displayName: string;
  loginNameClaim?: string;
  enforce: boolean;
}

/** `configuration/sso`: one field per protocol, null when none; a PUT replaces those it names. */
interface SsoDocument {
  saml: SamlConfig | null;
  oidc: OidcConfig | null;
}

const SSO_PATH = 'sso';

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/**
 * The account's SAML identity provider (docs/SSO.md), always shown so one
 * can be added. Certificates are PEM blocks in one text area, several while a
 * key rotates. Save replaces it (PUT), Remove deletes it.
 */
function ssoForm(ctx: PageContext, saml: SamlConfig | null): HTMLElement {
  const messages = messageArea();
  const issuer = input({ name: 'saml.idpIssuer', value: saml?.idpIssuer ?? '' });
  const certs = h('textarea', { name: 'saml.idpCerts', rows: 8, value: (saml?.idpCerts ?? []).join('') });
  const audience = input({ name: 'saml.audience', value: saml?.audience ?? '' });
  const attribute = input({ name: 'saml.loginNameAttribute', value: saml?.loginNameAttribute ?? 'loginName' });
  const enforce = input({ type: 'checkbox', name: 'saml.enforce', checked: saml?.enforce ?? false });
  const save = h('button', { type: 'submit', class: 'primary' }, 'Save single sign-on');
  const remove = button(
    'Remove single sign-on',
    async () => {
      if (!(await confirmAction('Remove the identity provider? SSO logins are refused and password logins allowed again.', 'Remove'))) return;
      messages.clear();
      remove.disabled = true;
      try {
        // Only this connection: the OpenID Connect one below stays.
        await ctx.api.call('PUT', SSO_PATH, { query: q, body: { saml: null } });
        ctx.refresh('Single sign-on removed.');
      } catch (error) {
        messages.error(`Removing failed: ${problem(error)}`);
      } finally {
        remove.disabled = false;
      }
    },
    { class: 'danger' },
  );
  return h(
    'form',
    {
      class: 'settings',
      attrs: { 'aria-label': 'Single sign-on' },
      on: {
        submit: async (event) => {
          event.preventDefault();
          messages.clear();
          if (issuer.value.trim() === '') return messages.error("Enter the identity provider's issuer, or remove single sign-on.");
          const body: Partial<SsoDocument> = {
            saml: {
              idpIssuer: issuer.value.trim(),
              idpCerts: certs.value.match(PEM_BLOCK) ?? [],
              ...(audience.value.trim() === '' ? {} : { audience: audience.value.trim() }),
              loginNameAttribute: attribute.value.trim() || 'loginName',
              enforce: enforce.checked,
            },
          };
          save.disabled = true;
          try {
            await ctx.api.call('PUT', SSO_PATH, { query: q, body });
            ctx.refresh('Single sign-on saved.');
          } catch (error) {
            messages.error(`Saving failed: ${problem(error)}`);
          } finally {
            save.disabled = false;
          }
        },
      },
    },
    h(
      'fieldset',
      null,
      h('legend', null, 'Single sign-on'),
      field('Identity provider issuer', issuer, saml ? undefined : 'None configured: SSO logins are refused.'),
      field('Identity provider certificates (PEM)', certs),
      field('Audience', audience, 'Empty: urn:login-service:account:<account id>'),
      field('Login name attribute', attribute),
      field('Refuse password logins of people', enforce),
    ),
    messages.el,
    h('div', { class: 'actions' }, saml ? remove : null, save),
  );
}

/**
 * The account's OpenID Connect provider (docs/SSO.md, "OpenID Connect").
 * The client secret is never shown: left empty, Save keeps the current one.
 * Save replaces this connection (PUT {oidc}), Remove deletes it (PUT {oidc: null});
 * the SAML one above is not touched.
 */
function oidcForm(ctx: PageContext, oidc: OidcConfig | null): HTMLElement {
  const messages = messageArea();
  const issuer = input({ name: 'oidc.issuer', value: oidc?.issuer ?? '' });
  const clientId = input({ name: 'oidc.clientId', value: oidc?.clientId ?? '' });
  const clientSecret = input({ name: 'oidc.clientSecret', type: 'password', autocomplete: 'off' });
  const displayName = input({ name: 'oidc.displayName', value: oidc?.displayName ?? '' });
  const claim = input({ name: 'oidc.loginNameClaim', value: oidc?.loginNameClaim ?? '' });
  const enforce = input({ type: 'checkbox', name: 'oidc.enforce', checked: oidc?.enforce ?? false });
  const save = h('button', { type: 'submit', class: 'primary' }, 'Save OpenID Connect');
  const remove = button(
    'Remove OpenID Connect',
    async () => {
      if (!(await confirmAction('Remove the OpenID Connect provider? Its sign-ins are refused.', 'Remove'))) return;
      messages.clear();
      remove.disabled = true;
      try {
        await ctx.api.call('PUT', SSO_PATH, { query: q, body: { oidc: null } });
        ctx.refresh('OpenID Connect removed.');
      } catch (error) {
        messages.error(`Removing failed: ${problem(error)}`);
      } finally {
        remove.disabled = false;
      }
    },
    { class: 'danger' },
  );
  return h(
    'form',
    {
      class: 'settings',
      attrs: { 'aria-label': 'OpenID Connect' },
      on: {
        submit: async (event) => {
          event.preventDefault();
          messages.clear();
          if (issuer.value.trim() === '' || clientId.value.trim() === '') return messages.error("Enter the provider's issuer and the client id, or remove OpenID Connect.");
          const body = {
            oidc: {
              issuer: issuer.value.trim(),
              clientId: clientId.value.trim(),
              ...(clientSecret.value === '' ? {} : { clientSecret: clientSecret.value }),
              ...(displayName.value.trim() === '' ? {} : { displayName: displayName.value.trim() }),
              ...(claim.value.trim() === '' ? {} : { loginNameClaim: claim.value.trim() }),
              enforce: enforce.checked,
            },
          };
          save.disabled = true;
          try {
            await ctx.api.call('PUT', SSO_PATH, { query: q, body });
            ctx.refresh('OpenID Connect saved.');
          } catch (error) {
            messages.error(`Saving failed: ${problem(error)}`);
          } finally {
            save.disabled = false;
          }
        },
      },
    },
    h(
      'fieldset',
      null,
      h('legend', null, 'OpenID Connect'),
      field('Issuer', issuer, oidc ? undefined : 'None configured: OpenID Connect sign-ins are refused.'),
      field('Client id', clientId),
      field('Client secret', clientSecret, oidc?.clientSecretSet ? 'Set; leave empty to keep it.' : 'None: leave empty for a public client.'),
      field('Button name', displayName, 'Shown as "Sign in with <name>"'),
      field('Login name claim', claim, 'Empty: preferred_username, then email'),
      field("Enforce: refuse people's password logins", enforce),
    ),
    messages.el,
    h('div', { class: 'actions' }, oidc ? remove : null, save),
  );
}

export async function settingsPage(ctx: PageContext): Promise<Node> {
  const [{ body: settings, revision }, { body: sso }] = await Promise.all([ctx.api.get<Settings>(paths.settings, q), ctx.api.get<SsoDocument>(SSO_PATH, q)]);
  const messages = messageArea();
  const editors = Object.entries(settings).map(([name, value]) => [name, editorFor(name, value, name)] as const);
  const save = h('button', { type: 'submit', class: 'primary' }, 'Save settings');
  const settingsForm = h(
    'form',
    {
      class: 'settings',
      attrs: { 'aria-label': 'Settings' },
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
  return h('div', null, settingsForm, ssoForm(ctx, sso.saml), oidcForm(ctx, sso.oidc));
}

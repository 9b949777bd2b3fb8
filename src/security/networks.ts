/**
 * Address ranges: the networks an account's people may log in from
 * (`ipRestrictions`) and the addresses an API key may be used from
 * (`ipAllowlist`). Parsing and matching are ipaddr.js's; this module only
 * decides what text is accepted and turns ranges into comparable numbers.
 *
 * Accepted: IPv4 in dotted four-part decimal only (no "10.1", no hex: forms a
 * reader would misjudge), IPv6 without zone, CIDR blocks of either family
 * (host bits are ignored: 10.0.0.7/24 is 10.0.0.0/24), and ranges FROM-TO of
 * one family with FROM ≤ TO. An IPv4-mapped IPv6 client address
 * (::ffff:a.b.c.d, as a dual-stack socket reports IPv4 peers) is matched as
 * its IPv4 address.
 *
 * This module is bundled into the web console too: it imports nothing from Node.
 */
import ipaddr from 'ipaddr.js';
import { InvalidInputError } from '../errors.js';

export type AddressFamily = 'ipv4' | 'ipv6';

/** An inclusive range of addresses of one family, as numbers. */
export interface NumericRange {
  family: AddressFamily;
  first: bigint;
  last: bigint;
}

type Parsed = ipaddr.IPv4 | ipaddr.IPv6;

function toNumber(address: Parsed): bigint {
  let n = 0n;
  for (const byte of address.toByteArray()) n = (n << 8n) | BigInt(byte);
  return n;
}

const bitsOf = (family: AddressFamily): number => (family === 'ipv4' ? 32 : 128);

/** A single address as typed by a person, or null when it is none (strict: see the module's header). */
export function parseAddressText(text: string): Parsed | null {
  const t = text.trim();
  if (t.length === 0 || t.length > 64) return null;
  if (ipaddr.IPv4.isValidFourPartDecimal(t)) return ipaddr.IPv4.parse(t);
  if (t.includes(':') && !t.includes('%') && ipaddr.IPv6.isValid(t)) return ipaddr.IPv6.parse(t);
  return null;
}

/** A client address as the server sees it (request.ip), IPv4-mapped IPv6 as IPv4; null when unreadable. */
export function clientAddress(ip: string): { family: AddressFamily; value: bigint } | null {
  const t = ip.split('%', 1)[0]!;
  if (!ipaddr.isValid(t)) return null;
  const address = ipaddr.process(t);
  return { family: address.kind(), value: toNumber(address) };
}

function cidrRange(text: string): NumericRange | null {
  const slash = text.indexOf('/');
  if (slash < 0) return null;
  const address = parseAddressText(text.slice(0, slash));
  const prefixText = text.slice(slash + 1).trim();
  if (!address || !/^\d{1,3}$/.test(prefixText)) return null;
  const family = address.kind();
  const bits = bitsOf(family);
  const prefix = Number(prefixText);
  if (prefix > bits) return null;
  const hostBits = BigInt(bits - prefix);
  const hostMask = (1n << hostBits) - 1n;
  const first = toNumber(address) & ~hostMask & ((1n << BigInt(bits)) - 1n);
  return { family, first, last: first | hostMask };
}

function fromTo(fromText: string, toText: string, name: string): NumericRange {
  const from = parseAddressText(fromText);
  if (!from) throw new InvalidInputError(`${name}: "${fromText.slice(0, 64)}" is not an IPv4 or IPv6 address`);
  const to = parseAddressText(toText);
  if (!to) throw new InvalidInputError(`${name}: "${toText.slice(0, 64)}" is not an IPv4 or IPv6 address`);
  if (from.kind() !== to.kind()) throw new InvalidInputError(`${name}: from and to must be of one family (both IPv4 or both IPv6)`);
  const first = toNumber(from);
  const last = toNumber(to);
  if (first > last) throw new InvalidInputError(`${name}: from must not come after to`);
  return { family: from.kind(), first, last };
}

/** `{from, to}` or `{cidr}` as numbers; InvalidInputError naming `name` when it is not a valid range. */
export function parseRange(range: { from?: unknown; to?: unknown; cidr?: unknown }, name = 'range'): NumericRange {
  if (typeof range.cidr === 'string' && range.from === undefined && range.to === undefined) {
    const parsed = cidrRange(range.cidr);
    if (!parsed) throw new InvalidInputError(`${name}: "${range.cidr.slice(0, 64)}" is not a CIDR block (address/prefix, e.g. 10.0.0.0/8 or 2001:db8::/32)`);
    return parsed;
  }
  if (typeof range.from === 'string' && typeof range.to === 'string' && range.cidr === undefined) return fromTo(range.from, range.to, name);
  throw new InvalidInputError(`${name}: either from and to, or cidr`);
}

/**
 * One entry of a key's allowlist, or one `--ip-range` of the CLI: a single
 * address, `FROM-TO`, or a CIDR block.
 */
export function parseRangeText(text: string, name = 'range'): NumericRange {
  const t = text.trim();
  if (t.includes('/')) return parseRange({ cidr: t }, name);
  const dash = t.indexOf('-');
  if (dash >= 0) return fromTo(t.slice(0, dash), t.slice(dash + 1), name);
  const address = parseAddressText(t);
  if (!address) throw new InvalidInputError(`${name}: "${t.slice(0, 64)}" is not an address, FROM-TO range or CIDR block`);
  const value = toNumber(address);
  return { family: address.kind(), first: value, last: value };
}

/** Whether the client address `ip` lies in one of `ranges`; an unreadable address lies in none. */
export function addressInRanges(ranges: readonly NumericRange[], ip: string): boolean {
  const client = clientAddress(ip);
  if (!client) return false;
  return ranges.some((r) => r.family === client.family && r.first <= client.value && client.value <= r.last);
}

/**
 * Whether an API key (or an OAuth installation) with this allowlist may be
 * used from `ip`: an absent or empty list allows every address. Entries are
 * checked when stored; one that no longer parses allows nothing.
 */
export function addressAllowed(allowlist: readonly string[] | null | undefined, ip: string): boolean {
  if (!allowlist || allowlist.length === 0) return true;
  const ranges: NumericRange[] = [];
  for (const entry of allowlist) {
    try {
      ranges.push(parseRangeText(entry));
    } catch {
      // A stored entry that does not parse widens nothing.
    }
  }
  return addressInRanges(ranges, ip);
}

export const MAX_ALLOWLIST_ENTRIES = 100;

/** An allowlist as given (API body, CLI): each entry checked, trimmed, duplicates dropped; InvalidInputError otherwise. */
export function parseAllowlist(entries: readonly unknown[], name = 'ipAllowlist'): string[] {
  if (entries.length > MAX_ALLOWLIST_ENTRIES) throw new InvalidInputError(`${name}: at most ${MAX_ALLOWLIST_ENTRIES} entries`);
  const out: string[] = [];
  entries.forEach((entry, i) => {
    if (typeof entry !== 'string') throw new InvalidInputError(`${name}[${i}] must be a string`);
    parseRangeText(entry, `${name}[${i}]`);
    const t = entry.trim();
    if (!out.includes(t)) out.push(t);
  });
  return out;
}

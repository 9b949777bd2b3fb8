/**
 * Login names are compared as RFC 8265 (PRECIS) compares usernames, profile
 * UsernameCaseMapped, so that names that look alike are one name: `ａｄｍｉｎ`
 * (fullwidth) is `admin`, `café` is one name whether é is one code point or
 * two, and `Kate` with a Kelvin sign is `kate`. Characters that would let two
 * different-looking names pass for one (invisible, control and bidi-control
 * characters, compatibility variants) are refused.
 *
 * `loginNameKey` is the one place that computes the comparison key: every
 * store keys users by it (login_name_key), and every lookup goes through it.
 * The name as typed is kept for display.
 *
 * What the profile does, in order (RFC 8264 §7, RFC 8265 §3.3/3.4):
 * 1. width mapping: fullwidth and halfwidth forms become their usual forms;
 * 2. the string must then hold only IdentifierClass code points (below);
 * 3. case mapping by Unicode Default Case Folding (full folding);
 * 4. NFC;
 * 5. the result must be non-empty and again only IdentifierClass code points.
 *
 * IdentifierClass, as implemented: letters (Ll, Lu, Lo, Lm), decimal digits
 * (Nd), combining marks (Mn, Mc) and printable ASCII. Refused: controls and
 * format characters (Cc, Cf: zero-width spaces and joiners, bidi controls,
 * soft hyphen), every Default_Ignorable_Code_Point, unassigned, private-use
 * and surrogate code points, non-ASCII spaces, punctuation and symbols, and
 * characters with a compatibility decomposition (ﬁ, ², ℌ, µ, ſ…).
 * Stricter than the RFC: ZWJ/ZWNJ are refused in every context. Looser than
 * it: the bidi rule of RFC 5893 is not checked (JavaScript has no Bidi_Class
 * property), and one ASCII space between parts is allowed, each part being a
 * username on its own (RFC 8265 §3.5), because existing login names have them.
 */
import unhomoglyph from 'unhomoglyph';

/** Why a name is not a valid login name; the message is for the person who typed it. */
export class LoginNameError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LoginNameError';
  }
}

/** Longest login name, in code points (as typed). */
export const LOGIN_NAME_MAX_LENGTH = 256;

/** <wide> and <narrow> compatibility mappings: U+3000 and the Halfwidth and Fullwidth Forms block. */
const WIDE_OR_NARROW = /[\u3000\uff01-\uffee]/gu;

const ALLOWED = /^[\p{Ll}\p{Lu}\p{Lo}\p{Lm}\p{Nd}\p{Mn}\p{Mc}\x21-\x7e]$/u;
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Default_Ignorable_Code_Point}\p{Bidi_Control}]/u;

function describe(char: string): string {
  return `U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
}

function widthMapped(name: string): string {
  return name.replace(WIDE_OR_NARROW, (c) => c.normalize('NFKC'));
}

/** The reason one code point is refused, or null when IdentifierClass allows it. */
function refusal(char: string): string | null {
  if (char === ' ') return null; // between parts only: checked on the whole name
  if (INVISIBLE.test(char)) return `an invisible or control character (${describe(char)})`;
  if (!ALLOWED.test(char)) return `a character not allowed in login names (${describe(char)})`;
  if (char.normalize('NFKC') !== char.normalize('NFC')) return `a compatibility character (${describe(char)}: use ${JSON.stringify(char.normalize('NFKC'))})`;
  return null;
}

function checkCharacters(name: string): void {
  for (const char of name) {
    const problem = refusal(char);
    if (problem) throw new LoginNameError(`login name contains ${problem}`);
  }
}

/**
 * Unicode full case folding. Upper-casing then lower-casing each code point
 * folds what toLowerCase alone leaves apart (ſ, µ, ς, ϐ, ß→ss, ﬀ→ff, the
 * Greek iota subscripts); two code points need their folding stated: ẞ folds
 * to "ss" like ß, and dotless ı stays itself (it is not a case of i).
 */
export function caseFold(text: string): string {
  let folded = '';
  for (const char of text) {
    if (char === '\u0131') folded += char;
    else if (char === '\u1e9e') folded += 'ss';
    else folded += char.toUpperCase().toLowerCase();
  }
  return folded;
}

/**
 * The comparison key of a login name: equal keys are the same name. Throws
 * LoginNameError for a name that is not valid (see the header).
 */
export function loginNameKey(name: string): string {
  if ([...name].length > LOGIN_NAME_MAX_LENGTH) throw new LoginNameError(`login name must be at most ${LOGIN_NAME_MAX_LENGTH} characters`);
  const mapped = widthMapped(name);
  checkCharacters(mapped);
  const key = caseFold(mapped).normalize('NFC');
  if (key.length === 0) throw new LoginNameError('login name must not be empty');
  if (key.startsWith(' ') || key.endsWith(' ') || key.includes('  ')) throw new LoginNameError('login name must not start or end with a space, nor have two in a row');
  checkCharacters(key);
  return key;
}

/**
 * Unicode's script codes (ISO 15924), as the engine knows them for
 * `\p{Script_Extensions=…}`: every value it accepts, less Common (Zyyy),
 * Inherited (Zinh), Unknown (Zzzz) and the aliases Qaac and Qaai. Codes
 * the running engine does not know yet are skipped.
 */
const SCRIPT_CODES =
  'Adlm Aghb Ahom Arab Armi Armn Avst Bali Bamu Bass Batk Beng Berf Bhks Bopo Brah Brai Bugi Buhd Cakm Cans Cari Cham Cher Chrs Copt Cpmn Cprt Cyrl Deva Diak Dogr Dsrt Dupl Egyp Elba Elym Ethi Gara Geor Glag Gong Gonm Goth Gran Grek Gujr Gukh Guru Hang Hani Hano Hatr Hebr Hira Hluw Hmng Hmnp Hung Ital Java Kali Kana Kawi Khar Khmr Khoj Kits Knda Krai Kthi Lana Laoo Latn Lepc Limb Lina Linb Lisu Lyci Lydi Mahj Maka Mand Mani Marc Medf Mend Merc Mero Miao Mlym Modi Mong Mroo Mtei Mult Mymr Nagm Nand Narb Nbat Newa Nkoo Nshu Ogam Olck Onao Orkh Orya Osge Osma Ougr Palm Pauc Perm Phag Phli Phlp Phnx Plrd Prti Rjng Rohg Runr Samr Sarb Saur Sgnw Shaw Shrd Sidd Sidt Sind Sinh Sogd Sogo Sora Soyo Sund Sunu Sylo Syrc Tagb Takr Tale Talu Taml Tang Tavt Tayo Telu Tfng Tglg Thaa Thai Tibt Tirh Tnsa Todr Tols Toto Tutg Ugar Vaii Vith Wara Wcho Xpeo Xsux Yezi Yiii Zanb'.split(' ');

let scriptTests: Array<[string, RegExp]> | null = null;
function scriptPatterns(): Array<[string, RegExp]> {
  return (scriptTests ??= SCRIPT_CODES.flatMap((code): Array<[string, RegExp]> => {
    try {
      return [[code, new RegExp(`^\\p{Script_Extensions=${code}}$`, 'u')]];
    } catch {
      return [];
    }
  }));
}

/** Common and Inherited characters (ASCII digits and punctuation, combining marks) belong to every script. */
const SCRIPT_NEUTRAL = /^[\p{Script_Extensions=Zyyy}\p{Script_Extensions=Zinh}]$/u;

/**
 * UTS #39's augmented script sets: Japanese mixes Han with the kana and Korean
 * Han with Hangul, so those names are single-script writing.
 */
const AUGMENTED: Record<string, string[]> = { Hani: ['Hanb', 'Jpan', 'Kore'], Hira: ['Jpan'], Kana: ['Jpan'], Hang: ['Kore'], Bopo: ['Hanb'] };

const scriptSets = new Map<number, ReadonlySet<string> | null>();
/** The augmented Script_Extensions of one character; null for a script-neutral one. */
function scriptsOf(char: string): ReadonlySet<string> | null {
  const cp = char.codePointAt(0)!;
  let scripts = scriptSets.get(cp);
  if (scripts === undefined) {
    if (SCRIPT_NEUTRAL.test(char)) scripts = null;
    else {
      const found = new Set<string>();
      for (const [code, pattern] of scriptPatterns()) if (pattern.test(char)) for (const s of [code, ...(AUGMENTED[code] ?? [])]) found.add(s);
      scripts = found;
    }
    scriptSets.set(cp, scripts);
  }
  return scripts;
}

/**
 * Refuses a name whose letters are not all of one script (UTS #39 §5.1, the
 * resolved script set must not be empty): `аgentA`, with a Cyrillic а among
 * Latin letters, is refused; digits, ASCII punctuation and combining marks go
 * with any script. Applied to new and renamed names only: existing names keep
 * working (the comparison key does not depend on it).
 */
export function checkSingleScript(name: string): void {
  let resolved: Set<string> | null = null;
  for (const char of widthMapped(name).normalize('NFC')) {
    const scripts = scriptsOf(char);
    if (scripts === null) continue;
    const next: Set<string> = resolved === null ? new Set(scripts) : new Set([...resolved].filter((s) => scripts.has(s)));
    if (next.size === 0) throw new LoginNameError(`login name mixes scripts: ${describe(char)} is not of the same script as the letters before it (a name is written in one script)`);
    resolved = next;
  }
}

/**
 * The confusable skeleton of a login name (UTS #39 §4): NFD, each character
 * replaced by its prototype from Unicode's confusables.txt (the data of the
 * `unhomoglyph` package), NFD again; taken of the comparison key, and folded
 * again, so that names compared ignoring case are compared so here too (`0`
 * and `O` are confusable, `O` and `o` the same name). Two names with equal
 * skeletons look alike: `kate` and `kаte` (Cyrillic а), `modern` and `rnodern`.
 */
export function lookAlikeSkeleton(name: string): string {
  let found = skeletons.get(name);
  if (found === undefined) {
    const skeleton = (text: string) => unhomoglyph(text.normalize('NFD')).normalize('NFD');
    found = skeleton(caseFold(skeleton(loginNameKey(name))));
    if (skeletons.size >= SKELETONS_KEPT) skeletons.clear();
    skeletons.set(name, found);
  }
  return found;
}

/**
 * Skeletons already computed, by name: a new name is compared with every name
 * of its account, and computing one costs tens of microseconds (mostly the
 * comparison key), which an account of 10,000 users would pay on each create.
 */
const skeletons = new Map<string, string>();
const SKELETONS_KEPT = 100_000;

/** The key, or null when the name is not valid: lookups by an invalid name find nobody. */
export function loginNameKeyOrNull(name: string): string | null {
  try {
    return loginNameKey(name);
  } catch (e) {
    if (e instanceof LoginNameError) return null;
    throw e;
  }
}

/**
 * The key stored for a user whose name no longer has a key of its own: it
 * collides with an older user's, or is no longer valid. It starts with a
 * control character, which no valid key holds, so no login can reach it;
 * the user id makes it unique.
 */
export function unreachableKey(userId: string): string {
  return `\u0001${userId}`;
}

/**
 * The key a store saves with a user. A name that is not valid (services refuse
 * those; an import of an older dump may still hold one) gets an unreachable key
 * rather than failing, and is reported like a conflict.
 */
export function storedLoginNameKey(user: { userId: string; loginName: string }): string {
  return loginNameKeyOrNull(user.loginName) ?? unreachableKey(user.userId);
}

export interface NamedUser {
  accountId: string;
  userId: string;
  loginName: string;
  createdAt: number;
}

/** Users whose names are one name after normalisation, or a name that is no longer valid. */
export interface LoginNameConflict {
  accountId: string;
  /** The shared key; null for names that are no longer valid. */
  key: string | null;
  /** The user who keeps the name (the oldest); null for names that are no longer valid. */
  holder: NamedUser | null;
  /** Users who cannot log in until an administrator resolves the conflict. */
  others: NamedUser[];
  /** Why the others cannot log in. */
  reason: string;
}

/**
 * The key each user gets, and the conflicts: of users whose names share a key,
 * the oldest (then lowest user id) keeps it and the others get unreachable
 * keys; a name that is no longer valid gets an unreachable key too. Nothing is
 * merged: every user stays, and the conflicts are reported.
 */
export function planLoginNameKeys(users: readonly NamedUser[]): { keys: Map<string, string>; conflicts: LoginNameConflict[] } {
  const keys = new Map<string, string>();
  const conflicts: LoginNameConflict[] = [];
  const groups = new Map<string, NamedUser[]>();
  for (const user of users) {
    let key: string;
    try {
      key = loginNameKey(user.loginName);
    } catch (e) {
      if (!(e instanceof LoginNameError)) throw e;
      keys.set(user.userId, unreachableKey(user.userId));
      conflicts.push({ accountId: user.accountId, key: null, holder: null, others: [user], reason: e.message });
      continue;
    }
    const group = `${user.accountId}\n${key}`;
    groups.set(group, [...(groups.get(group) ?? []), user]);
  }
  for (const group of groups.values()) {
    const [holder, ...others] = [...group].sort((a, b) => a.createdAt - b.createdAt || (a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : 0));
    const key = loginNameKey(holder!.loginName);
    keys.set(holder!.userId, key);
    for (const other of others) keys.set(other.userId, unreachableKey(other.userId));
    if (others.length > 0) {
      conflicts.push({ accountId: holder!.accountId, key, holder: holder!, others, reason: `same login name as ${holder!.loginName} after normalisation` });
    }
  }
  return { keys, conflicts };
}

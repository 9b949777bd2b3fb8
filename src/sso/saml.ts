/**
 * Checking a SAML 2.0 assertion sent to the login URL: a bare saml:Assertion,
 * or a samlp:Response holding exactly one.
 *
 * Signatures are checked by xml-crypto; this file only decides which element
 * must carry the signature, and then reads nothing but the XML that
 * xml-crypto reports as signed (`getSignedReferences`). Whatever else the
 * document holds — a forged assertion beside the signed one, text hidden
 * behind comments, changes after signing — is never read. The shape of those
 * checks follows @node-saml/node-saml (`getVerifiedXml`): exactly one
 * enveloped signature, one reference, pointing at its parent, whose ID is
 * unique in the document.
 *
 * Everything here runs on the event loop before the sender is known, so each
 * step is bounded before it starts: the text's length is checked first, the
 * patterns run in linear time, and a linear scan of the XML refuses documents
 * too deep or with too many nodes before any DOM parser sees them
 * (docs/SSO.md, "Limits").
 */
import { DOMParser, type Element, type Node as XmlNode } from '@xmldom/xmldom';
import { SignedXml } from 'xml-crypto';
import type { SsoConfig } from './model.js';

export const SAML_ASSERTION_NS = 'urn:oasis:names:tc:SAML:2.0:assertion';
export const SAML_PROTOCOL_NS = 'urn:oasis:names:tc:SAML:2.0:protocol';
const XMLDSIG_NS = 'http://www.w3.org/2000/09/xmldsig#';
const STATUS_SUCCESS = 'urn:oasis:names:tc:SAML:2.0:status:Success';

/** Clocks of the identity provider and of this server may differ this much. */
export const CLOCK_SKEW_MS = 60_000;
/** Largest decoded document: assertions with a certificate and a few attributes are a few KiB. */
export const MAX_SAML_BYTES = 48 * 1024;
/** Largest assertion as sent, line breaks included: the base64 of MAX_SAML_BYTES (and the login body's own limit). */
export const MAX_ASSERTION_CHARS = 64 * 1024;
/** Deepest element nesting: a signed response with an assertion in its Advice is about 10 deep. */
export const MAX_XML_DEPTH = 32;
/** Most nodes (elements, attributes, comments, processing instructions, CDATA sections) in a document. */
export const MAX_XML_NODES = 2000;
/**
 * Latest end of validity an assertion may have, from now: its mark against
 * replay is kept until it ends, so an assertion valid until the year 9999
 * would be remembered that long. Identity providers give a few minutes.
 */
export const MAX_VALIDITY_MS = 10 * 60_000;

/**
 * Signature and digest algorithms accepted: the SHA-2 ones xml-crypto verifies.
 * SHA-1 is refused (collisions can be made), as is HMAC (its key would be the public certificate).
 */
const ALLOWED_SIGNATURE_ALGORITHMS = new Set([
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512',
]);
const ALLOWED_DIGEST_ALGORITHMS = new Set(['http://www.w3.org/2001/04/xmlenc#sha256', 'http://www.w3.org/2001/04/xmlenc#sha512']);

/** Transforms an enveloped SAML signature uses; anything else (XPath, XSLT, c14n with comments) is refused. */
const ALLOWED_TRANSFORMS = new Set([
  'http://www.w3.org/2000/09/xmldsig#enveloped-signature',
  'http://www.w3.org/2001/10/xml-exc-c14n#',
  'http://www.w3.org/TR/2001/REC-xml-c14n-20010315',
]);

/** Why an assertion was refused; the audit event names it, the client sees the same 401 for all. */
export type SsoRefusal =
  | 'not_base64'
  | 'too_large'
  | 'too_deep'
  | 'too_many_nodes'
  | 'doctype'
  | 'not_xml'
  | 'not_saml'
  | 'response_status'
  | 'assertion_count'
  | 'encrypted_assertion'
  | 'bad_signature'
  | 'weak_algorithm'
  | 'no_id'
  | 'wrong_issuer'
  | 'wrong_audience'
  | 'bad_time'
  | 'not_yet_valid'
  | 'expired'
  | 'validity_too_long'
  | 'no_expiry'
  | 'no_login_name';

export interface VerifiedAssertion {
  id: string;
  issuer: string;
  loginName: string;
  /** The earliest NotOnOrAfter: the assertion is worthless after it (plus the skew). */
  notOnOrAfter: number;
}

export type AssertionCheck = { ok: true; assertion: VerifiedAssertion } | { ok: false; reason: SsoRefusal };

class Refused extends Error {
  constructor(readonly reason: SsoRefusal) {
    super(reason);
  }
}

/** Base64 once its line breaks and spaces are removed: no character class overlaps the next, so it runs in linear time. */
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Checks `base64` against the account's identity provider at time `now`. Never throws. */
export function verifySamlAssertion(base64: string, config: SsoConfig, audience: string, now: number): AssertionCheck {
  try {
    return { ok: true, assertion: verify(base64, config, audience, now) };
  } catch (e) {
    return { ok: false, reason: e instanceof Refused ? e.reason : 'not_xml' };
  }
}

function verify(base64: string, config: SsoConfig, audience: string, now: number): VerifiedAssertion {
  if (base64.length > MAX_ASSERTION_CHARS) throw new Refused('too_large');
  const compact = base64.replace(/[\r\n ]+/g, '');
  if (!BASE64.test(compact)) throw new Refused('not_base64');
  if ((compact.length * 3) / 4 > MAX_SAML_BYTES) throw new Refused('too_large');
  // The XML processor normalises line endings; the signature was computed over normalised text.
  const xml = Buffer.from(compact, 'base64').toString('utf8').replace(/\r\n?/g, '\n');
  // No document type at all: SAML has no use for one, and it is how entity expansion and external entities arrive.
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) throw new Refused('doctype');
  // Every parse below (ours and xml-crypto's) reads this document or a part of it.
  const shape = shapeProblem(xml);
  if (shape) throw new Refused(shape);
  const root = parse(xml).documentElement;
  if (!root) throw new Refused('not_xml');

  let signedAssertion: Element;
  if (isElement(root, SAML_PROTOCOL_NS, 'Response')) {
    if (children(root, SAML_ASSERTION_NS, 'EncryptedAssertion').length > 0) throw new Refused('encrypted_assertion');
    const assertions = children(root, SAML_ASSERTION_NS, 'Assertion');
    if (assertions.length !== 1) throw new Refused('assertion_count');
    // A response that does not say Success is refused even when unsigned: reading it can only refuse.
    checkStatus(root);
    const signedResponse = signedXml(xml, root, config.idpCerts);
    if (signedResponse !== null) {
      const response = parse(signedResponse).documentElement!;
      checkStatus(response);
      const inside = children(response, SAML_ASSERTION_NS, 'Assertion');
      if (inside.length !== 1) throw new Refused('assertion_count');
      signedAssertion = inside[0]!;
    } else {
      const signed = signedXml(xml, assertions[0]!, config.idpCerts);
      if (signed === null) throw new Refused('bad_signature');
      signedAssertion = parse(signed).documentElement!;
    }
  } else if (isElement(root, SAML_ASSERTION_NS, 'Assertion')) {
    const signed = signedXml(xml, root, config.idpCerts);
    if (signed === null) throw new Refused('bad_signature');
    signedAssertion = parse(signed).documentElement!;
  } else {
    throw new Refused('not_saml');
  }
  if (!isElement(signedAssertion, SAML_ASSERTION_NS, 'Assertion')) throw new Refused('not_saml');
  return readAssertion(signedAssertion, config, audience, now);
}

/** What the assertion says, read only from the signed XML. */
function readAssertion(assertion: Element, config: SsoConfig, audience: string, now: number): VerifiedAssertion {
  const id = assertion.getAttribute('ID');
  if (!id) throw new Refused('no_id');
  const issuer = children(assertion, SAML_ASSERTION_NS, 'Issuer')[0];
  if (!issuer || text(issuer) !== config.idpIssuer) throw new Refused('wrong_issuer');

  const conditions = children(assertion, SAML_ASSERTION_NS, 'Conditions');
  if (conditions.length > 1) throw new Refused('bad_time');
  // Every AudienceRestriction must name us, and there must be one.
  const restrictions = conditions.flatMap((c) => children(c, SAML_ASSERTION_NS, 'AudienceRestriction'));
  if (restrictions.length === 0 || !restrictions.every((r) => children(r, SAML_ASSERTION_NS, 'Audience').some((a) => text(a) === audience))) {
    throw new Refused('wrong_audience');
  }

  const subject = children(assertion, SAML_ASSERTION_NS, 'Subject')[0];
  const confirmations = subject
    ? children(subject, SAML_ASSERTION_NS, 'SubjectConfirmation').flatMap((c) => children(c, SAML_ASSERTION_NS, 'SubjectConfirmationData'))
    : [];
  let notOnOrAfter = Infinity;
  for (const element of [...conditions, ...confirmations]) {
    const notBefore = time(element.getAttribute('NotBefore'));
    const end = time(element.getAttribute('NotOnOrAfter'));
    if (notBefore !== null && now + CLOCK_SKEW_MS < notBefore) throw new Refused('not_yet_valid');
    if (end !== null) {
      if (now - CLOCK_SKEW_MS >= end) throw new Refused('expired');
      notOnOrAfter = Math.min(notOnOrAfter, end);
    }
  }
  // Without an end, an assertion could be replayed for ever: it could not be remembered until it expires.
  if (notOnOrAfter === Infinity) throw new Refused('no_expiry');
  if (notOnOrAfter > now + MAX_VALIDITY_MS) throw new Refused('validity_too_long');

  const loginName = attributeValue(assertion, config.loginNameAttribute) ?? (subject ? children(subject, SAML_ASSERTION_NS, 'NameID').map(text)[0] : undefined);
  if (!loginName) throw new Refused('no_login_name');
  return { id, issuer: text(issuer), loginName, notOnOrAfter };
}

/** A response must say Success: exactly one Status, whose top-level StatusCode is Success. */
function checkStatus(response: Element): void {
  const status = children(response, SAML_PROTOCOL_NS, 'Status');
  const codes = status.length === 1 ? children(status[0]!, SAML_PROTOCOL_NS, 'StatusCode') : [];
  if (codes.length !== 1 || codes[0]!.getAttribute('Value') !== STATUS_SUCCESS) throw new Refused('response_status');
}

function attributeValue(assertion: Element, name: string): string | undefined {
  for (const statement of children(assertion, SAML_ASSERTION_NS, 'AttributeStatement')) {
    for (const attribute of children(statement, SAML_ASSERTION_NS, 'Attribute')) {
      if (attribute.getAttribute('Name') !== name) continue;
      const value = children(attribute, SAML_ASSERTION_NS, 'AttributeValue').map(text)[0];
      if (value) return value;
    }
  }
  return undefined;
}

/**
 * The canonical XML that the one signature of `element` covers, when a
 * configured certificate verifies it; null otherwise.
 */
function signedXml(xml: string, element: Element, certs: string[]): string | null {
  const signatures = children(element, XMLDSIG_NS, 'Signature');
  if (signatures.length !== 1) return null;
  const id = element.getAttribute('ID');
  if (!id) return null;
  // An ID that two elements carry is how a forged element gets a signed one's digest
  // (xml-crypto looks references up by ID, Id or id).
  let holders = 0;
  walk(element.ownerDocument!.documentElement!, (e) => {
    for (const name of ['ID', 'Id', 'id']) if (e.getAttribute(name) === id) holders++;
  });
  if (holders !== 1) return null;
  for (const cert of certs) {
    // No getCertFromKeyInfo: a certificate inside the document is never trusted, only the configured ones.
    const sig = new SignedXml({ publicCert: cert });
    try {
      sig.loadSignature(signatures[0] as never);
      const references = sig.getReferences();
      if (references.length !== 1 || references[0]!.uri !== `#${id}`) return null;
      if (!ALLOWED_SIGNATURE_ALGORITHMS.has(sig.signatureAlgorithm ?? '') || !ALLOWED_DIGEST_ALGORITHMS.has(references[0]!.digestAlgorithm ?? '')) {
        throw new Refused('weak_algorithm');
      }
      if (!references[0]!.transforms.every((t) => ALLOWED_TRANSFORMS.has(t))) return null;
      if (!sig.checkSignature(xml)) continue;
      const signed = sig.getSignedReferences();
      if (signed.length === 1) return signed[0]!;
    } catch (e) {
      if (e instanceof Refused) throw e;
      // Not verified with this certificate; try the next one.
    }
  }
  return null;
}

/**
 * Why the document is too deep or too large for the DOM parser, or null: one
 * pass over the text that finds the markup as an XML parser does (comments,
 * CDATA sections, processing instructions, quoted attribute values), counting
 * nodes and open elements. Text it cannot read is refused; the document has
 * no document type (checked before), so no entity can add markup.
 */
export function shapeProblem(xml: string): 'too_deep' | 'too_many_nodes' | 'not_xml' | null {
  // Names of the open elements: an end tag must close the innermost, as the parser requires.
  const open: string[] = [];
  let nodes = 0;
  let i = xml.indexOf('<');
  while (i !== -1) {
    let end: number;
    if (xml.startsWith('<!--', i)) {
      end = closing(xml, '-->', i + 4);
      nodes++;
    } else if (xml.startsWith('<![CDATA[', i)) {
      end = closing(xml, ']]>', i + 9);
      nodes++;
    } else if (xml.startsWith('<?', i)) {
      end = closing(xml, '?>', i + 2);
      nodes++;
    } else if (xml.startsWith('</', i)) {
      end = closing(xml, '>', i + 2);
      if (end === -1 || open.pop() !== xml.slice(i + 2, end - 1).trim()) return 'not_xml';
    } else if (xml.startsWith('<!', i)) {
      return 'not_xml';
    } else {
      // A start tag: up to the first '>' outside quotes; each '=' outside quotes is an attribute.
      nodes++;
      let nameEnd = -1;
      let quote = '';
      end = -1;
      for (let j = i + 1; j < xml.length; j++) {
        const c = xml[j]!;
        if (nameEnd === -1 && (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '/' || c === '>')) nameEnd = j;
        if (quote) {
          if (c === quote) quote = '';
        } else if (c === '"' || c === "'") {
          quote = c;
        } else if (c === '=') {
          nodes++;
        } else if (c === '>') {
          end = j + 1;
          break;
        }
      }
      if (end === -1) return 'not_xml';
      if (xml[end - 2] !== '/') open.push(xml.slice(i + 1, nameEnd));
      if (open.length > MAX_XML_DEPTH) return 'too_deep';
    }
    if (end === -1) return 'not_xml';
    if (nodes > MAX_XML_NODES) return 'too_many_nodes';
    i = xml.indexOf('<', end);
  }
  return null;
}

/** The index just past the first `terminator` at or after `from`, or -1. */
function closing(xml: string, terminator: string, from: number): number {
  const at = xml.indexOf(terminator, from);
  return at === -1 ? -1 : at + terminator.length;
}

function parse(xml: string) {
  try {
    const doc = new DOMParser({
      onError: (level, message) => {
        if (level !== 'warning') throw new Error(message);
      },
    }).parseFromString(xml, 'text/xml');
    if (!doc.documentElement) throw new Error('no document element');
    return doc;
  } catch {
    throw new Refused('not_xml');
  }
}

const isElement = (node: XmlNode, ns: string, localName: string): node is Element =>
  node.nodeType === 1 && (node as Element).namespaceURI === ns && (node as Element).localName === localName;

function children(parent: Element, ns: string, localName: string): Element[] {
  const out: Element[] = [];
  for (let n = parent.firstChild; n; n = n.nextSibling) if (isElement(n, ns, localName)) out.push(n);
  return out;
}

function walk(element: Element, visit: (e: Element) => void): void {
  visit(element);
  for (let n = element.firstChild; n; n = n.nextSibling) if (n.nodeType === 1) walk(n as Element, visit);
}

/** All of the element's text, trimmed (every text node, so nothing hides behind a comment). */
const text = (e: Element): string => (e.textContent ?? '').trim();

/** An xs:dateTime with a zone, as ms; null when absent. */
function time(value: string | null): number | null {
  if (value === null || value === '') return null;
  const ms = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(value) ? Date.parse(value) : NaN;
  if (Number.isNaN(ms)) throw new Refused('bad_time');
  return ms;
}

/**
 * A test identity provider: a key and self-signed certificate made by
 * `selfsigned`, assertions signed by xml-crypto's SignedXml the way IdPs sign
 * them (enveloped, exclusive c14n, RSA-SHA256, signature after the Issuer).
 */
import { randomUUID } from 'node:crypto';
import { generate } from 'selfsigned';
import { SignedXml } from 'xml-crypto';

export interface TestIdp {
  issuer: string;
  key: string;
  cert: string;
}

export async function makeIdp(issuer = 'https://idp.example.test/metadata'): Promise<TestIdp> {
  const pems = await generate([{ name: 'commonName', value: new URL(issuer).host }], { keySize: 2048, algorithm: 'sha256' });
  return { issuer, key: pems.private, cert: pems.cert };
}

export interface AssertionOptions {
  id?: string;
  issuer?: string;
  audience?: string;
  nameId?: string;
  /** Attributes, e.g. { loginName: 'alice' }. */
  attributes?: Record<string, string>;
  /** ms since the epoch */
  now: number;
  notBefore?: number | null;
  notOnOrAfter?: number | null;
}

const iso = (ms: number) => new Date(ms).toISOString();

export const SAML = 'urn:oasis:names:tc:SAML:2.0:assertion';
export const SAMLP = 'urn:oasis:names:tc:SAML:2.0:protocol';

export function assertionXml(o: AssertionOptions & { issuer: string; audience: string }): string {
  const id = o.id ?? `_${randomUUID()}`;
  const notBefore = o.notBefore === undefined ? o.now - 5_000 : o.notBefore;
  const notOnOrAfter = o.notOnOrAfter === undefined ? o.now + 5 * 60_000 : o.notOnOrAfter;
  const times = `${notBefore === null ? '' : ` NotBefore="${iso(notBefore)}"`}${notOnOrAfter === null ? '' : ` NotOnOrAfter="${iso(notOnOrAfter)}"`}`;
  const attributes = Object.entries(o.attributes ?? {})
    .map(([name, value]) => `<saml:Attribute Name="${name}"><saml:AttributeValue>${value}</saml:AttributeValue></saml:Attribute>`)
    .join('');
  return (
    `<saml:Assertion xmlns:saml="${SAML}" ID="${id}" Version="2.0" IssueInstant="${iso(o.now)}">` +
    `<saml:Issuer>${o.issuer}</saml:Issuer>` +
    `<saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified">${o.nameId ?? 'nobody'}</saml:NameID>` +
    `<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData${notOnOrAfter === null ? '' : ` NotOnOrAfter="${iso(notOnOrAfter)}"`}/></saml:SubjectConfirmation></saml:Subject>` +
    `<saml:Conditions${times}><saml:AudienceRestriction><saml:Audience>${o.audience}</saml:Audience></saml:AudienceRestriction></saml:Conditions>` +
    `<saml:AuthnStatement AuthnInstant="${iso(o.now)}"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:Password</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>` +
    (attributes ? `<saml:AttributeStatement>${attributes}</saml:AttributeStatement>` : '') +
    `</saml:Assertion>`
  );
}

export const RSA_SHA256 = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256';
export const RSA_SHA1 = 'http://www.w3.org/2000/09/xmldsig#rsa-sha1';
export const SHA256 = 'http://www.w3.org/2001/04/xmlenc#sha256';
export const SHA1 = 'http://www.w3.org/2000/09/xmldsig#sha1';

/** Signs the element named `localName` (Assertion or Response) of `xml`, placing the signature after its Issuer. */
export function sign(
  xml: string,
  idp: Pick<TestIdp, 'key' | 'cert'>,
  localName: 'Assertion' | 'Response' = 'Assertion',
  algorithms: { signature?: string; digest?: string } = {},
): string {
  const sig = new SignedXml({
    privateKey: idp.key,
    publicCert: idp.cert,
    signatureAlgorithm: algorithms.signature ?? RSA_SHA256,
    canonicalizationAlgorithm: 'http://www.w3.org/2001/10/xml-exc-c14n#',
  });
  sig.addReference({
    xpath: `/*[local-name(.)='${localName}'] | /*/*[local-name(.)='${localName}']`,
    digestAlgorithm: algorithms.digest ?? SHA256,
    transforms: ['http://www.w3.org/2000/09/xmldsig#enveloped-signature', 'http://www.w3.org/2001/10/xml-exc-c14n#'],
  });
  sig.computeSignature(xml, {
    prefix: 'ds',
    location: { reference: `//*[local-name(.)='${localName}']/*[local-name(.)='Issuer']`, action: 'after' },
  });
  return sig.getSignedXml();
}

/** A samlp:Response around `inner`; `status: null` leaves the Status element out. */
export function responseXml(inner: string, o: { issuer: string; now: number; id?: string; status?: string | null }): string {
  const status = o.status === undefined ? 'urn:oasis:names:tc:SAML:2.0:status:Success' : o.status;
  return (
    `<samlp:Response xmlns:samlp="${SAMLP}" xmlns:saml="${SAML}" ID="${o.id ?? `_${randomUUID()}`}" Version="2.0" IssueInstant="${iso(o.now)}">` +
    `<saml:Issuer>${o.issuer}</saml:Issuer>` +
    (status === null ? '' : `<samlp:Status><samlp:StatusCode Value="${status}"/></samlp:Status>`) +
    inner.replace(/^<\?xml[^>]*>/, '') +
    `</samlp:Response>`
  );
}

export const base64 = (xml: string): string => Buffer.from(xml, 'utf8').toString('base64');

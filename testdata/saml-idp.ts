import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { XMLParser } from 'fast-xml-parser';
import { SignedXml } from 'xml-crypto';

export interface SamlTestUser {
  nameId: string;
  displayName?: string;
  email?: string;
  groups: string[];
}

/** How the next responses are spoiled, to test that the service provider refuses them. */
export type SamlTampering = 'none' | 'unsigned' | 'foreign-key' | 'altered-after-signing' | 'wrong-audience' | 'expired';

export interface TestSamlIdp {
  entityId: string;
  /** The IdP's metadata document (entity id, HTTP-Redirect SSO URL, signing certificate). */
  metadataXml: string;
  metadataUrl: string;
  addUser(username: string, user: SamlTestUser): void;
  /** A service provider this IdP answers: its entity id and exact assertion consumer service URL. */
  registerServiceProvider(sp: { entityId: string; acsUrl: string }): void;
  tamper(mode: SamlTampering): void;
  /** AuthnRequests received at the SSO endpoint. */
  requestsSeen: () => number;
  close(): Promise<void>;
}

interface SigningKey {
  privateKeyPem: string;
  certificatePem: string;
}

/** An RSA key made with node:crypto and a self-signed X.509 certificate for it made by openssl. */
function newSigningKey(commonName: string): SigningKey {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const privateKeyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const dir = mkdtempSync(join(tmpdir(), 'gitgate-saml-idp-'));
  try {
    writeFileSync(join(dir, 'key.pem'), privateKeyPem, { mode: 0o600 });
    execFileSync('openssl', ['req', '-x509', '-new', '-key', join(dir, 'key.pem'), '-subj', `/CN=${commonName}`, '-days', '2', '-sha256', '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
    return { privateKeyPem, certificatePem: readFileSync(join(dir, 'cert.pem'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function base64Der(certificatePem: string): string {
  return certificatePem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
}

function xmlEscape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const RSA_SHA256 = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256';
const EXC_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#';
const ENVELOPED = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature';
const SHA256 = 'http://www.w3.org/2001/04/xmlenc#sha256';

/** An enveloped XML signature over the element `localName`, placed right after its Issuer. */
function sign(xml: string, localName: 'Assertion' | 'Response', key: SigningKey): string {
  const signer = new SignedXml({ privateKey: key.privateKeyPem, publicCert: key.certificatePem, signatureAlgorithm: RSA_SHA256, canonicalizationAlgorithm: EXC_C14N });
  signer.addReference({ xpath: `//*[local-name(.)='${localName}']`, transforms: [ENVELOPED, EXC_C14N], digestAlgorithm: SHA256 });
  signer.computeSignature(xml, { location: { reference: `//*[local-name(.)='${localName}']/*[local-name(.)='Issuer']`, action: 'after' } });
  return signer.getSignedXml();
}

interface AuthnRequest {
  id: string;
  issuer: string;
  acsUrl: string;
}

function parseAuthnRequest(samlRequest: string): AuthnRequest {
  const xml = inflateRawSync(Buffer.from(samlRequest, 'base64')).toString('utf8');
  const parsed = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', removeNSPrefix: true, processEntities: false }).parse(xml) as Record<string, Record<string, unknown>>;
  const request = parsed['AuthnRequest'];
  const issuer = request?.['Issuer'];
  const id = request?.['@ID'];
  const acsUrl = request?.['@AssertionConsumerServiceURL'];
  if (typeof id !== 'string' || typeof acsUrl !== 'string') throw new Error('not an AuthnRequest with ID and AssertionConsumerServiceURL');
  return { id, acsUrl, issuer: typeof issuer === 'string' ? issuer : String((issuer as Record<string, unknown> | undefined)?.['#text'] ?? '') };
}

async function readForm(request: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const chunk of request as AsyncIterable<Buffer>) chunks.push(chunk);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

function page(response: ServerResponse, status: number, body: string): void {
  response.writeHead(status, { 'content-type': 'text/html; charset=utf-8' });
  response.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Test SAML IdP</title></head><body>${body}</body></html>`);
}

/**
 * A SAML 2.0 identity provider on a local port that signs its responses for real: metadata, an
 * SSO endpoint for the HTTP-Redirect binding that shows a sign-in form, and an HTTP-POST response
 * (Response and Assertion each signed, RSA-SHA256, exclusive c14n) auto-posted to the SP's ACS.
 */
export async function startSamlIdp(): Promise<TestSamlIdp> {
  const serviceProviders: { entityId: string; acsUrl: string }[] = [];
  const key = newSigningKey('gitgate-test-saml-idp');
  const foreignKey = newSigningKey('someone-else');
  const users = new Map<string, SamlTestUser>();
  let tampering: SamlTampering = 'none';
  let requests = 0;
  let base = '';

  const responseXml = (request: AuthnRequest, user: SamlTestUser): string => {
    const now = Date.now();
    const at = (offsetMs: number) => new Date(now + offsetMs).toISOString();
    const notOnOrAfter = tampering === 'expired' ? at(-60_000) : at(5 * 60_000);
    const audience = tampering === 'wrong-audience' ? 'https://another-service.example' : request.issuer;
    const attribute = (name: string, values: string[]) =>
      values.length === 0 ? '' : `<saml:Attribute Name="${xmlEscape(name)}">${values.map((v) => `<saml:AttributeValue>${xmlEscape(v)}</saml:AttributeValue>`).join('')}</saml:Attribute>`;
    const assertion =
      `<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_a${randomBytes(16).toString('hex')}" Version="2.0" IssueInstant="${at(0)}">` +
      `<saml:Issuer>${xmlEscape(base)}</saml:Issuer>` +
      `<saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified">${xmlEscape(user.nameId)}</saml:NameID>` +
      `<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData InResponseTo="${xmlEscape(request.id)}" NotOnOrAfter="${notOnOrAfter}" Recipient="${xmlEscape(request.acsUrl)}"/></saml:SubjectConfirmation></saml:Subject>` +
      `<saml:Conditions NotBefore="${at(-60_000)}" NotOnOrAfter="${notOnOrAfter}"><saml:AudienceRestriction><saml:Audience>${xmlEscape(audience)}</saml:Audience></saml:AudienceRestriction></saml:Conditions>` +
      `<saml:AuthnStatement AuthnInstant="${at(0)}" SessionIndex="_s${randomBytes(8).toString('hex')}"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>` +
      `<saml:AttributeStatement>${attribute('groups', user.groups)}${attribute('displayName', user.displayName === undefined ? [] : [user.displayName])}${attribute('email', user.email === undefined ? [] : [user.email])}</saml:AttributeStatement>` +
      `</saml:Assertion>`;
    const signingKey = tampering === 'foreign-key' ? foreignKey : key;
    const signedAssertion = tampering === 'unsigned' ? assertion : sign(assertion, 'Assertion', signingKey);
    const response =
      `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_r${randomBytes(16).toString('hex')}" Version="2.0" IssueInstant="${at(0)}" Destination="${xmlEscape(request.acsUrl)}" InResponseTo="${xmlEscape(request.id)}">` +
      `<saml:Issuer>${xmlEscape(base)}</saml:Issuer><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>` +
      `${signedAssertion}</samlp:Response>`;
    const signed = tampering === 'unsigned' ? response : sign(response, 'Response', signingKey);
    return tampering === 'altered-after-signing' ? signed.replace(`>${xmlEscape(user.nameId)}</saml:NameID>`, '>admin</saml:NameID>') : signed;
  };

  const sso = async (request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> => {
    const params = request.method === 'POST' ? await readForm(request) : url.searchParams;
    let authn: AuthnRequest;
    try {
      authn = parseAuthnRequest(params.get('SAMLRequest') ?? '');
    } catch (error) {
      page(response, 400, `<p>invalid SAMLRequest: ${xmlEscape((error as Error).message)}</p>`);
      return;
    }
    const sp = serviceProviders.find((candidate) => candidate.entityId === authn.issuer && candidate.acsUrl === authn.acsUrl);
    if (sp === undefined) {
      page(response, 400, `<p>unknown service provider ${xmlEscape(authn.issuer)} or ACS URL</p>`);
      return;
    }
    const hidden = `<input type="hidden" name="SAMLRequest" value="${xmlEscape(params.get('SAMLRequest') ?? '')}"><input type="hidden" name="RelayState" value="${xmlEscape(params.get('RelayState') ?? '')}">`;
    const user = users.get(params.get('username') ?? '');
    if (request.method !== 'POST' || user === undefined) {
      if (request.method !== 'POST') requests++;
      page(response, 200, `<h1>Test SAML IdP</h1>${request.method === 'POST' ? '<p role="alert">Unknown user name</p>' : ''}<form method="post" action="/sso">${hidden}<label for="username">User name</label> <input id="username" name="username"> <button type="submit">Sign in</button></form>`);
      return;
    }
    const samlResponse = Buffer.from(responseXml(authn, user)).toString('base64');
    page(
      response,
      200,
      `<form id="post" method="post" action="${xmlEscape(authn.acsUrl)}"><input type="hidden" name="SAMLResponse" value="${samlResponse}"><input type="hidden" name="RelayState" value="${xmlEscape(params.get('RelayState') ?? '')}"><button type="submit">Continue</button></form><script>document.getElementById('post').submit()</script>`,
    );
  };

  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://idp.invalid');
    if (url.pathname === '/metadata') {
      response.writeHead(200, { 'content-type': 'application/samlmetadata+xml' }).end(metadataXml());
    } else if (url.pathname === '/sso') {
      sso(request, response, url).catch(() => response.destroy());
    } else {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const metadataXml = () =>
    `<?xml version="1.0"?>\n<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="${base}">` +
    `<md:IDPSSODescriptor WantAuthnRequestsSigned="false" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">` +
    `<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>${base64Der(key.certificatePem)}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>` +
    `<md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified</md:NameIDFormat>` +
    `<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="${base}/sso"/>` +
    `</md:IDPSSODescriptor></md:EntityDescriptor>\n`;
  return {
    entityId: base,
    metadataXml: metadataXml(),
    metadataUrl: `${base}/metadata`,
    addUser: (username, user) => users.set(username, user),
    registerServiceProvider: (sp) => serviceProviders.push(sp),
    tamper: (mode) => (tampering = mode),
    requestsSeen: () => requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

import { XMLParser } from 'fast-xml-parser';
import { WebError } from './web-errors.js';

/** What the SAML service provider needs from an identity provider's metadata. */
export interface SamlIdpMetadata {
  entityId: string;
  /** The SingleSignOnService location for the HTTP-Redirect binding. */
  ssoUrl: string;
  /** Base64 DER of every signing certificate (several during a key rollover). */
  signingCertificates: string[];
}

const REDIRECT_BINDING = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';

type XmlNode = Record<string, unknown>;

function list(value: unknown): XmlNode[] {
  if (value === undefined || value === null) return [];
  return (Array.isArray(value) ? value : [value]).filter((v): v is XmlNode => typeof v === 'object' && v !== null);
}

function textOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null && typeof (value as XmlNode)['#text'] === 'string') return (value as XmlNode)['#text'] as string;
  return undefined;
}

/**
 * Reads IdP metadata (an EntityDescriptor, or the first one with an IDPSSODescriptor inside an
 * EntitiesDescriptor) with fast-xml-parser: entity id, the HTTP-Redirect SSO URL, the signing
 * certificates. Entities are not expanded. Throws SAML_METADATA_INVALID naming what is missing.
 */
export function parseIdpMetadata(xml: string, source = 'the IdP metadata'): SamlIdpMetadata {
  const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', removeNSPrefix: true, processEntities: false, parseTagValue: false, trimValues: true });
  let document: XmlNode;
  try {
    document = parser.parse(xml, true) as XmlNode;
  } catch (cause) {
    throw new WebError('SAML_METADATA_INVALID', `${source} is not well-formed XML: ${(cause as Error).message.split('\n')[0]}`, { cause });
  }
  const candidates = [...list(document['EntityDescriptor']), ...list(document['EntitiesDescriptor']).flatMap((group) => list(group['EntityDescriptor']))];
  const entity = candidates.find((candidate) => candidate['IDPSSODescriptor'] !== undefined);
  if (entity === undefined) throw new WebError('SAML_METADATA_INVALID', `${source} has no EntityDescriptor with an IDPSSODescriptor`);
  const entityId = entity['@entityID'];
  if (typeof entityId !== 'string' || entityId === '') throw new WebError('SAML_METADATA_INVALID', `${source}: the EntityDescriptor has no entityID`);
  const descriptor = list(entity['IDPSSODescriptor'])[0] ?? {}; // an empty element parses as ''
  const sso = list(descriptor['SingleSignOnService']).find((service) => service['@Binding'] === REDIRECT_BINDING);
  const ssoUrl = sso?.['@Location'];
  if (typeof ssoUrl !== 'string' || !/^https?:\/\//.test(ssoUrl)) {
    throw new WebError('SAML_METADATA_INVALID', `${source}: no SingleSignOnService with the HTTP-Redirect binding and an http(s) Location`);
  }
  const signingCertificates = list(descriptor['KeyDescriptor'])
    .filter((key) => key['@use'] === undefined || key['@use'] === 'signing')
    .flatMap((key) => list(key['KeyInfo']).flatMap((info) => list(info['X509Data']).flatMap((data) => (Array.isArray(data['X509Certificate']) ? data['X509Certificate'] : [data['X509Certificate']]))))
    .map((cert) => textOf(cert)?.replace(/\s+/g, ''))
    .filter((cert): cert is string => cert !== undefined && /^[A-Za-z0-9+/]+=*$/.test(cert));
  if (signingCertificates.length === 0) throw new WebError('SAML_METADATA_INVALID', `${source}: no signing certificate (KeyDescriptor/KeyInfo/X509Data/X509Certificate)`);
  return { entityId, ssoUrl, signingCertificates };
}

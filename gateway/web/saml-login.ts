import { readFileSync } from 'node:fs';
import { SAML, ValidateInResponseTo, type CacheItem, type CacheProvider, type Profile } from '@node-saml/node-saml';
import { parseIdpMetadata, type SamlIdpMetadata } from './idp-metadata.js';
import type { ApproverIdentity } from './session-store.js';
import { WebError } from './web-errors.js';

export interface SamlLoginConfig {
  /** IdP metadata XML file (entity id, SSO URL and signing certificates come from it). */
  idpMetadataFile: string;
  /** This gateway's SAML entity id (the audience its assertions must name). */
  spEntityId: string;
  /** Attribute holding the approver's groups (one value per group, or one space/comma separated). */
  groupsAttribute: string;
  nameAttribute: string | undefined;
  emailAttribute: string | undefined;
  clockSkewSeconds: number;
  label: string;
}

/** Outstanding AuthnRequest ids (InResponseTo), forgotten after `ttlMs`: one process, like the sessions. */
class RequestIdCache implements CacheProvider {
  private readonly items = new Map<string, CacheItem>();
  constructor(private readonly ttlMs: number) {}
  saveAsync(key: string, value: string): Promise<CacheItem | null> {
    this.prune();
    if (this.items.has(key)) return Promise.resolve(null);
    const item = { value, createdAt: Date.now() };
    this.items.set(key, item);
    return Promise.resolve(item);
  }
  getAsync(key: string): Promise<string | null> {
    this.prune();
    return Promise.resolve(this.items.get(key)?.value ?? null);
  }
  removeAsync(key: string | null): Promise<string | null> {
    if (key === null) return Promise.resolve(null);
    const item = this.items.get(key);
    this.items.delete(key);
    return Promise.resolve(item?.value ?? null);
  }
  private prune(): void {
    const oldest = Date.now() - this.ttlMs;
    for (const [key, item] of this.items) if (item.createdAt < oldest) this.items.delete(key);
  }
}

function readMetadata(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (cause) {
    throw new WebError('SAML_METADATA_INVALID', `cannot read the SAML IdP metadata ${path} (web.saml.idp_metadata_file): ${(cause as NodeJS.ErrnoException).code ?? 'error'}`, { cause });
  }
}

function stringValues(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(stringValues);
  if (typeof value === 'string') return value.split(/[\s,]+/).filter((v) => v !== '');
  return [];
}

function firstString(value: unknown): string | undefined {
  if (Array.isArray(value)) return firstString(value[0]);
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * SAML 2.0 service provider for approver login, with @node-saml/node-saml: AuthnRequests by the
 * HTTP-Redirect binding, responses at the assertion consumer service by HTTP-POST. The response
 * and its assertion must both be signed by a certificate from the IdP metadata; issuer, audience,
 * validity window and InResponseTo (a request this process sent, used once) are checked.
 */
export class SamlLogin {
  readonly idp: SamlIdpMetadata;
  private readonly requestIds = new RequestIdCache(10 * 60_000);
  private readonly instances = new Map<string, SAML>();

  constructor(
    readonly config: SamlLoginConfig,
    metadataXml: string = readMetadata(config.idpMetadataFile),
  ) {
    this.idp = parseIdpMetadata(metadataXml, `the SAML IdP metadata ${config.idpMetadataFile} (web.saml.idp_metadata_file)`);
  }

  /** The IdP URL that starts a login; `relayState` comes back with the response. */
  async start(acsUrl: string, relayState: string): Promise<string> {
    try {
      return await this.saml(acsUrl).getAuthorizeUrlAsync(relayState, undefined, {});
    } catch (cause) {
      throw new WebError('LOGIN_PROVIDER_UNAVAILABLE', `could not make a SAML request: ${(cause as Error).message}`, { cause });
    }
  }

  /** Validates a posted SAMLResponse; the approver's identity. */
  async finish(form: URLSearchParams, acsUrl: string): Promise<ApproverIdentity> {
    const samlResponse = form.get('SAMLResponse');
    if (samlResponse === null || samlResponse === '') throw new WebError('LOGIN_REJECTED', 'the identity provider posted no SAMLResponse');
    let profile: Profile | null;
    try {
      ({ profile } = await this.saml(acsUrl).validatePostResponseAsync({ SAMLResponse: samlResponse }));
    } catch (cause) {
      // node-saml's messages name the failed check (signature, audience, InResponseTo...), never secrets.
      throw new WebError('LOGIN_REJECTED', `the SAML response was refused: ${(cause as Error).message.split('\n')[0]!.slice(0, 200)}`, { cause });
    }
    if (profile === null || typeof profile.nameID !== 'string' || profile.nameID === '') throw new WebError('LOGIN_REJECTED', 'the SAML assertion names no subject (NameID)');
    const name = this.config.nameAttribute === undefined ? undefined : firstString(profile[this.config.nameAttribute]);
    const email = firstString(this.config.emailAttribute === undefined ? profile.email ?? profile.mail : profile[this.config.emailAttribute]);
    return {
      subject: profile.nameID,
      issuer: this.idp.entityId,
      ...(name === undefined ? {} : { name }),
      ...(email === undefined ? {} : { email }),
      groups: stringValues(profile[this.config.groupsAttribute]),
      authentication: 'saml',
    };
  }

  /** The SP's metadata document (entity id, ACS URL) for the IdP administrator. */
  metadata(acsUrl: string): string {
    return this.saml(acsUrl).generateServiceProviderMetadata(null, null);
  }

  private saml(acsUrl: string): SAML {
    let instance = this.instances.get(acsUrl);
    if (instance === undefined) {
      instance = new SAML({
        callbackUrl: acsUrl,
        entryPoint: this.idp.ssoUrl,
        issuer: this.config.spEntityId,
        audience: this.config.spEntityId,
        idpIssuer: this.idp.entityId,
        idpCert: this.idp.signingCertificates,
        wantAssertionsSigned: true,
        wantAuthnResponseSigned: true,
        validateInResponseTo: ValidateInResponseTo.always,
        requestIdExpirationPeriodMs: 10 * 60_000,
        cacheProvider: this.requestIds,
        acceptedClockSkewMs: this.config.clockSkewSeconds * 1000,
        maxAssertionAgeMs: 10 * 60_000,
        signatureAlgorithm: 'sha256',
        identifierFormat: null,
        disableRequestedAuthnContext: true,
      });
      this.instances.set(acsUrl, instance);
    }
    return instance;
  }
}

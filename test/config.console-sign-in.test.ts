/**
 * The console's sign-in variables (CONSOLE_OIDC_*): parsed, refused when inconsistent with the tokens the API verifies
 * (one sentence naming the variable, as the other refusals), turned into the console's run-time configuration, and the
 * Content-Security-Policy widened by exactly the issuer's origin — only when single sign-on is configured.
 */
import { describe, expect, it } from 'vitest';
import { consoleSignInOf, helmetOptionsOf } from '../api/console-config.js';
import { apiStartRefusal, loadConfig } from '../platform/config.js';

const JWKS = { AUTH_JWKS_URL: 'https://idp.example.com/jwks', AUTH_ISSUER: 'https://idp.example.com/realms/partners', AUTH_AUDIENCE: 'https://api.example.com/' };
const load = (env: Record<string, string>) => loadConfig({ DATABASE_URL: 'postgres://localhost/partnerflow', ...env });

describe('CONSOLE_OIDC_* configuration', () => {
  it('unset or empty (as compose passes an unset one): the development token page', () => {
    const unset: Record<string, string>[] = [{}, { CONSOLE_OIDC_CLIENT_ID: '', CONSOLE_OIDC_SCOPES: '', CONSOLE_OIDC_AUDIENCE_PARAMETER: '' }];
    for (const env of unset) {
      const config = load({ ...JWKS, ...env });
      expect(config.CONSOLE_OIDC_CLIENT_ID).toBeUndefined();
      expect(config.CONSOLE_OIDC_SCOPES).toEqual(['openid']);
      expect(config.CONSOLE_OIDC_AUDIENCE_PARAMETER).toBe('resource');
      expect(consoleSignInOf(config)).toEqual({ signIn: 'token' });
      expect(apiStartRefusal(config)).toBeUndefined();
    }
  });

  it('a client id with the JWKS variables: single sign-on with the issuer, the scopes, and the API as audience', () => {
    const config = load({ ...JWKS, CONSOLE_OIDC_CLIENT_ID: 'partnerflow-console', CONSOLE_OIDC_SCOPES: 'openid, profile offline_access' });
    expect(apiStartRefusal(config)).toBeUndefined();
    expect(consoleSignInOf(config)).toEqual({
      signIn: 'oidc',
      issuer: 'https://idp.example.com/realms/partners',
      clientId: 'partnerflow-console',
      scopes: ['openid', 'profile', 'offline_access'],
      audience: 'https://api.example.com/',
      audienceParameter: 'resource',
    });
  });

  it('refuses a client id without AUTH_JWKS_URL (the console would sign in with tokens the API does not verify)', () => {
    const refusal = apiStartRefusal(load({ CONSOLE_OIDC_CLIENT_ID: 'partnerflow-console' }));
    expect(refusal).toMatch(/^Refusing to start: CONSOLE_OIDC_CLIENT_ID is set without AUTH_JWKS_URL/);
  });

  it('refuses an issuer that is not an http(s) URL, and a resource that is not an absolute URI', () => {
    expect(apiStartRefusal(load({ ...JWKS, AUTH_ISSUER: 'idp.example.com', CONSOLE_OIDC_CLIENT_ID: 'c' }))).toMatch(/CONSOLE_OIDC_CLIENT_ID needs AUTH_ISSUER to be the identity provider's http\(s\) URL/);
    const opaque = { ...JWKS, AUTH_AUDIENCE: 'partnerflow-api', CONSOLE_OIDC_CLIENT_ID: 'c' };
    expect(apiStartRefusal(load(opaque))).toMatch(/resource parameter \(RFC 8707\).*AUTH_AUDIENCE is "partnerflow-api".*CONSOLE_OIDC_AUDIENCE_PARAMETER=audience/);
    // The audience parameter takes any identifier (Auth0's API identifiers are often URIs, but need not be).
    const audience = load({ ...opaque, CONSOLE_OIDC_AUDIENCE_PARAMETER: 'audience' });
    expect(apiStartRefusal(audience)).toBeUndefined();
    expect(consoleSignInOf(audience)).toMatchObject({ audience: 'partnerflow-api', audienceParameter: 'audience' });
  });

  it('refuses scopes without openid and an unknown audience parameter, naming the variable', () => {
    expect(() => load({ CONSOLE_OIDC_SCOPES: 'profile email' })).toThrow(/CONSOLE_OIDC_SCOPES: .*including openid/);
    expect(() => load({ CONSOLE_OIDC_AUDIENCE_PARAMETER: 'aud' })).toThrow(/CONSOLE_OIDC_AUDIENCE_PARAMETER/);
  });

  it("widens the CSP's connect-src by exactly the issuer's origin, and only with single sign-on", () => {
    expect(helmetOptionsOf(undefined)).toEqual({});
    expect(helmetOptionsOf({ signIn: 'token' })).toEqual({});
    const sso = consoleSignInOf(load({ ...JWKS, AUTH_ISSUER: 'https://idp.example.com:8443/realms/partners/', CONSOLE_OIDC_CLIENT_ID: 'c' }));
    expect(helmetOptionsOf(sso)).toEqual({ contentSecurityPolicy: { directives: { connectSrc: ["'self'", 'https://idp.example.com:8443'] } } });
  });
});

/**
 * How the console signs people in, told to it at run time (GET /console/config.json) so that one build serves every
 * environment: the development token page, or OpenID Connect's authorization-code flow with PKCE against the identity
 * provider whose JWKS the API verifies (docs/console-sign-in.md). The answer carries nothing secret — the console is a
 * public client: a client id, scopes and the provider's address are what any browser sends the provider anyway.
 */
import type { RequestHandler } from 'express';
import type { HelmetOptions } from 'helmet';
import type { Config } from '../platform/config.js';

export type ConsoleSignIn =
  | { signIn: 'token' }
  | {
      signIn: 'oidc';
      /** AUTH_ISSUER: the console reads <issuer>/.well-known/openid-configuration. */
      issuer: string;
      clientId: string;
      scopes: string[];
      /** AUTH_AUDIENCE: the access token the console asks for must be for the API. */
      audience: string;
      /** The authorization request's parameter naming the audience: `resource` (RFC 8707) or `audience`. */
      audienceParameter: 'resource' | 'audience';
    };

/** The console's sign-in from the configuration (apiStartRefusal has refused an inconsistent one). */
export function consoleSignInOf(config: Pick<Config, 'CONSOLE_OIDC_CLIENT_ID' | 'CONSOLE_OIDC_SCOPES' | 'CONSOLE_OIDC_AUDIENCE_PARAMETER' | 'AUTH_ISSUER' | 'AUTH_AUDIENCE'>): ConsoleSignIn {
  if (!config.CONSOLE_OIDC_CLIENT_ID || !config.AUTH_ISSUER || !config.AUTH_AUDIENCE) return { signIn: 'token' };
  return {
    signIn: 'oidc',
    issuer: config.AUTH_ISSUER,
    clientId: config.CONSOLE_OIDC_CLIENT_ID,
    scopes: config.CONSOLE_OIDC_SCOPES,
    audience: config.AUTH_AUDIENCE,
    audienceParameter: config.CONSOLE_OIDC_AUDIENCE_PARAMETER,
  };
}

/**
 * The API's Content-Security-Policy: helmet's defaults, plus — only when the console signs in with a provider — the
 * issuer's origin in connect-src, since the page itself reads the provider's discovery document and calls its token
 * endpoint. Exactly that origin: not a wildcard, not its scheme alone.
 */
export function helmetOptionsOf(signIn: ConsoleSignIn | undefined): HelmetOptions {
  if (signIn?.signIn !== 'oidc') return {};
  return { contentSecurityPolicy: { directives: { connectSrc: ["'self'", new URL(signIn.issuer).origin] } } };
}

/** GET /console/config.json: public (the sign-in page needs it before anyone is signed in) and never cached. */
export const consoleConfigRoute =
  (signIn: ConsoleSignIn | undefined): RequestHandler =>
  (_req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.json(signIn ?? { signIn: 'token' });
  };

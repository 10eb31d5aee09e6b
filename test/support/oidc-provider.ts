/**
 * A real OpenID Connect provider for the console's sign-in tests: node-oidc-provider, in this process, on a free port
 * of 127.0.0.1. It is configured the way docs/console-sign-in.md asks of a production provider: one public client
 * (no secret, PKCE required — the library's rule for public clients) redirecting to the API's /console/callback;
 * resource indicators (RFC 8707) giving JWT access tokens (RS256) whose audience is the resource asked for, known
 * resources only; the roles and partnerId claims of the account in every access token; refresh tokens; and
 * RP-initiated logout (end_session_endpoint). People sign in on its development pages (any login; the account's claims
 * come from the table the test gives). The signing key is the test's own, so a test can also sign a token exactly as
 * this provider would, with one claim changed.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import Provider, { type Configuration, errors } from 'oidc-provider';

export type TestAccount = { sub: string; roles: string[]; partnerId?: string };

export type OidcProviderOptions = {
  clientId: string;
  /** The API's origin: the client redirects to <origin>/console/callback and back to <origin>/console/ after sign-out. */
  consoleOrigin: string;
  /** The resources (audiences) the provider issues access tokens for: the API's, and any other the test names. */
  resources: string[];
  accounts: TestAccount[];
};

export type TestOidcProvider = {
  issuer: string;
  jwksUrl: string;
  /** Lifetime of the access tokens issued from now on (an hour unless set). */
  setAccessTokenTtl: (seconds: number) => void;
  /** Signs an access token as the provider does (its key, its issuer), for `audience`, with the account's claims. */
  signAccessToken: (account: TestAccount, audience: string) => Promise<string>;
  stop: () => Promise<void>;
};

export async function startOidcProvider(options: OidcProviderOptions): Promise<TestOidcProvider> {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk: JWK = { ...(await exportJWK(privateKey)), kid: 'test-provider-key', alg: 'RS256', use: 'sig' };
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const accountOf = (sub: string): TestAccount => options.accounts.find((account) => account.sub === sub) ?? { sub, roles: [] };
  let accessTokenTtl = 3600;
  const tokenClaims = (account: TestAccount) => ({ roles: account.roles, ...(account.partnerId ? { partnerId: account.partnerId } : {}) });

  const configuration: Configuration = {
    clients: [
      {
        client_id: options.clientId,
        token_endpoint_auth_method: 'none',
        application_type: 'web',
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        redirect_uris: [`${options.consoleOrigin}/console/callback`],
        post_logout_redirect_uris: [`${options.consoleOrigin}/console/`],
      },
    ],
    jwks: { keys: [jwk] },
    cookies: { keys: ['partnerflow-test-oidc-provider-cookie-key'] },
    findAccount: (_ctx, sub) => ({ accountId: sub, claims: () => ({ sub }) }),
    extraTokenClaims: (_ctx, token) => (token.kind === 'AccessToken' && token.accountId ? tokenClaims(accountOf(token.accountId)) : undefined),
    // A refresh token for every client allowed the grant (not only on offline_access): the console renews silently.
    issueRefreshToken: (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    features: {
      devInteractions: { enabled: true },
      rpInitiatedLogout: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: (_ctx, _client, oneOf) => oneOf ?? undefined!,
        getResourceServerInfo: (_ctx, resource) => {
          if (!options.resources.includes(resource)) throw new errors.InvalidTarget();
          return { scope: 'api', audience: resource, accessTokenTTL: accessTokenTtl, accessTokenFormat: 'jwt', jwt: { sign: { alg: 'RS256' } } };
        },
      },
    },
  };
  const provider = new Provider(issuer, configuration);
  server.on('request', provider.callback());

  return {
    issuer,
    jwksUrl: `${issuer}/jwks`,
    setAccessTokenTtl: (seconds) => void (accessTokenTtl = seconds),
    signAccessToken: (account, audience) =>
      new SignJWT({ ...tokenClaims(account), client_id: options.clientId, scope: 'api' })
        .setProtectedHeader({ alg: 'RS256', kid: jwk.kid!, typ: 'at+jwt' })
        .setIssuer(issuer)
        .setSubject(account.sub)
        .setAudience(audience)
        .setIssuedAt()
        .setExpirationTime('10m')
        .sign(privateKey),
    stop: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

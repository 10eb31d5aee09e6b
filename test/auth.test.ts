/**
 * Token verification: HS256 for development; RS256/ES256 from a JWKS endpoint for production, including
 * key rotation by `kid`, issuer/audience checks and the algorithms that must never pass.
 */
import { createServer, type Server } from 'node:http';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hs256Keys, jwksKeys, signToken, type TokenKeys, verifyToken } from '../domain/auth.js';
import { Problem } from '../domain/problems.js';

const ISSUER = 'https://idp.partnerflow.test';
const AUDIENCE = 'partner-center';
let server: Server;
let jwksUrl: string;
let published: JWK[] = [];
let fetches = 0;

type PrivateKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

async function keyPair(kid: string) {
  const { publicKey, privateKey } = await generateKeyPair('RS256');
  return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' } };
}

const rs256 = (privateKey: PrivateKey, kid: string, claims: Record<string, unknown> = {}, opts: { iss?: string; aud?: string; exp?: string } = {}) =>
  new SignJWT({ roles: ['vendor_staff'], ...claims })
    .setProtectedHeader({ alg: 'RS256', kid })
    .setSubject('alice')
    .setIssuer(opts.iss ?? ISSUER)
    .setAudience(opts.aud ?? AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(opts.exp ?? '5m')
    .sign(privateKey);

/** The status a refused token answers with, or 'ok'. */
const outcome = (token: string, keys: TokenKeys) =>
  verifyToken(token, keys).then(
    () => 'ok',
    (e: unknown) => (e instanceof Problem ? e.status : `unexpected: ${String(e)}`),
  );

beforeAll(async () => {
  server = createServer((req, res) => {
    fetches++;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys: published }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  jwksUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}/.well-known/jwks.json`;
});

afterAll(() => server?.close());

describe('JWKS (RS256) tokens', () => {
  it('verifies against the published key, follows a kid rotation, and checks issuer and audience', async () => {
    const first = await keyPair('k1');
    const second = await keyPair('k2');
    published = [first.jwk];
    const keys = jwksKeys({ url: jwksUrl, issuer: ISSUER, audience: AUDIENCE, cooldownMs: 0 });

    expect(await verifyToken(await rs256(first.privateKey, 'k1'), keys)).toEqual({ sub: 'alice', roles: ['vendor_staff'] });

    // The provider rotates: a token signed with the new kid makes the verifier fetch the JWKS again.
    published = [first.jwk, second.jwk];
    const before = fetches;
    expect(await outcome(await rs256(second.privateKey, 'k2'), keys)).toBe('ok');
    expect(fetches).toBeGreaterThan(before);

    expect(await outcome(await rs256(first.privateKey, 'k1', {}, { iss: 'https://evil.test' }), keys)).toBe(401);
    expect(await outcome(await rs256(first.privateKey, 'k1', {}, { aud: 'someone-else' }), keys)).toBe(401);
    expect(await outcome(await rs256(first.privateKey, 'k1', {}, { exp: '-5m' }), keys)).toBe(401);
    const stranger = await keyPair('k3'); // unknown kid, even after a refetch
    expect(await outcome(await rs256(stranger.privateKey, 'k3'), keys)).toBe(401);
    expect(await outcome(await rs256(stranger.privateKey, 'k1'), keys)).toBe(401); // right kid, wrong key
  });

  it('refuses HS256 tokens and unsigned tokens when JWKS is configured', async () => {
    const keys = jwksKeys({ url: jwksUrl, issuer: ISSUER, audience: AUDIENCE, cooldownMs: 0 });
    expect(await outcome(await signToken({ sub: 'x', roles: ['vendor_admin'] }, 'a-shared-secret-that-is-long-enough-0123'), keys)).toBe(401);
    const unsigned = `${Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url')}.${Buffer.from(
      JSON.stringify({ sub: 'x', roles: ['vendor_admin'], exp: Math.floor(Date.now() / 1000) + 60 }),
    ).toString('base64url')}.`;
    expect(await outcome(unsigned, keys)).toBe(401);
    expect(await outcome(unsigned, hs256Keys('a-shared-secret-that-is-long-enough-0123'))).toBe(401);
  });

  it('still applies the claims rules: IAM sub-users 403, bad roles 401', async () => {
    const pair = await keyPair('k4');
    published = [pair.jwk];
    const keys = jwksKeys({ url: jwksUrl, issuer: ISSUER, audience: AUDIENCE, cooldownMs: 0 });
    expect(await outcome(await rs256(pair.privateKey, 'k4', { roles: ['partner_admin'], partnerId: 'P-1', accountType: 'iam_user' }), keys)).toBe(403);
    expect(await outcome(await rs256(pair.privateKey, 'k4', { roles: ['root'] }), keys)).toBe(401);
    expect(await outcome(await rs256(pair.privateKey, 'k4', { roles: ['partner_admin'] }), keys)).toBe(401); // no partnerId
  });
});

describe('HS256 (development) tokens', () => {
  const secret = 'a-shared-secret-that-is-long-enough-0123';
  it('verifies its own tokens and refuses a missing exp, another secret, or mixed vendor/partner roles', async () => {
    expect(await outcome(await signToken({ sub: 'v', roles: ['vendor_staff'] }, secret), hs256Keys(secret))).toBe('ok');
    expect(await outcome(await signToken({ sub: 'v', roles: ['vendor_staff'] }, `${secret}x`), hs256Keys(secret))).toBe(401);
    const noExp = await new SignJWT({ roles: ['vendor_staff'] }).setProtectedHeader({ alg: 'HS256' }).setSubject('v').sign(new TextEncoder().encode(secret));
    expect(await outcome(noExp, hs256Keys(secret))).toBe(401);
    const mixed = await signToken({ sub: 'v', roles: ['vendor_admin', 'partner_admin'], partnerId: 'P-1' }, secret);
    expect(await outcome(mixed, hs256Keys(secret))).toBe(401);
  });

  it("a customer's token: accountType customer with its customerId and the customer role alone; any other mix is refused", async () => {
    const sign = (claims: Parameters<typeof signToken>[0]) => signToken(claims, secret);
    expect(await verifyToken(await sign({ sub: 'acct-1', roles: ['customer'], customerId: 'C-1', accountType: 'customer' }), hs256Keys(secret))).toEqual({
      sub: 'acct-1',
      roles: ['customer'],
      customerId: 'C-1',
    });
    const refused: [string, Parameters<typeof signToken>[0]][] = [
      ['no account type', { sub: 'c', roles: ['customer'], customerId: 'C-1' }],
      ['no customerId', { sub: 'c', roles: ['customer'], accountType: 'customer' }],
      ['a partner too', { sub: 'c', roles: ['customer'], customerId: 'C-1', partnerId: 'P-1', accountType: 'customer' }],
      ['a staff role too', { sub: 'c', roles: ['customer', 'vendor_staff'], customerId: 'C-1', accountType: 'customer' }],
      ['staff claiming the account type', { sub: 'c', roles: ['partner_admin'], partnerId: 'P-1', accountType: 'customer' }],
      ['staff with a customerId', { sub: 'c', roles: ['vendor_admin'], customerId: 'C-1' }],
    ];
    for (const [label, claims] of refused) expect(await outcome(await sign(claims), hs256Keys(secret)), label).toBe(401);
  });
});

describe('claims every token must carry (issue: tokens issued for other applications, no maximum age)', () => {
  const secret = 'a-shared-secret-that-is-long-enough-0123';
  const hs = (claims: { iss?: string; aud?: string; iat?: number; exp?: string | number; noIat?: boolean }) => {
    const jwt = new SignJWT({ roles: ['vendor_admin'] }).setProtectedHeader({ alg: 'HS256' }).setSubject('mallory');
    if (claims.iss !== undefined) jwt.setIssuer(claims.iss);
    if (claims.aud !== undefined) jwt.setAudience(claims.aud);
    if (!claims.noIat) jwt.setIssuedAt(claims.iat);
    return jwt.setExpirationTime(claims.exp ?? '5m').sign(new TextEncoder().encode(secret));
  };
  const nowSeconds = () => Math.floor(Date.now() / 1000);

  it('HS256: the issuer and audience must be the expected ones, and iat is required', async () => {
    const keys = hs256Keys(secret);
    expect(await outcome(await hs({ iss: 'partnerflow-dev', aud: 'partnerflow-api' }), keys)).toBe('ok');
    expect(await outcome(await hs({ aud: 'partnerflow-api' }), keys)).toBe(401); // no issuer
    expect(await outcome(await hs({ iss: 'partnerflow-dev' }), keys)).toBe(401); // no audience
    expect(await outcome(await hs({ iss: 'someone-else', aud: 'partnerflow-api' }), keys)).toBe(401);
    expect(await outcome(await hs({ iss: 'partnerflow-dev', aud: 'another-app' }), keys)).toBe(401);
    expect(await outcome(await hs({ iss: 'partnerflow-dev', aud: 'partnerflow-api', noIat: true }), keys)).toBe(401);
    // Configured ones replace the development defaults.
    const configured = hs256Keys(secret, { issuer: 'https://idp.example', audience: 'pc' });
    expect(await outcome(await hs({ iss: 'partnerflow-dev', aud: 'partnerflow-api' }), configured)).toBe(401);
    expect(await outcome(await hs({ iss: 'https://idp.example', aud: 'pc' }), configured)).toBe('ok');
  });

  it('a token older than the maximum age is refused whatever its exp says (12 h by default)', async () => {
    const keys = hs256Keys(secret);
    const fresh = { iss: 'partnerflow-dev', aud: 'partnerflow-api', exp: nowSeconds() + 30 * 86_400 };
    expect(await outcome(await hs({ ...fresh, iat: nowSeconds() - 11 * 3600 }), keys)).toBe('ok');
    // 12 h + the 60 s clock tolerance + a margin: refused.
    expect(await outcome(await hs({ ...fresh, iat: nowSeconds() - 12 * 3600 - 120 }), keys)).toBe(401);
    const strict = hs256Keys(secret, { maxTokenAgeSeconds: 600 });
    expect(await outcome(await hs({ ...fresh, iat: nowSeconds() - 300 }), strict)).toBe('ok');
    expect(await outcome(await hs({ ...fresh, iat: nowSeconds() - 900 }), strict)).toBe(401);
  });

  it('JWKS: a token without iat, or too old, is refused', async () => {
    const pair = await keyPair('k5');
    published = [pair.jwk];
    const keys = jwksKeys({ url: jwksUrl, issuer: ISSUER, audience: AUDIENCE, maxTokenAgeSeconds: 600, cooldownMs: 0 });
    const base = () => new SignJWT({ roles: ['vendor_staff'] }).setProtectedHeader({ alg: 'RS256', kid: 'k5' }).setSubject('a').setIssuer(ISSUER).setAudience(AUDIENCE).setExpirationTime('1h');
    expect(await outcome(await base().setIssuedAt().sign(pair.privateKey), keys)).toBe('ok');
    expect(await outcome(await base().sign(pair.privateKey), keys)).toBe(401);
    expect(await outcome(await base().setIssuedAt(nowSeconds() - 900).sign(pair.privateKey), keys)).toBe(401);
  });

  it('a refused token answers generic words; why goes to the log detail only', async () => {
    const keys = hs256Keys(secret);
    // Each refused token with why it was refused, as the log gets it.
    const refusals: [string, RegExp][] = [
      [await signToken({ sub: 'v', roles: ['vendor_staff'] }, `${secret}x`), /signature verification failed/],
      [await signToken({ sub: 'v', roles: ['vendor_staff'] }, secret, '-5m'), /"exp" claim/],
      [await signToken({ sub: 'v', roles: ['vendor_admin', 'partner_admin'], partnerId: 'P-1' }, secret), /either vendor or partner staff/],
    ];
    for (const [token, why] of refusals) {
      const problem = await verifyToken(token, keys).then(
        () => undefined,
        (e: unknown) => e as Problem,
      );
      expect(problem).toBeInstanceOf(Problem);
      expect(problem!.status).toBe(401);
      expect(problem!.toBody().detail).toBe('The bearer token is not valid.');
      expect(problem!.logDetail).toMatch(why);
      expect(JSON.stringify(problem!.toBody())).not.toContain(problem!.logDetail!);
    }
  });
});

/**
 * How this console signs in, read at run time from the API that serves it (GET /console/config.json,
 * api/console-config.ts): the development token page, or single sign-on with the identity provider whose tokens the
 * API verifies. The answer is checked here field by field, since it is not an API route of the OpenAPI document.
 */
export type SignInConfig =
  | { signIn: 'token' }
  | { signIn: 'oidc'; issuer: string; clientId: string; scopes: string[]; audience: string; audienceParameter: 'resource' | 'audience' };

const isString = (value: unknown): value is string => typeof value === 'string' && value.length > 0;

/** The answer as a SignInConfig, or undefined when it is not one (then the page says it cannot tell how to sign in). */
export function parseSignInConfig(body: unknown): SignInConfig | undefined {
  const answer = body as Partial<Record<string, unknown>> | null;
  if (answer?.signIn === 'token') return { signIn: 'token' };
  if (answer?.signIn !== 'oidc') return undefined;
  const { issuer, clientId, scopes, audience, audienceParameter } = answer;
  if (!isString(issuer) || !isString(clientId) || !isString(audience)) return undefined;
  if (!Array.isArray(scopes) || !scopes.every(isString)) return undefined;
  if (audienceParameter !== 'resource' && audienceParameter !== 'audience') return undefined;
  return { signIn: 'oidc', issuer, clientId, scopes, audience, audienceParameter };
}

export async function fetchSignInConfig(): Promise<SignInConfig | undefined> {
  const answer = await fetch('/console/config.json', { headers: { Accept: 'application/json' }, cache: 'no-store' });
  if (!answer.ok) return undefined;
  return parseSignInConfig(await answer.json());
}

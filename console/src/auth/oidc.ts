/**
 * Single sign-on with OpenID Connect (oidc-client-ts): the authorization-code flow with PKCE (S256), the identity
 * provider's answer at /console/callback, the session in this tab's sessionStorage (state and user alike), renewed
 * silently with the refresh token when the provider gives one, and over — said so — when it cannot be. The access token asked for is the API's: its audience
 * is named with `resource` (RFC 8707, the standard; one absolute URI) or `audience` (providers predating it, such as
 * Auth0), as the API's configuration says — on the authorization request and again on the token request, since
 * providers differ in which one they read. The ID token is only used as the hint when signing out at the provider.
 */
import { type User, UserManager, WebStorageStateStore } from 'oidc-client-ts';
import type { SignInConfig } from './config';

export type OidcConfig = Extract<SignInConfig, { signIn: 'oidc' }>;

/** Where the provider sends the browser back (registered at the provider as the client's redirect URI). */
export const CALLBACK_PATH = '/console/callback';
const HOME_PATH = '/console/';

export function userManagerOf(config: OidcConfig): UserManager {
  const origin = window.location.origin;
  const store = new WebStorageStateStore({ store: window.sessionStorage });
  const audience = config.audienceParameter === 'resource' ? { resource: config.audience } : { extraQueryParams: { audience: config.audience } };
  return new UserManager({
    authority: config.issuer,
    client_id: config.clientId,
    redirect_uri: `${origin}${CALLBACK_PATH}`,
    post_logout_redirect_uri: `${origin}${HOME_PATH}`,
    response_type: 'code',
    scope: config.scopes.join(' '),
    ...audience,
    extraTokenParams: { [config.audienceParameter]: config.audience },
    userStore: store,
    stateStore: store,
    // Renewal is keepRenewed's (below): oidc-client-ts's own would fall back to a hidden iframe at the provider, which
    // the CSP's frame-src refuses (and then retry it for ever). Session monitoring would need that iframe too.
    automaticSilentRenew: false,
    monitorSession: false,
    loadUserInfo: false,
  });
}

/** Whether this page is the provider's answer to a sign-in. */
export const isCallback = () => window.location.pathname === CALLBACK_PATH;

/** Leaves the callback's address (its code and state are spent) for the console's home, which wouter then routes. */
export const leaveCallback = () => window.history.replaceState(null, '', HOME_PATH);

/**
 * Completes the sign-in the provider answered — once per page, whatever React does with effects (a code is good for
 * one exchange only).
 */
let completion: Promise<User> | undefined;
export function completeSignIn(manager: UserManager): Promise<User> {
  completion ??= manager.signinRedirectCallback();
  return completion;
}

/**
 * Ends the console's session, and the provider's too when its discovery document names an end_session_endpoint (the
 * browser then goes there, and comes back to the console's home). Resolves true when it left for the provider.
 */
export async function endSession(manager: UserManager): Promise<boolean> {
  const user = await manager.getUser();
  const endpoint = await manager.metadataService.getEndSessionEndpoint().catch(() => undefined);
  if (!endpoint) {
    await manager.removeUser();
    return false;
  }
  await manager.signoutRedirect(user?.id_token ? { id_token_hint: user.id_token } : {});
  return true;
}

/**
 * Renews the access token with the refresh token shortly before it expires (oidc-client-ts's accessTokenExpiring, a
 * minute ahead). Without a refresh token, or when the provider refuses it (revoked, or its session ended), the session
 * ends: `onEnd` at the refusal, or when the token expires.
 */
export function keepRenewed(manager: UserManager, onEnd: () => void): void {
  manager.events.addAccessTokenExpiring(async () => {
    const user = await manager.getUser();
    if (!user?.refresh_token) return;
    // signinSilent uses the refresh token when the user has one (and only then is it called here).
    await manager.signinSilent().catch(onEnd);
  });
  manager.events.addAccessTokenExpired(onEnd);
}

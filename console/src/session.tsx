/**
 * Sign-in state. How the console signs in is the API's to say (GET /console/config.json, auth/config.ts): in
 * development the partner pastes a token (`npm run token`), kept in sessionStorage (this tab only, gone when it
 * closes); in production single sign-on (auth/oidc.ts) yields the access token, whose audience is the API. Either way
 * that token is sent as the bearer token, and its claims are read only to greet the caller and choose the pages — the
 * API verifies it on every request, and a 401 signs the console out.
 */
import type { UserManager } from 'oidc-client-ts';
import { createContext, type ReactNode, useContext, useEffect, useMemo, useRef, useState } from 'react';
import { type Api, createApi } from './api/client';
import { fetchSignInConfig } from './auth/config';
import { completeSignIn, endSession, isCallback, keepRenewed, leaveCallback, userManagerOf } from './auth/oidc';
import { useLanguage } from './i18n';

const STORAGE_KEY = 'partnerflow.console.token';

export type Claims = { sub: string; roles: string[]; partnerId?: string };

/** The token's claims, unverified (display only), or undefined when it is not a JWT. */
export function claimsOf(token: string): Claims | undefined {
  const payload = token.split('.')[1];
  if (!payload || token.split('.').length !== 3) return undefined;
  try {
    const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(payload.length / 4) * 4, '='));
    const claims = JSON.parse(json) as Partial<Claims>;
    return typeof claims.sub === 'string' ? { sub: claims.sub, roles: claims.roles ?? [], ...(claims.partnerId ? { partnerId: claims.partnerId } : {}) } : undefined;
  } catch {
    return undefined;
  }
}

/** How this console signs in: still asking the API, a pasted token, single sign-on, or unknown (the API did not say). */
export type SignInMethod = 'loading' | 'token' | 'oidc' | 'unknown';

/**
 * Why the last session ended or did not start: the API refused its token (401), it expired without renewal, the
 * provider's access token is not a token for this API, the provider's answer failed (with its words), or the console
 * signed out locally only (the provider offers no sign-out).
 */
export type SessionEnd = { reason: 'refused' | 'expired' | 'notForApi' | 'signedOutLocally' } | { reason: 'failed'; detail: string };

type SessionState = {
  claims: Claims | undefined;
  method: SignInMethod;
  /** True while the provider's answer (/console/callback) is being exchanged for tokens. */
  completing: boolean;
  ended: SessionEnd | undefined;
  /** Why the last session ended, when the API refused its token (kept for the token page). */
  refused: boolean;
  signIn: (token: string) => void;
  /** Single sign-on: leaves for the identity provider's sign-in page. */
  signInWithProvider: () => void;
  signOut: () => void;
  api: Api;
};
const SessionContext = createContext<SessionState | undefined>(undefined);

export function SessionProvider({ children }: { children: ReactNode }) {
  const { language } = useLanguage();
  const [method, setMethod] = useState<SignInMethod>('loading');
  const [manager, setManager] = useState<UserManager | undefined>();
  const [token, setToken] = useState<string | undefined>();
  const [completing, setCompleting] = useState(isCallback);
  const [ended, setEnded] = useState<SessionEnd | undefined>();
  // The client reads the current token and language at each request, so it is created once.
  const current = useRef({ token, language, manager });
  current.current = { token, language, manager };

  const end = (why: SessionEnd | undefined) => {
    sessionStorage.removeItem(STORAGE_KEY);
    void current.current.manager?.removeUser();
    setToken(undefined);
    setEnded(why);
  };
  /** A provider's access token is this console's only if it is a JWT for the API; an opaque one would be refused. */
  const adopt = (accessToken: string) => (claimsOf(accessToken) ? (setToken(accessToken), setEnded(undefined)) : end({ reason: 'notForApi' }));

  useEffect(() => {
    let live = true;
    void (async () => {
      const config = await fetchSignInConfig().catch(() => undefined);
      if (!live) return;
      if (config?.signIn !== 'oidc') {
        setMethod(config ? 'token' : 'unknown');
        setToken(sessionStorage.getItem(STORAGE_KEY) ?? undefined);
        setCompleting(false);
        return;
      }
      const oidc = userManagerOf(config);
      current.current.manager = oidc;
      setManager(oidc);
      setMethod('oidc');
      oidc.events.addUserLoaded((user) => void (live && adopt(user.access_token)));
      // Renewal failed, or there was nothing to renew with: the session is over, and the page says so.
      keepRenewed(oidc, () => void (live && end({ reason: 'expired' })));
      if (isCallback()) {
        try {
          const user = await completeSignIn(oidc);
          if (live) adopt(user.access_token);
        } catch (error) {
          if (live) end({ reason: 'failed', detail: (error as Error).message });
        } finally {
          leaveCallback();
          if (live) setCompleting(false);
        }
        return;
      }
      const user = await oidc.getUser();
      if (!live || !user) return;
      if (!user.expired) return adopt(user.access_token);
      // Back after the token expired (the tab slept): renew if the provider gave a refresh token, else sign in again.
      if (user.refresh_token) await oidc.signinSilent().catch(() => live && end({ reason: 'expired' }));
      else end({ reason: 'expired' });
    })();
    return () => {
      live = false;
    };
    // Once per page: the sign-in method does not change while it is open.
  }, []);

  const api = useMemo(
    () =>
      createApi({
        token: () => current.current.token,
        language: () => current.current.language,
        onUnauthorized: () => end({ reason: 'refused' }),
      }),
    [],
  );
  const state = useMemo<SessionState>(
    () => ({
      claims: token ? claimsOf(token) : undefined,
      method,
      completing,
      ended,
      refused: ended?.reason === 'refused',
      api,
      signIn: (next) => {
        sessionStorage.setItem(STORAGE_KEY, next);
        setEnded(undefined);
        setToken(next);
      },
      signInWithProvider: () => {
        setEnded(undefined);
        void manager?.signinRedirect().catch((error: unknown) => setEnded({ reason: 'failed', detail: (error as Error).message }));
      },
      signOut: () => {
        if (!manager) return end(undefined);
        setToken(undefined);
        void endSession(manager).then(
          (leftForProvider) => !leftForProvider && setEnded({ reason: 'signedOutLocally' }),
          (error: unknown) => end({ reason: 'failed', detail: (error as Error).message }),
        );
      },
    }),
    [token, method, completing, ended, manager, api],
  );
  return <SessionContext.Provider value={state}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionState {
  const state = useContext(SessionContext);
  if (!state) throw new Error('useSession outside SessionProvider');
  return state;
}

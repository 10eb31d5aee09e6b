/**
 * Sign-in state. In development the partner pastes a token (`npm run token`); it is kept in sessionStorage (this
 * tab only, gone when it closes) and sent as the bearer token. The console reads the token's claims only to greet
 * the caller — the API verifies it on every request, and a 401 signs the console out.
 */
import { createContext, type ReactNode, useContext, useMemo, useRef, useState } from 'react';
import { type Api, createApi } from './api/client';
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

type SessionState = {
  claims: Claims | undefined;
  /** Why the last session ended, when the API refused its token. */
  refused: boolean;
  signIn: (token: string) => void;
  signOut: () => void;
  api: Api;
};
const SessionContext = createContext<SessionState | undefined>(undefined);

export function SessionProvider({ children }: { children: ReactNode }) {
  const { language } = useLanguage();
  const [token, setToken] = useState<string | undefined>(() => sessionStorage.getItem(STORAGE_KEY) ?? undefined);
  const [refused, setRefused] = useState(false);
  // The client reads the current token and language at each request, so it is created once.
  const current = useRef({ token, language });
  current.current = { token, language };
  const api = useMemo(
    () =>
      createApi({
        token: () => current.current.token,
        language: () => current.current.language,
        onUnauthorized: () => {
          sessionStorage.removeItem(STORAGE_KEY);
          setToken(undefined);
          setRefused(true);
        },
      }),
    [],
  );
  const state = useMemo<SessionState>(
    () => ({
      claims: token ? claimsOf(token) : undefined,
      refused,
      api,
      signIn: (next) => {
        sessionStorage.setItem(STORAGE_KEY, next);
        setRefused(false);
        setToken(next);
      },
      signOut: () => {
        sessionStorage.removeItem(STORAGE_KEY);
        setToken(undefined);
      },
    }),
    [token, refused, api],
  );
  return <SessionContext.Provider value={state}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionState {
  const state = useContext(SessionContext);
  if (!state) throw new Error('useSession outside SessionProvider');
  return state;
}

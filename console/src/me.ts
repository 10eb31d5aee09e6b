/**
 * The caller as the API sees it (GET /v1/me): its effective permissions — a partner member's stored roles, custom
 * roles included — rather than the roles its token names. The console chooses its pages and what it offers from these
 * (views.ts, inbox/items.ts, operations/permissions.ts), so a member whose custom role allows verifying incentives
 * sees them even though no built-in role name says so, and nobody is offered what the API would refuse.
 *
 * Read once per session: the answer is kept for the session (a role change shows after signing in again; the API
 * still decides every request meanwhile).
 */
import { useQuery } from '@tanstack/react-query';
import type { components } from './api/schema.gen';
import { type Claims, useSession } from './session';

export type Me = components['schemas']['Me'];
export type Permission = Me['permissions'][number];

/** The signed-in caller's answer, undefined while it loads (or when nobody is signed in). */
export function useMe() {
  const { api, claims } = useSession();
  return useQuery({
    // The token's subject and claims name the session: another token is another caller.
    queryKey: ['me', claims?.sub, claims?.partnerId, claims?.roles.join(',')],
    enabled: claims !== undefined,
    staleTime: Number.POSITIVE_INFINITY,
    gcTime: Number.POSITIVE_INFINITY,
    queryFn: async (): Promise<Me> => {
      const { data, error } = await api.GET('/v1/me');
      if (!data) throw new Error((error as { detail?: string } | undefined)?.detail ?? 'GET /v1/me failed');
      return data;
    },
  });
}

/** Whether the caller holds `permission` (false while the answer loads: nothing is offered before it is known). */
export const holds = (me: Me | undefined, permission: Permission): boolean => Boolean(me?.permissions.includes(permission));

export type { Claims };

/**
 * The certification catalog's names (GET /v1/certification-types): a certification is named to the reviewer as the
 * catalog names it ("Consulting partner role certification"), its type code beside it. Read once per session.
 */
import { useQuery } from '@tanstack/react-query';
import type { Api } from '../api/client';
import { useSession } from '../session';
import { ok } from './kinds';

const catalogs = new WeakMap<Api, Promise<ReadonlyMap<string, string>>>();

export function certificationNames(api: Api): Promise<ReadonlyMap<string, string>> {
  let names = catalogs.get(api);
  if (!names) {
    names = api.GET('/v1/certification-types').then((answer) => new Map(ok(answer).items.map((type) => [type.type, type.name])));
    // A failed read is not kept: the next item asks again.
    names.catch(() => catalogs.delete(api));
    catalogs.set(api, names);
  }
  return names;
}

/** The catalog's names, once read (empty until then: the type codes stand in). */
export function useCertificationNames(): ReadonlyMap<string, string> {
  const { api } = useSession();
  return useQuery({ queryKey: ['certification-types'], queryFn: () => certificationNames(api), staleTime: Infinity }).data ?? new Map();
}

/** A certification type as the reviewer reads it: the catalog's name and the code, or the code alone. */
export const certificationName = (names: ReadonlyMap<string, string>, type: string) => (names.has(type) ? `${names.get(type)} (${type})` : type);

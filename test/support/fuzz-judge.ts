/**
 * One fuzzed POST on real objects, sent and judged the way every process's own fuzz file judges it (directly or through
 * support/fuzz-writes.ts sendWrite): never a 5xx, never the server's internals, a refusal a well-formed problem (as the
 * route-group fuzz judges one, support/fuzz-group.ts) that changed nothing in the database (compared from a quiet
 * database: a fixture just made may still be announcing itself), an acceptance not one the policy or the route's schema
 * certainly refuses and answered as the route declares. The caller checks what is its own (the partner answered, the
 * process's invariants).
 */
import type { RouteDef } from '../../api/kit/http.js';
import type { PrismaClient } from '../../platform/db.js';
import { send, STACK } from './fuzz.js';
import { isWellFormedProblem } from './fuzz-group.js';
import { databaseSnapshot, tableChanges, untilQuiet } from './snapshot.js';

export type FuzzTally = { accepted: number; refused: number };

/** Sends `bytes` to `path`; throws on a wrong answer. Answers the accepted response, or undefined when refused. */
export async function sendAndJudge(
  env: { base: string; prisma: PrismaClient },
  r: { route: RouteDef; path: string; headers: Record<string, string>; bytes: Buffer; where: string; tally: FuzzTally; certainlyRefused: () => string | undefined },
): Promise<{ json: unknown; got: string } | undefined> {
  const { route, path, headers, bytes, where, tally } = r;
  const before = await untilQuiet(() => databaseSnapshot(env.prisma));
  const res = await send(env.base, 'post', path, headers, bytes);
  const got = `${res.status} ${res.text.slice(0, 300)}`;
  if (res.status >= 500) throw new Error(`5xx: ${got}\n${where}`);
  if (STACK.test(res.text)) throw new Error(`internals in the answer: ${got}\n${where}`);
  if (res.status >= 400) {
    if (!isWellFormedProblem(res)) throw new Error(`malformed problem: ${got}\n${where}`);
    const changed = tableChanges(before, await databaseSnapshot(env.prisma));
    if (changed.length) throw new Error(`refused, yet the database changed: ${changed.join('; ')}\n${where}`);
    tally.refused++;
    return undefined;
  }
  tally.accepted++;
  const refused = r.certainlyRefused();
  if (refused) throw new Error(`accepted although certainly refused (${refused}): ${got}\n${where}`);
  const declared = route.responses[res.status] as { safeParse: (v: unknown) => { success: boolean } } | undefined;
  if (!declared?.safeParse(res.json).success) throw new Error(`the answer is not what the route declares: ${got}\n${where}`);
  return { json: res.json, got };
}

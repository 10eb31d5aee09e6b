/**
 * The only door into the enterprise tables (enterprise, enterprise_import, enterprise_import_row; 0025_enterprise.sql).
 * There is no workflow: an import is the vendor's data, written as it arrives; reads are a catalog every holder of
 * customer.expand may search.
 *
 * An import is streamed (api/kit/ndjson.ts) and recorded in batches, each one transaction under the import's row
 * lock: a line's history row is unique on (import, line), so a retry of the same Idempotency-Key — after a crash, a
 * lost answer, or while the first request still runs — records nothing twice and answers each line as it was first
 * answered. A retry must send the same body: a line whose bytes differ from the recorded line, a line beyond a
 * finished import's end, or a finished import's body ending elsewhere is 422 idempotency-key-reused.
 *
 * Search: pg_trgm similarity on the name behind a GIN index (the migration refuses a database whose ctype cannot
 * make trigrams of Chinese text), ranked by similarity; or the exact credit code. The SQL is here (not Prisma's query
 * builder): the trigram operators have no Prisma equivalent.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Request } from 'express';
import type { Principal } from '../../domain/auth.js';
import { CREDIT_CODE_FAULT_MESSAGES, creditCodeFault } from '../../domain/credit-code.js';
import { type EnterpriseLine, type ImportOutcome, type LineFault, readEnterpriseLine } from '../../domain/enterprise.js';
import { problems } from '../../domain/problems.js';
import type { Prisma, PrismaClient } from '../../prisma/generated/client.js';
import { checkStreamRequest, type NdjsonLine, ndjsonLines, type StreamBody } from '../kit/ndjson.js';
import { decodeCursor, encodeCursor, type KeyKind, page } from '../kit/pagination.js';
import type { EnterpriseImportView, EnterprisePageView, EnterpriseView, RowResult } from './schemas.js';

type Tx = Prisma.TransactionClient;

/** Lines recorded per transaction: large enough to amortize the commit, small enough to keep each lock short. */
const BATCH_LINES = 200;
const CODE_PATTERN = /^[0-9A-HJ-NPQRTUWXY]{18}$/;

type EnterpriseRow = {
  credit_code: string;
  name: string;
  industry: string | null;
  region: string | null;
  registered_capital_currency: string | null;
  registered_capital_minor: bigint | null;
  import_id: string;
  imported_at: Date;
};
const COLUMNS = `credit_code, name, industry, region, registered_capital_currency, registered_capital_minor, import_id::text AS import_id, imported_at`;

const view = (r: EnterpriseRow): EnterpriseView => ({
  creditCode: r.credit_code,
  name: r.name,
  industry: r.industry,
  region: r.region,
  registeredCapital: r.registered_capital_currency !== null && r.registered_capital_minor !== null ? { currency: r.registered_capital_currency, minor: Number(r.registered_capital_minor) } : null,
  importedAt: r.imported_at.toISOString(),
  importId: r.import_id,
});

const invalidCode = (field: string, code: string) => {
  const fault = creditCodeFault(code);
  return fault ? problems.unprocessable('credit-code-invalid', `${field}: ${CREDIT_CODE_FAULT_MESSAGES[fault]}`, field) : undefined;
};

const keyReused = (detail: string) => problems.unprocessable('idempotency-key-reused', `This Idempotency-Key was already used with another body: ${detail}`, 'Idempotency-Key');

/** A similarity in [0, 1] as the cursor carries it (PostgreSQL's real, written back exactly as it was read). */
const similarityKey: KeyKind<number> = (raw) => (typeof raw === 'number' && raw >= 0 && raw <= 1 ? raw : undefined);

/** `%`, `_` and `\` of the query taken literally in LIKE. */
const likeLiteral = (q: string) => q.replace(/[\\%_]/g, (c) => `\\${c}`);

/**
 * Search by name, on the part of the names that tells enterprises apart (search_name: the name without its company
 * form; the query is cut the same way by the same SQL function). % (similarity ≥ pg_trgm.similarity_threshold, 0.3)
 * finds a whole name with a typo, <% (word similarity ≥ pg_trgm.word_similarity_threshold, 0.6) a typo in part of a
 * long name, LIKE a part typed exactly; the GIN index on search_name answers all three (a bitmap OR of its scans).
 * Ranked by the greater of the two similarities, then by credit code (the keyset: $3, $4). Exported for the test
 * that EXPLAINs it.
 */
export const SEARCH_BY_NAME_SQL = `SELECT ${COLUMNS}, score FROM (
    SELECT *, greatest(similarity(search_name, $1), word_similarity($1, search_name))::real AS score FROM enterprise
    WHERE search_name % $1 OR $1 <% search_name OR search_name LIKE $2
  ) m
  WHERE $3::real IS NULL OR score < $3::real OR (score = $3::real AND credit_code > $4)
  ORDER BY score DESC, credit_code ASC
  LIMIT $5`;
/** The parameters of SEARCH_BY_NAME_SQL for the query's distinctive part (searchPartOf). */
export const searchByNameParameters = (part: string, after: { key: number; id: string } | undefined, take: number) => [part, `%${likeLiteral(part)}%`, after?.key ?? null, after?.id ?? null, take];

/** The query cut as the names are (the database's enterprise_search_name: one rule); all of it when nothing is left. */
export async function searchPartOf(prisma: PrismaClient, name: string): Promise<string> {
  const [row] = await prisma.$queryRaw<{ part: string | null }[]>`SELECT enterprise_search_name(${name}) AS part`;
  return row?.part || name;
}

type Recorded = { line: number; line_sha256: string; credit_code: string | null; outcome: ImportOutcome; errors: LineFault | null };

const resultOf = (r: Recorded): RowResult =>
  r.outcome === 'REFUSED'
    ? { line: r.line, ok: false, creditCode: r.credit_code, problem: r.errors! }
    : { line: r.line, ok: true, creditCode: r.credit_code!, outcome: r.outcome };

/** The code a refused line named, when it could be read as one string (kept short: it is only a hint). */
function namedCode(line: NdjsonLine): string | null {
  if (!('text' in line)) return null;
  try {
    const code = (JSON.parse(line.text) as { creditCode?: unknown } | null)?.creditCode;
    return typeof code === 'string' ? code.slice(0, 64) : null;
  } catch {
    return null;
  }
}

/** The current record from one line: created, updated (something differs) or left unchanged. One statement. */
async function upsert(tx: Tx, importId: string, line: number, e: EnterpriseLine, at: Date): Promise<ImportOutcome> {
  const currency = e.registeredCapital?.currency ?? null;
  const minor = e.registeredCapital ? BigInt(e.registeredCapital.minor) : null;
  // xmax = 0: the row was inserted by this statement; no row: the conflict's update found nothing to change.
  const rows = await tx.$queryRaw<{ inserted: boolean }[]>`
    INSERT INTO enterprise (credit_code, name, industry, region, registered_capital_currency, registered_capital_minor, import_id, import_line, imported_at, created_at)
    VALUES (${e.creditCode}, ${e.name}, ${e.industry ?? null}, ${e.region ?? null}, ${currency}, ${minor}, ${importId}::uuid, ${line}, ${at}, ${at})
    ON CONFLICT (credit_code) DO UPDATE SET
      name = EXCLUDED.name, industry = EXCLUDED.industry, region = EXCLUDED.region,
      registered_capital_currency = EXCLUDED.registered_capital_currency, registered_capital_minor = EXCLUDED.registered_capital_minor,
      import_id = EXCLUDED.import_id, import_line = EXCLUDED.import_line, imported_at = EXCLUDED.imported_at
    WHERE (enterprise.name, enterprise.industry, enterprise.region, enterprise.registered_capital_currency, enterprise.registered_capital_minor)
      IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.industry, EXCLUDED.region, EXCLUDED.registered_capital_currency, EXCLUDED.registered_capital_minor)
    RETURNING (xmax = 0) AS inserted`;
  return rows.length === 0 ? 'UNCHANGED' : rows[0]!.inserted ? 'CREATED' : 'UPDATED';
}

export function createEnterpriseClient({ prisma }: { prisma: PrismaClient }) {
  /**
   * One batch of lines in one transaction: lines recorded before (by an earlier attempt with this key) answer as
   * recorded if they are the same bytes; new lines are written, unless the import already finished (then the body
   * is not the one the key was used with).
   */
  async function recordBatch(importId: string, batch: NdjsonLine[]): Promise<RowResult[]> {
    return prisma.$transaction(
      async (tx) => {
        const [lock] = await tx.$queryRaw<{ finished: boolean }[]>`SELECT finished_at IS NOT NULL AS finished FROM enterprise_import WHERE id = ${importId}::uuid FOR UPDATE`;
        const recorded = new Map(
          (
            await tx.$queryRaw<Recorded[]>`
              SELECT line, line_sha256, credit_code, outcome, errors FROM enterprise_import_row
              WHERE import_id = ${importId}::uuid AND line = ANY(${batch.map((l) => l.line)}::int[])`
          ).map((r) => [r.line, r]),
        );
        const at = new Date();
        const results: RowResult[] = [];
        const fresh: { line: number; sha256: string; code: string | null; outcome: ImportOutcome; errors: string | null; data: string | null }[] = [];
        for (const l of batch) {
          const before = recorded.get(l.line);
          if (before) {
            if (before.line_sha256 !== l.sha256) throw keyReused(`line ${l.line} differs from the line first sent`);
            results.push(resultOf(before));
            continue;
          }
          if (lock?.finished) throw keyReused(`line ${l.line} is beyond the end of the body first sent`);
          const read = 'text' in l ? readEnterpriseLine(l.text) : { fault: { code: 'malformed-line', errors: [{ field: '(line)', message: l.unreadable }] } as LineFault };
          if ('fault' in read) {
            const code = namedCode(l);
            results.push({ line: l.line, ok: false, creditCode: code, problem: read.fault });
            fresh.push({ line: l.line, sha256: l.sha256, code, outcome: 'REFUSED', errors: JSON.stringify(read.fault), data: null });
            continue;
          }
          const outcome = await upsert(tx, importId, l.line, read.line, at);
          results.push({ line: l.line, ok: true, creditCode: read.line.creditCode, outcome: outcome as Exclude<ImportOutcome, 'REFUSED'> });
          fresh.push({ line: l.line, sha256: l.sha256, code: read.line.creditCode, outcome, errors: null, data: JSON.stringify(read.line) });
        }
        if (fresh.length) {
          await tx.$executeRaw`
            INSERT INTO enterprise_import_row (import_id, line, line_sha256, credit_code, outcome, errors, data, recorded_at)
            SELECT ${importId}::uuid, r.line, r.sha, r.code, r.outcome, r.errors::jsonb, r.data::jsonb, ${at}
            FROM unnest(${fresh.map((f) => f.line)}::int[], ${fresh.map((f) => f.sha256)}::text[], ${fresh.map((f) => f.code)}::text[],
                        ${fresh.map((f) => f.outcome)}::text[], ${fresh.map((f) => f.errors)}::text[], ${fresh.map((f) => f.data)}::text[])
              AS r(line, sha, code, outcome, errors, data)`;
        }
        return results;
      },
      { timeout: 60_000, maxWait: 30_000 },
    );
  }

  /** The import this caller started with this key, made on its first batch (an empty or refused body makes none). */
  async function importOf(principal: Principal, key: string): Promise<{ id: string; finished: boolean; lineCount: number | null; bodySha256: string | null } | undefined> {
    const [row] = await prisma.$queryRaw<{ id: string; finished: boolean; line_count: number | null; body_sha256: string | null }[]>`
      SELECT id::text AS id, finished_at IS NOT NULL AS finished, line_count, body_sha256 FROM enterprise_import
      WHERE imported_by = ${principal.sub} AND idempotency_key = ${key}`;
    return row && { id: row.id, finished: row.finished, lineCount: row.line_count, bodySha256: row.body_sha256 };
  }

  async function startImport(principal: Principal, key: string): Promise<string> {
    await prisma.$executeRaw`
      INSERT INTO enterprise_import (id, idempotency_key, imported_by, started_at) VALUES (${randomUUID()}::uuid, ${key}, ${principal.sub}, ${new Date()})
      ON CONFLICT (imported_by, idempotency_key) DO NOTHING`;
    return (await importOf(principal, key))!.id;
  }

  return {
    /** POST /v1/enterprises/import: the body's lines as they arrive, a result per line. */
    async importStream(principal: Principal, req: Request, idempotencyKey: string | undefined, spec: StreamBody): Promise<EnterpriseImportView> {
      if (idempotencyKey === undefined) throw problems.validation([{ field: 'Idempotency-Key', message: 'required: an import is retried safely only with one' }]);
      checkStreamRequest(req, spec);
      const first = await importOf(principal, idempotencyKey);
      let importId = first?.id;
      const hash = createHash('sha256');
      const results: RowResult[] = [];
      let batch: NdjsonLine[] = [];
      const flush = async () => {
        if (!batch.length) return;
        importId ??= await startImport(principal, idempotencyKey);
        results.push(...(await recordBatch(importId, batch)));
        batch = [];
      };
      const processed = () => ({ importId: importId ?? null, linesRecorded: results.length });
      for await (const line of ndjsonLines(req, spec, hash, processed)) {
        batch.push(line);
        if (batch.length >= BATCH_LINES) await flush();
      }
      await flush();
      const bodySha256 = hash.digest('hex');
      if (!importId) throw problems.validation([{ field: '(body)', message: 'the import has no lines: send one JSON object per line' }]);

      // Finish the import (once): its line count and body hash are what a retry is compared with.
      const finished = await prisma.$queryRaw<{ line_count: number; body_sha256: string }[]>`
        WITH done AS (
          UPDATE enterprise_import SET finished_at = ${new Date()}, line_count = ${results.length}, body_sha256 = ${bodySha256}
          WHERE id = ${importId}::uuid AND finished_at IS NULL
            AND (SELECT count(*) FROM enterprise_import_row WHERE import_id = ${importId}::uuid) = ${results.length}
          RETURNING line_count, body_sha256)
        SELECT line_count, body_sha256 FROM done
        UNION ALL SELECT line_count, body_sha256 FROM enterprise_import WHERE id = ${importId}::uuid AND finished_at IS NOT NULL`;
      const stored = finished[0];
      if (!stored) throw keyReused('the body first sent has more lines');
      if (stored.body_sha256 !== bodySha256 || stored.line_count !== results.length) throw keyReused('the body first sent ends elsewhere');
      const refused = results.filter((r) => !r.ok).length;
      return { id: importId, lines: results.length, accepted: results.length - refused, refused, replayed: first?.finished ?? false, results };
    },

    /** GET /v1/enterprises: by name (fuzzy, most similar first) or by exact credit code. */
    async search(query: { name?: string | undefined; creditCode?: string | undefined; limit: number; cursor?: string | undefined }): Promise<EnterprisePageView> {
      if (query.creditCode !== undefined) {
        const invalid = invalidCode('query.creditCode', query.creditCode);
        if (invalid) throw invalid;
        const rows = await prisma.$queryRawUnsafe<EnterpriseRow[]>(`SELECT ${COLUMNS} FROM enterprise WHERE credit_code = $1`, query.creditCode);
        return { items: rows.map((r) => ({ ...view(r), similarity: 1 })), nextCursor: null };
      }
      const q = query.name!;
      const after = query.cursor ? decodeCursor(query.cursor, similarityKey, (id) => CODE_PATTERN.test(id)) : undefined;
      const rows = await prisma.$queryRawUnsafe<(EnterpriseRow & { score: number })[]>(SEARCH_BY_NAME_SQL, ...searchByNameParameters(await searchPartOf(prisma, q), after, query.limit + 1));
      const { items, nextCursor } = page(rows, query.limit, (r) => encodeCursor(r.score, r.credit_code));
      return { items: items.map((r) => ({ ...view(r), similarity: r.score })), nextCursor };
    },

    /** GET /v1/enterprises/:creditCode. */
    async get(creditCode: string): Promise<EnterpriseView> {
      const invalid = invalidCode('creditCode', creditCode);
      if (invalid) throw invalid;
      const [row] = await prisma.$queryRawUnsafe<EnterpriseRow[]>(`SELECT ${COLUMNS} FROM enterprise WHERE credit_code = $1`, creditCode);
      if (!row) throw problems.notFound(`Enterprise ${creditCode}`);
      return view(row);
    },
  };
}

export type EnterpriseClient = ReturnType<typeof createEnterpriseClient>;

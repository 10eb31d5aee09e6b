/**
 * Webhook signing secrets at rest: `webhook_endpoint.secret` and `previous_secret` hold them sealed with the
 * WEBHOOK_SECRET_KEYS keyring (platform/keyring.ts, AES-256-GCM, `enc:v1:<keyId>:…`), each bound to its row and column
 * (`webhook_endpoint/<id>/secret`): a sealed value copied into another row or column does not open there. They are
 * opened only where a delivery is signed (activities/webhook.ts) and where the API answers a secret once
 * (api/webhook/client.ts: creation, rotation, and their Idempotency-Key retries).
 *
 * `sealWebhookSecrets` is the start-up pass the worker runs (worker/main.ts): it seals rows still in plain text
 * (written before this existed, or by an API replica not yet upgraded) and re-seals rows sealed with a key that is no
 * longer the first (a key rotation), so the old key can be removed afterwards. It is safe to run twice at once (two
 * worker replicas): every row is rewritten only if it still holds what the pass read (compare-and-set), so a rotation
 * or another pass that changed it meanwhile wins and this pass leaves the row alone.
 */
import type { Logger } from 'pino';
import { configDefaults } from './config.js';
import type { PrismaClient } from './db.js';
import { isSealedText, type Keyring, keyIdOfSealedText, openText, parseKeyring, sealText } from './keyring.js';

export type { Keyring };

/** The two columns holding a signing secret. */
export type SecretColumn = 'secret' | 'previous_secret';

/** What a sealed value is bound to (the additional authenticated data): its row and column. */
export const secretContext = (endpointId: string, column: SecretColumn) => `webhook_endpoint/${endpointId}/${column}`;

/**
 * The keyring from WEBHOOK_SECRET_KEYS (the published development key when unset, which the API refuses beyond
 * loopback: platform/config.ts). Read from the environment like the rest of the configuration; a malformed value
 * throws naming the variable, so the API and the worker stop at start rather than at the first secret.
 */
export const webhookSecretKeyring = (value: string | undefined = process.env.WEBHOOK_SECRET_KEYS): Keyring =>
  parseKeyring(value ?? configDefaults.WEBHOOK_SECRET_KEYS, 'WEBHOOK_SECRET_KEYS');

/** A stored secret that cannot be opened: its key left the ring, or the value is not the one sealed for this row. */
export class WebhookSecretUnreadable extends Error {
  constructor(
    readonly endpointId: string,
    readonly column: SecretColumn,
    /** The key id the value names; undefined when it names none. */
    readonly keyId: string | undefined,
    readonly keyMissing: boolean,
  ) {
    super(
      keyMissing
        ? `webhook endpoint ${endpointId}: ${column} is sealed with key ${keyId}, which WEBHOOK_SECRET_KEYS no longer holds — put that key back (second in the ring) and restart a worker: its start-up pass re-seals the row`
        : `webhook endpoint ${endpointId}: ${column} does not open with key ${keyId} (altered, or copied from another row or column)`,
    );
    this.name = 'WebhookSecretUnreadable';
  }

  /** What a partner may read in a delivery's lastError: why nothing was sent, without the operator's detail. */
  get publicReason(): string {
    return this.keyMissing
      ? `not sent: the signing secret is sealed with key ${this.keyId}, which the service no longer holds (an operator must restore it; then redeliver)`
      : 'not sent: the signing secret could not be opened (an operator must look at it; then redeliver)';
  }
}

export function sealEndpointSecret(ring: Keyring, endpointId: string, column: SecretColumn, secret: string): string {
  return sealText(ring, secret, secretContext(endpointId, column));
}

/**
 * The secret a column holds. Plain text passes as it is: a row written before secrets were sealed, or by an API replica
 * not yet upgraded, still signs until the worker's next start-up pass seals it (see docs/security.md).
 */
export function openEndpointSecret(ring: Keyring, endpointId: string, column: SecretColumn, stored: string): string {
  if (!isSealedText(stored)) return stored;
  const keyId = keyIdOfSealedText(stored);
  try {
    return openText(ring, stored, secretContext(endpointId, column));
  } catch {
    throw new WebhookSecretUnreadable(endpointId, column, keyId, keyId === undefined || !ring.keys.has(keyId));
  }
}

/** What the signing needs of an endpoint's row. */
export type StoredSecrets = { id: string; secret: string; previousSecret: string | null; previousSecretExpiresAt: Date | null };

/**
 * The secrets that sign a POST sent at `now`, opened: the endpoint's, and after a rotation the one it replaced until
 * its grace period ends (real time, like the signature's timestamp: the receiver compares it with its own clock). An
 * expired previous secret is not opened at all. Throws WebhookSecretUnreadable for a secret that must sign and cannot.
 */
export function openSigningSecrets(ring: Keyring, endpoint: StoredSecrets, now: Date): string[] {
  const current = openEndpointSecret(ring, endpoint.id, 'secret', endpoint.secret);
  const { previousSecret, previousSecretExpiresAt } = endpoint;
  if (!previousSecret || !previousSecretExpiresAt || previousSecretExpiresAt <= now) return [current];
  return [current, openEndpointSecret(ring, endpoint.id, 'previous_secret', previousSecret)];
}

// ── the start-up pass ───────────────────────────────────────────────────────────────────────────────────────────────

/** A row as the pass reads it. */
export type SealableRow = { id: string; secret: string; previous_secret: string | null; previous_secret_expires_at: Date | null };

/**
 * One column the pass could not open: which row, which key the value names, whether that key is missing (else the
 * value itself is wrong), and whether it still has to sign (a previous secret whose grace ended never signs again).
 */
export type UnreadableSecret = { endpointId: string; column: SecretColumn; keyId: string | undefined; keyMissing: boolean; signs: boolean };

export type SealCounts = {
  /** Rows the pass looked at: those with a column in plain text or not sealed with the first key. */
  examined: number;
  /** Columns found in plain text and sealed. */
  sealed: number;
  /** Columns sealed with an older key and re-sealed with the first. */
  resealed: number;
  /** Rows changed by someone else between the read and the write (a rotation, another replica's pass): left to them. */
  changedMeanwhile: number;
  /** Columns that do not open with this keyring: left as they are, and listed. */
  unreadable: UnreadableSecret[];
};

/** What the pass does to one column: the value to store and whether it was plain text, or nothing (it stays). */
function resealed(ring: Keyring, endpointId: string, column: SecretColumn, stored: string, signs: boolean, counts: SealCounts) {
  const sealedWith = keyIdOfSealedText(stored);
  if (sealedWith === ring.currentId) return undefined;
  try {
    const value = sealEndpointSecret(ring, endpointId, column, openEndpointSecret(ring, endpointId, column, stored));
    return { value, was: sealedWith === undefined ? ('sealed' as const) : ('resealed' as const) };
  } catch (error) {
    if (!(error instanceof WebhookSecretUnreadable)) throw error;
    counts.unreadable.push({ endpointId, column, keyId: error.keyId, keyMissing: error.keyMissing, signs });
    return undefined;
  }
}

/**
 * Seals one row's columns under the first key, writing only if the row still holds what was read (`row`). Returns
 * whether it wrote, found nothing to do, or left the row to a concurrent change; counts only what it wrote. Exported
 * for the test of that race.
 */
export async function resealRow(prisma: PrismaClient, ring: Keyring, row: SealableRow, counts: SealCounts, now = new Date()): Promise<'written' | 'unchanged' | 'changed-meanwhile'> {
  const secret = resealed(ring, row.id, 'secret', row.secret, true, counts);
  const previousSigns = row.previous_secret_expires_at !== null && row.previous_secret_expires_at > now;
  const previous = row.previous_secret === null ? undefined : resealed(ring, row.id, 'previous_secret', row.previous_secret, previousSigns, counts);
  if (secret === undefined && previous === undefined) return 'unchanged';
  // The previous secret's expiry stays as it is (the table's CHECK pairs the two columns, and a rotation's retry
  // answers it).
  const { count } = await prisma.webhookEndpoint.updateMany({
    where: { id: row.id, secret: row.secret, previousSecret: row.previous_secret },
    data: { ...(secret ? { secret: secret.value } : {}), ...(previous ? { previousSecret: previous.value } : {}) },
  });
  if (count === 0) {
    counts.changedMeanwhile += 1;
    return 'changed-meanwhile';
  }
  for (const column of [secret, previous]) if (column) counts[column.was] += 1;
  return 'written';
}

/**
 * Seals every webhook secret still in plain text and re-seals those sealed with a key other than the first, `batch`
 * rows at a time in id order (a keyset: a row the pass cannot change is not read again). Rows already sealed with the
 * first key are not read. Idempotent: a second pass finds nothing to do, apart from the unreadable rows it lists again.
 */
export async function sealWebhookSecrets(prisma: PrismaClient, ring: Keyring, { batch = 100 } = {}): Promise<SealCounts> {
  const counts: SealCounts = { examined: 0, sealed: 0, resealed: 0, changedMeanwhile: 0, unreadable: [] };
  const current = `enc:v1:${ring.currentId}:`;
  let after = '';
  for (;;) {
    const rows = await prisma.$queryRaw<SealableRow[]>`
      SELECT id, secret, previous_secret, previous_secret_expires_at FROM webhook_endpoint
      WHERE id > ${after} AND (NOT starts_with(secret, ${current}) OR NOT starts_with(previous_secret, ${current}))
      ORDER BY id LIMIT ${batch}`;
    for (const row of rows) await resealRow(prisma, ring, row, counts);
    counts.examined += rows.length;
    if (rows.length < batch) return counts;
    after = rows.at(-1)!.id;
  }
}

/** Whether the ring seals with the development key published in platform/config.ts. */
export function sealsWithDevelopmentKey(ring: Keyring): boolean {
  const development = parseKeyring(configDefaults.WEBHOOK_SECRET_KEYS, 'WEBHOOK_SECRET_KEYS');
  return ring.keys.get(ring.currentId)!.equals(development.keys.get(development.currentId)!);
}

/**
 * The worker's start-up call: runs the pass with the WEBHOOK_SECRET_KEYS keyring and logs what it did — an error naming
 * every row it could not open (their deliveries fail until the key is restored). A failure of the pass itself (the
 * database unreachable) is logged too: nothing is lost, the next start runs it again, and plain text still signs. With
 * NODE_ENV=production it does not seal with the published development key (a worker deployed without the variable):
 * that would turn plain text into something that merely looks protected, and the API, refusing that key, could not
 * open it.
 */
export async function sealWebhookSecretsAtStart(prisma: PrismaClient, log: Logger, ring: Keyring = webhookSecretKeyring()): Promise<void> {
  if (process.env.NODE_ENV === 'production' && sealsWithDevelopmentKey(ring)) {
    log.error('webhook secrets not sealed: WEBHOOK_SECRET_KEYS is unset or starts with the published development key, with NODE_ENV=production — set it to id:base64key (openssl rand -base64 32)');
    return;
  }
  try {
    const { unreadable, ...counts } = await sealWebhookSecrets(prisma, ring);
    log.info({ ...counts, unreadable: unreadable.length, sealingKey: ring.currentId }, 'webhook secrets sealed with the first key of WEBHOOK_SECRET_KEYS');
    const signing = unreadable.filter((u) => u.signs);
    if (signing.length > 0) {
      log.error({ unreadable: signing }, `${signing.length} webhook secret(s) cannot be opened with WEBHOOK_SECRET_KEYS: their endpoints' deliveries fail until the key they name is back in the ring`);
    }
    if (signing.length < unreadable.length) {
      log.warn({ unreadable: unreadable.filter((u) => !u.signs) }, 'replaced webhook secrets past their grace cannot be opened with WEBHOOK_SECRET_KEYS (they sign nothing any more)');
    }
  } catch (error) {
    log.warn({ err: error }, 'sealing webhook secrets failed; the next start tries again');
  }
}

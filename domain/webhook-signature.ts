/**
 * Standard Webhooks signatures (https://www.standardwebhooks.com): HMAC-SHA256 over `<id>.<timestamp>.<body>` with
 * the endpoint's secret (`whsec_<base64 key>`), sent as `webhook-signature: v1,<base64>`. During a secret rotation's
 * grace period a POST carries one signature per valid secret, space-separated (`v1,<new> v1,<old>`): the scheme's
 * receivers accept when any matches. node:crypto only; any Standard Webhooks library verifies what this signs.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

const PREFIX = 'whsec_';
/** Receivers refuse timestamps further than this from their clock (replay protection). */
export const SIGNATURE_TOLERANCE_SECONDS = 5 * 60;

/** A new endpoint secret: 32 random bytes, `whsec_<base64>`. */
export const newWebhookSecret = () => PREFIX + randomBytes(32).toString('base64');

const keyOf = (secret: string) => Buffer.from(secret.startsWith(PREFIX) ? secret.slice(PREFIX.length) : secret, 'base64');

export function sign(secret: string, id: string, timestampSeconds: number, body: string): string {
  return 'v1,' + createHmac('sha256', keyOf(secret)).update(`${id}.${timestampSeconds}.${body}`).digest('base64');
}

/** The three headers of one signed POST: one signature per secret (the current one first). */
export function signatureHeaders(secrets: readonly string[], id: string, timestampSeconds: number, body: string): Record<string, string> {
  const signatures = secrets.map((secret) => sign(secret, id, timestampSeconds, body));
  return { 'webhook-id': id, 'webhook-timestamp': String(timestampSeconds), 'webhook-signature': signatures.join(' ') };
}

/** What a receiver does: true when one of the header's `v1,` signatures matches and the timestamp is recent. */
export function verify(secret: string, headers: { id: string; timestamp: string; signature: string }, body: string, nowSeconds = Date.now() / 1000): boolean {
  const timestamp = Number(headers.timestamp);
  if (!Number.isInteger(timestamp) || Math.abs(nowSeconds - timestamp) > SIGNATURE_TOLERANCE_SECONDS) return false;
  const expected = Buffer.from(sign(secret, headers.id, timestamp, body));
  return headers.signature.split(' ').some((candidate) => {
    const given = Buffer.from(candidate);
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}

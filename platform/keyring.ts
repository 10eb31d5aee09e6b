/**
 * Named AES-256-GCM keys from the environment, for data encrypted at rest (webhook secrets) and in workflow history
 * (the payload codec). A keyring is written `id:key[,id:key…]`, each key 32 bytes in base64: the FIRST key seals, every
 * key opens — so a key is rotated by putting the new one first and keeping the old one until nothing sealed with it is
 * left. Each sealed value names its key id, and binds what it is for (`context`, the additional authenticated data):
 * a value sealed for one purpose or row does not open as another's.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

export type Keyring = { readonly currentId: string; readonly keys: ReadonlyMap<string, Buffer> };

const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/** Parses `id:base64key,…`; throws naming the variable and the entry at fault (never the key itself). */
export function parseKeyring(value: string, variable: string): Keyring {
  const keys = new Map<string, Buffer>();
  const entries = value.split(',').map((entry) => entry.trim()).filter(Boolean);
  if (entries.length === 0) throw new Error(`${variable}: no key — write id:base64key, e.g. k1:$(openssl rand -base64 32)`);
  entries.forEach((entry, index) => {
    const colon = entry.indexOf(':');
    const id = colon < 0 ? '' : entry.slice(0, colon);
    if (!KEY_ID.test(id)) throw new Error(`${variable}: entry ${index + 1} has no key id (1–32 of A–Z a–z 0–9 _ -) before its colon`);
    const key = Buffer.from(entry.slice(colon + 1), 'base64');
    if (key.length !== 32) throw new Error(`${variable}: key ${id} is ${key.length} bytes, not 32 (openssl rand -base64 32)`);
    if (keys.has(id)) throw new Error(`${variable}: key id ${id} appears twice`);
    keys.set(id, key);
  });
  return { currentId: entries[0]!.slice(0, entries[0]!.indexOf(':')), keys };
}

/** Sealed bytes: nonce (12) ‖ ciphertext ‖ tag (16), under the key `keyId`. */
export type Sealed = { keyId: string; data: Buffer };

export function sealBytes(ring: Keyring, plaintext: Uint8Array, context: string): Sealed {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', ring.keys.get(ring.currentId)!, nonce);
  cipher.setAAD(Buffer.from(context, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return { keyId: ring.currentId, data: Buffer.concat([nonce, body, cipher.getAuthTag()]) };
}

/** Opens what sealBytes sealed for the same context; throws if the key is unknown or the data or context differ. */
export function openBytes(ring: Keyring, { keyId, data }: Sealed, context: string): Buffer {
  const key = ring.keys.get(keyId);
  if (!key) throw new Error(`sealed with key ${keyId}, which the keyring does not hold (was it removed before everything sealed with it was re-sealed?)`);
  if (data.length < NONCE_BYTES + TAG_BYTES) throw new Error('sealed data is too short to be sealed data');
  const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, NONCE_BYTES));
  decipher.setAAD(Buffer.from(context, 'utf8'));
  decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
  return Buffer.concat([decipher.update(data.subarray(NONCE_BYTES, data.length - TAG_BYTES)), decipher.final()]);
}

/** The text form, for a database column: `enc:v1:<keyId>:<base64url data>`. */
const TEXT_PREFIX = 'enc:v1:';

export const isSealedText = (value: string) => value.startsWith(TEXT_PREFIX);

export function sealText(ring: Keyring, plaintext: string, context: string): string {
  const { keyId, data } = sealBytes(ring, Buffer.from(plaintext, 'utf8'), context);
  return `${TEXT_PREFIX}${keyId}:${data.toString('base64url')}`;
}

export function openText(ring: Keyring, sealed: string, context: string): string {
  if (!isSealedText(sealed)) throw new Error('not sealed text (enc:v1:…)');
  const rest = sealed.slice(TEXT_PREFIX.length);
  const colon = rest.indexOf(':');
  return openBytes(ring, { keyId: rest.slice(0, colon), data: Buffer.from(rest.slice(colon + 1), 'base64url') }, context).toString('utf8');
}

/** The key id a sealed text names (to find what is still sealed with an old key). */
export const keyIdOfSealedText = (sealed: string) => (isSealedText(sealed) ? sealed.slice(TEXT_PREFIX.length).split(':')[0] : undefined);

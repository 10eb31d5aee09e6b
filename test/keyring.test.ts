/**
 * The keyring (platform/keyring.ts): AES-256-GCM checked against Node's own cipher run by hand with a known key and
 * nonce layout, rotation (the first key seals, every key opens), the context binding, and the parse errors.
 */
import { createDecipheriv } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isSealedText, keyIdOfSealedText, openBytes, openText, parseKeyring, sealBytes, sealText } from '../platform/keyring.js';

const k1 = Buffer.alloc(32, 1).toString('base64');
const k2 = Buffer.alloc(32, 2).toString('base64');

describe('keyring', () => {
  it('seals with AES-256-GCM under the first key: nonce ‖ ciphertext ‖ tag, the context as additional data', () => {
    const ring = parseKeyring(`new:${k2}, old:${k1}`, 'TEST_KEYS');
    const sealed = sealBytes(ring, Buffer.from('whsec_abc'), 'webhook_endpoint/e-1');
    expect(sealed.keyId).toBe('new');
    expect(sealed.data.length).toBe(12 + 'whsec_abc'.length + 16);
    // Decrypted by hand with the raw key: the layout and the algorithm are what the doc says.
    const d = createDecipheriv('aes-256-gcm', Buffer.alloc(32, 2), sealed.data.subarray(0, 12));
    d.setAAD(Buffer.from('webhook_endpoint/e-1'));
    d.setAuthTag(sealed.data.subarray(sealed.data.length - 16));
    expect(Buffer.concat([d.update(sealed.data.subarray(12, sealed.data.length - 16)), d.final()]).toString()).toBe('whsec_abc');
  });

  it('opens what an older key sealed while that key is in the ring, and refuses once it is removed', () => {
    const old = parseKeyring(`old:${k1}`, 'TEST_KEYS');
    const text = sealText(old, 'secret', 'ctx');
    expect(isSealedText(text)).toBe(true);
    expect(keyIdOfSealedText(text)).toBe('old');
    expect(openText(parseKeyring(`new:${k2},old:${k1}`, 'TEST_KEYS'), text, 'ctx')).toBe('secret');
    expect(() => openText(parseKeyring(`new:${k2}`, 'TEST_KEYS'), text, 'ctx')).toThrow(/key old, which the keyring does not hold/);
  });

  it('a value sealed for one context does not open for another, and a changed byte does not open', () => {
    const ring = parseKeyring(`k:${k1}`, 'TEST_KEYS');
    const sealed = sealBytes(ring, Buffer.from('x'), 'row-1');
    expect(() => openBytes(ring, sealed, 'row-2')).toThrow();
    const tampered = Buffer.from(sealed.data);
    tampered[12] = tampered[12]! ^ 1;
    expect(() => openBytes(ring, { keyId: 'k', data: tampered }, 'row-1')).toThrow();
    expect(openBytes(ring, sealed, 'row-1').toString()).toBe('x');
  });

  it('two seals of the same text differ (a fresh nonce each)', () => {
    const ring = parseKeyring(`k:${k1}`, 'TEST_KEYS');
    expect(sealText(ring, 'same', 'c')).not.toBe(sealText(ring, 'same', 'c'));
  });

  it('names the variable and the entry at fault, never the key', () => {
    expect(() => parseKeyring('', 'WEBHOOK_SECRET_KEYS')).toThrow('WEBHOOK_SECRET_KEYS: no key');
    expect(() => parseKeyring(k1, 'X')).toThrow('X: entry 1 has no key id');
    expect(() => parseKeyring(`a:${Buffer.alloc(16).toString('base64')}`, 'X')).toThrow('X: key a is 16 bytes, not 32');
    expect(() => parseKeyring(`a:${k1},a:${k2}`, 'X')).toThrow('X: key id a appears twice');
  });
});

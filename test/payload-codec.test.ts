/**
 * The payload codec (platform/payload-codec.ts), on its own: every payload sealed with AES-256-GCM under the first key
 * (checked by decrypting by hand with the raw key), `binary/encrypted` and the key id the only things left in clear,
 * the original payload — its encoding included — restored exactly, unencrypted payloads passed through (recorded
 * histories replay), rotation, and a codec without the sealing key or a tampered payload failing clearly.
 */
import { createDecipheriv } from 'node:crypto';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import protos from '@temporalio/proto';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../platform/config.js';
import { ENCRYPTED_ENCODING, KEY_ID_METADATA, payloadCodecOf } from '../platform/payload-codec.js';

const k1 = Buffer.alloc(32, 7).toString('base64');
const k2 = Buffer.alloc(32, 9).toString('base64');
const text = (bytes: Uint8Array | null | undefined) => Buffer.from(bytes ?? []).toString('utf8');
const personal = { customerName: '张三 Zhang San Holdings', note: 'call the CFO on Friday', fileName: 'contract-zhang.pdf' };

describe('payload codec', () => {
  it('seals each payload whole under the first key; only binary/encrypted and the key id stay in clear', async () => {
    const codec = payloadCodecOf(`current:${k2},old:${k1}`)!;
    const original = defaultPayloadConverter.toPayload(personal);
    const [sealed] = await codec.encode([original]);
    expect(text(sealed!.metadata!.encoding)).toBe(ENCRYPTED_ENCODING);
    expect(text(sealed!.metadata![KEY_ID_METADATA])).toBe('current');
    expect(Object.keys(sealed!.metadata!).sort()).toEqual(['encoding', KEY_ID_METADATA].sort());
    for (const value of Object.values(personal)) expect(Buffer.from(sealed!.data!).includes(Buffer.from(value))).toBe(false);
    // By hand with the raw key: nonce ‖ ciphertext ‖ tag, the format's context as additional data, the payload protobuf inside.
    const data = Buffer.from(sealed!.data!);
    const decipher = createDecipheriv('aes-256-gcm', Buffer.alloc(32, 9), data.subarray(0, 12));
    decipher.setAAD(Buffer.from(`temporal-payload/v1/${ENCRYPTED_ENCODING}`));
    decipher.setAuthTag(data.subarray(data.length - 16));
    const inner = protos.temporal.api.common.v1.Payload.decode(Buffer.concat([decipher.update(data.subarray(12, data.length - 16)), decipher.final()]));
    expect(text(inner.metadata.encoding)).toBe('json/plain');
    expect(JSON.parse(text(inner.data))).toEqual(personal);
  });

  it('decodes to the payload the converter made, metadata and all', async () => {
    const codec = payloadCodecOf(`k1:${k1}`)!;
    const originals = [defaultPayloadConverter.toPayload(personal), defaultPayloadConverter.toPayload(undefined), defaultPayloadConverter.toPayload(new Uint8Array([1, 2, 3]))];
    const decoded = await codec.decode(await codec.encode(originals));
    expect(decoded.map((p) => defaultPayloadConverter.fromPayload(p))).toEqual([personal, undefined, new Uint8Array([1, 2, 3])]);
    decoded.forEach((p, i) => expect(text(p.metadata!.encoding)).toBe(text(originals[i]!.metadata!.encoding)));
  });

  it('passes payloads that are not encrypted through (histories from before the codec)', async () => {
    const codec = payloadCodecOf(`k1:${k1}`)!;
    const plain: Payload[] = [defaultPayloadConverter.toPayload(personal), { metadata: { encoding: Buffer.from('binary/null') } }];
    const decoded = await codec.decode(plain);
    decoded.forEach((payload, i) => expect(payload).toBe(plain[i])); // the very same objects, untouched
  });

  it('rotation: a payload sealed with the old key opens while the old key is still in the ring', async () => {
    const [sealed] = await payloadCodecOf(`old:${k1}`)!.encode([defaultPayloadConverter.toPayload(personal)]);
    const rotated = payloadCodecOf(`new:${k2},old:${k1}`)!;
    expect(defaultPayloadConverter.fromPayload((await rotated.decode([sealed!]))[0]!)).toEqual(personal);
    const [resealed] = await rotated.encode([defaultPayloadConverter.toPayload(personal)]);
    expect(text(resealed!.metadata![KEY_ID_METADATA])).toBe('new');
  });

  it('a codec without the key that sealed fails naming that key; a tampered payload fails too', async () => {
    const [sealed] = await payloadCodecOf(`old:${k1}`)!.encode([defaultPayloadConverter.toPayload(personal)]);
    await expect(payloadCodecOf(`new:${k2}`)!.decode([sealed!])).rejects.toThrow(/sealed with key old, which the keyring does not hold/);
    const tampered = Buffer.from(sealed!.data!);
    tampered[20] = tampered[20]! ^ 1;
    await expect(payloadCodecOf(`old:${k1}`)!.decode([{ ...sealed!, data: tampered }])).rejects.toThrow(/cannot decrypt a payload sealed with key old/);
    // The same key under another id is another key as far as the ring knows: still refused, naming the id.
    await expect(payloadCodecOf(`other:${k1}`)!.decode([sealed!])).rejects.toThrow(/key old/);
  });

  it('PAYLOAD_CODEC_KEYS: unset means no codec; a malformed ring stops the start naming the variable', () => {
    expect(payloadCodecOf(loadConfig({ DATABASE_URL: 'postgres://x@localhost/x' }).PAYLOAD_CODEC_KEYS)).toBeUndefined();
    expect(() => payloadCodecOf('k1:c2hvcnQ=')).toThrow(/PAYLOAD_CODEC_KEYS: key k1 is 5 bytes, not 32/);
  });
});

/**
 * The payload codec: every payload the client, the worker and the activities send to Temporal — workflow inputs and
 * results, update and signal arguments, activity inputs and results, query answers — is encrypted with AES-256-GCM
 * under PAYLOAD_CODEC_KEYS before it leaves the process, so the history the cluster stores holds no customer name,
 * note or file name in clear. The payload as the converter made it (its metadata and data, protobuf-encoded) is sealed
 * whole, so its own encoding travels inside, authenticated; outside stay only `encoding: binary/encrypted` and the key
 * id. Search attributes are not payloads the codec sees: they stay plain, for the Web UI to list by.
 *
 * Decoding passes through every payload that is not `binary/encrypted` — the histories recorded before the codec was
 * switched on, and whatever a codec-less client wrote — so switching it on needs no migration. A payload sealed with a
 * key the ring no longer holds fails naming that key id.
 */
import type { DataConverter, Payload, PayloadCodec } from '@temporalio/common';
import protos from '@temporalio/proto';
import { type Keyring, openBytes, parseKeyring, sealBytes } from './keyring.js';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';
/**
 * The additional authenticated data of every sealed payload: a payload opens only as a payload of this format (not as a
 * webhook secret sealed with the same key, nor the other way round), and the outer encoding it claims is bound in.
 */
const CONTEXT = `temporal-payload/v1/${ENCRYPTED_ENCODING}`;

const { Payload: PayloadProto } = protos.temporal.api.common.v1;
const utf8 = (bytes: Uint8Array | null | undefined) => (bytes ? Buffer.from(bytes).toString('utf8') : undefined);

export class PayloadEncryptionCodec implements PayloadCodec {
  constructor(readonly keyring: Keyring) {}

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      const { keyId, data } = sealBytes(this.keyring, PayloadProto.encode(payload).finish(), CONTEXT);
      return {
        metadata: { encoding: Buffer.from(ENCRYPTED_ENCODING), [KEY_ID_METADATA]: Buffer.from(keyId) },
        data,
      };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      if (utf8(payload.metadata?.encoding) !== ENCRYPTED_ENCODING) return payload;
      const keyId = utf8(payload.metadata?.[KEY_ID_METADATA]);
      if (!keyId) throw new Error(`an encrypted payload names no key (no ${KEY_ID_METADATA} metadata): it cannot be decrypted`);
      let plaintext: Buffer;
      try {
        plaintext = openBytes(this.keyring, { keyId, data: Buffer.from(payload.data ?? []) }, CONTEXT);
      } catch (error) {
        throw new Error(`cannot decrypt a payload sealed with key ${keyId}: ${(error as Error).message}`, { cause: error });
      }
      const decoded = PayloadProto.decode(plaintext);
      return { metadata: decoded.metadata, data: decoded.data };
    });
  }
}

/** The codec PAYLOAD_CODEC_KEYS describes (`id:base64key,…`, the first seals), or undefined when it is unset. */
export function payloadCodecOf(keys: string | undefined): PayloadEncryptionCodec | undefined {
  return keys === undefined ? undefined : new PayloadEncryptionCodec(parseKeyring(keys, 'PAYLOAD_CODEC_KEYS'));
}

/** The data converter of every client and worker the processes run: the SDK's payload converter, then the codec. */
export const dataConverterOf = (codec: PayloadCodec | undefined): DataConverter | undefined => (codec ? { payloadCodecs: [codec] } : undefined);

/**
 * The codec endpoint for the Temporal Web UI (Temporal's codec server protocol): POST <endpoint>/decode turns the
 * encrypted payloads the UI shows into what the processes sent, POST <endpoint>/encode the other way (the UI encodes
 * what an operator types, e.g. a signal's argument). It decodes with the codec of the API's own Temporal client — the
 * keys the payloads were sealed with (PAYLOAD_CODEC_KEYS) — and answers payloads it does not know (not encrypted, or
 * the API runs without a codec) as they came. Only `payload.decode` (vendor_operator) may call it; every call is in the
 * audit log. The browser's preflight is answered by ./cors.ts.
 */
import type { Client } from '@temporalio/client';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { Problem } from '../../domain/problems.js';
import { defineRoute, type RouteDef } from '../kit/http.js';
import { type CodecPayloads, codecPayloadsBody, codecPayloadsSchema } from './schemas.js';

/** The codec endpoint's base URL path, what the Web UI's codec endpoint setting names (after the API's origin). */
export const CODEC_PATH = '/v1/codec';

const fromWire = ({ payloads }: CodecPayloads): Payload[] =>
  payloads.map(({ metadata, data }) => ({
    metadata: Object.fromEntries(Object.entries(metadata ?? {}).map(([key, value]) => [key, Buffer.from(value, 'base64')])),
    ...(data !== undefined ? { data: Buffer.from(data, 'base64') } : {}),
  }));

const toWire = (payloads: Payload[]): CodecPayloads => ({
  payloads: payloads.map(({ metadata, data }) => ({
    metadata: Object.fromEntries(Object.entries(metadata ?? {}).map(([key, value]) => [key, Buffer.from(value ?? []).toString('base64')])),
    ...(data ? { data: Buffer.from(data).toString('base64') } : {}),
  })),
});

/**
 * The codecs of the client's data converter, in the order the SDK encodes with (decoding runs them backwards). Read at
 * each request: a route listing made without a real client (the policy and fuzz tests') must not need one.
 */
const codecsOf = (temporal: Client): readonly PayloadCodec[] => temporal.options?.loadedDataConverter?.payloadCodecs ?? [];

async function transform(codecs: readonly PayloadCodec[], direction: 'encode' | 'decode', payloads: Payload[]): Promise<Payload[]> {
  const ordered = direction === 'encode' ? codecs : [...codecs].reverse();
  let result = payloads;
  for (const codec of ordered) {
    try {
      result = await codec[direction](result);
    } catch (error) {
      // A payload sealed with a key the API no longer holds, or altered: the operator is told which key, never a stack.
      throw new Problem(422, 'payload-undecodable', 'The payloads cannot be decoded', (error as Error).message, [{ field: 'payloads', message: (error as Error).message }]);
    }
  }
  return result;
}

export function codecRoutes({ temporal }: { temporal: Client }): RouteDef[] {
  return (['decode', 'encode'] as const).map((direction) =>
    defineRoute({
      method: 'post',
      path: `${CODEC_PATH}/${direction}`,
      permission: 'payload.decode',
      summary:
        direction === 'decode'
          ? 'Decrypt workflow payloads for the Temporal Web UI (codec server protocol).'
          : 'Encrypt payloads the Temporal Web UI sends (codec server protocol).',
      body: codecPayloadsBody,
      responses: { 200: codecPayloadsSchema },
      problems: [422],
      handler: async ({ body }) => ({ status: 200, body: toWire(await transform(codecsOf(temporal), direction, fromWire(body))) }),
    }),
  );
}

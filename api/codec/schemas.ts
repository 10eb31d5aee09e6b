/**
 * The codec server protocol of the Temporal Web UI (and `temporal` CLI's --codec-endpoint): a list of payloads as the
 * API's JSON renders them — each metadata value and the data in base64 — in the request and, transformed, in the answer.
 */
import { z } from 'zod';

const base64 = z.base64().max(1024 * 1024);

export const codecPayloadSchema = z.strictObject({
  metadata: z.record(z.string().min(1).max(256), base64).optional(),
  data: base64.optional(),
});

/** The request body (inline in the document, as every route's body is). */
export const codecPayloadsBody = z.strictObject({ payloads: z.array(codecPayloadSchema).max(1000) });

/** The answer: the same shape, named in the document. */
export const codecPayloadsSchema = codecPayloadsBody.meta({ id: 'CodecPayloads', description: 'Temporal payloads in the codec server protocol: metadata values and data in base64.' });

export type CodecPayloads = z.output<typeof codecPayloadsBody>;

/**
 * Request bodies streamed as NDJSON (one JSON value per line, `application/x-ndjson`): read line by line while they
 * arrive, never held whole, with limits on the bytes, the lines and each line's length. The route declares no `body`
 * and no `rawBody`, so the kit (api/kit/http.ts) leaves the stream unread; it reads it itself through `ndjsonLines()`
 * after the kit has authenticated and authorized the caller (nobody unauthorized gets to stream megabytes at us).
 *
 * `streamed(route, spec)` records the spec on the route so that the OpenAPI document can describe the body
 * (`streamRequestBody()`), and `streamBodyOf(route)` reads it back.
 */
import { createHash, type Hash } from 'node:crypto';
import type { Request } from 'express';
import { z } from 'zod';
import { Problem } from '../../domain/problems.js';

export const NDJSON = 'application/x-ndjson';

export type StreamBody = {
  /** Accepted media types (parameters ignored); any other Content-Type is 415. */
  types: readonly string[];
  /** A body past this many bytes is 413 (lines read before it are processed). */
  maxBytes: number;
  /** A body with more (non-blank) lines is 413 (lines before it are processed). */
  maxLines: number;
  /** A longer line is refused alone (its row's problem), the others go on. */
  maxLineBytes: number;
  /** One line's JSON value: what the document shows as the schema of each line. */
  line: z.ZodType;
  /** For the document: what the body is and what the answer says about each line. */
  description: string;
};

/** One line of the body: its number (1-based, blank lines counted), its text, or why it could not be read. */
export type NdjsonLine = { line: number; sha256: string } & ({ text: string } | { unreadable: string });

type Routed = { streamBody?: StreamBody };

/** The route with its streamed body recorded (for the document); the route itself is unchanged otherwise. */
export const streamed = <R extends object>(route: R, spec: StreamBody): R & Routed => Object.assign(route, { streamBody: spec });
export const streamBodyOf = (route: object): StreamBody | undefined => (route as Routed).streamBody;

/** The OpenAPI requestBody of a streamed route: the media type with the schema of one line (OpenAPI 3.2's itemSchema too). */
export function streamRequestBody(spec: StreamBody) {
  const item = z.toJSONSchema(spec.line, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  const { $schema: _s, ...line } = item;
  const schema = { type: 'string', contentMediaType: NDJSON, description: `NDJSON: one JSON object per line, each of this shape: ${JSON.stringify(line)}` };
  return {
    required: true,
    description: `${spec.description} At most ${spec.maxLines} lines, ${spec.maxBytes} bytes, ${spec.maxLineBytes} bytes per line; read as a stream.`,
    content: Object.fromEntries(spec.types.map((type) => [type, { schema, itemSchema: line }])),
  };
}

const tooLarge = (detail: string, extensions: Record<string, unknown> = {}) =>
  new Problem(413, 'payload-too-large', 'Bad request', detail, [{ field: '(body)', message: detail }], extensions);

/** 415 unless the request says it sends one of `types`; 413 at once when its Content-Length is already too large. */
export function checkStreamRequest(req: Request, spec: StreamBody): void {
  if (!req.is([...spec.types])) {
    throw new Problem(415, 'unsupported-media-type', 'Unsupported media type', `Send the body as ${spec.types.join(' or ')} (one JSON object per line).`, [
      { field: 'Content-Type', message: `must be one of ${spec.types.join(', ')}` },
    ]);
  }
  const length = Number(req.get('content-length'));
  if (Number.isFinite(length) && length > spec.maxBytes) throw tooLarge(`The body is larger than ${spec.maxBytes} bytes.`);
}

/**
 * The body's lines as they arrive. Blank lines are skipped (their numbers still count, so a line number is the
 * line in the sender's file); a line that is not UTF-8 or longer than the limit comes as `unreadable`. `hash`
 * receives every byte, for the caller's check that a retry sends the same body. Throws the 413 problem past the
 * byte or line limit (`onLimit` adds the problem's extensions: what was processed before).
 */
export async function* ndjsonLines(req: Request, spec: StreamBody, hash: Hash, onLimit: () => Record<string, unknown> = () => ({})): AsyncGenerator<NdjsonLine> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let overlong = false;
  let lineHash = createHash('sha256');
  let number = 0;
  let lines = 0;
  let total = 0;
  const finish = (): NdjsonLine | undefined => {
    number++;
    const bytes = Buffer.concat(pending);
    const wasOverlong = overlong;
    const sha256 = lineHash.digest('hex');
    pending = [];
    pendingBytes = 0;
    overlong = false;
    lineHash = createHash('sha256');
    const trimmed = bytes.at(-1) === 0x0d ? bytes.subarray(0, -1) : bytes;
    if (!wasOverlong && trimmed.every((b) => b === 0x20 || b === 0x09)) return undefined;
    if (++lines > spec.maxLines) throw tooLarge(`The body has more than ${spec.maxLines} lines: send the rest in another import.`, onLimit());
    if (wasOverlong) return { line: number, sha256, unreadable: `the line is longer than ${spec.maxLineBytes} bytes` };
    try {
      return { line: number, sha256, text: decoder.decode(trimmed) };
    } catch {
      return { line: number, sha256, unreadable: 'the line is not UTF-8 text' };
    }
  };
  for await (const chunk of req as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > spec.maxBytes) throw tooLarge(`The body is larger than ${spec.maxBytes} bytes: send the rest in another import.`, onLimit());
    hash.update(chunk);
    let start = 0;
    for (let nl = chunk.indexOf(0x0a); nl !== -1; nl = chunk.indexOf(0x0a, start)) {
      take(chunk.subarray(start, nl));
      const done = finish();
      if (done) yield done;
      start = nl + 1;
    }
    take(chunk.subarray(start));
  }
  if (pendingBytes > 0 || overlong) {
    const done = finish();
    if (done) yield done;
  }

  // A line past the limit is hashed whole but not kept (it is refused anyway).
  function take(part: Buffer) {
    if (part.length === 0) return;
    lineHash.update(part);
    if (overlong) return;
    if (pendingBytes + part.length > spec.maxLineBytes + 1) {
      overlong = true;
      pending = [];
      pendingBytes = 0;
      return;
    }
    pending.push(Buffer.from(part));
    pendingBytes += part.length;
  }
}

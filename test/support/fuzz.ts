/** Building blocks of test/fuzz.test.ts: hostile strings and JSON, URL encoding that keeps them hostile, raw HTTP. */
import { request } from 'node:http';
import fc from 'fast-check';

/** An answer that shows the server's internals: a stack frame, a module path, the checkout's path. */
export const STACK = /\bat .*\.[cm]?[jt]s:\d+|node_modules|\/work\/|Error: .*\n\s+at /;

/** A fuzzed path segment as the router sees it; one it cannot decode becomes a NUL, which no id schema accepts. */
export function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return '\u0000';
  }
}

/** Characters that break naive code: NUL, lone surrogates, bidi overrides, zero-width, combining marks, emoji, … */
export const EDGE_CHARS = [
  '\u0000', '\u0001', '\u001f', '\u007f', '\ud800', '\udbff', '\udc00', '\udfff', '\u202e', '\u202d', '\u200f', '\u200e',
  '\u2066', '\u200b', '\u200d', '\ufeff', '\ufffe', '\uffff', '\u0301', 'e\u0301', '\u0336\u0336\u0336', '😀', '👩‍👩‍👧‍👦',
  '🏳️‍🌈', '\u{10ffff}', '\u2028', '\u2029', '\u00a0', '\u3000', '\t', '\n', '\r', ' ', '%', '%00', '%2F', '..', '/', '\\',
  '"', "'", '`', '<script>', '${x}', '{{x}}', '\u0085', 'İ', 'ß', 'ﬃ', 'Ω', '𝔘𝔫𝔦', 'عربي', 'עברית', '中文', '\u0000\u0000',
  '__proto__', 'constructor', 'null', 'undefined', 'NaN', '-0', '1e308',
];

const edgeMix: fc.Arbitrary<string> = fc
  .array(
    fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom(...EDGE_CHARS) },
      { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 4 }) },
      { weight: 1, arbitrary: fc.string({ maxLength: 6 }) },
    ),
    { minLength: 1, maxLength: 10 },
  )
  .map((parts) => parts.join(''));

/** One edge character alone, one wrapped in ordinary text, or a mix of many. */
export const HOT_STRINGS = ['\u0000', 'a\u0000b', '\ud800', 'x\udc00', '\u202eabc', 'e\u0301', '😀', '\ufeff', '\u200b', ' '];
export const edgeString: fc.Arbitrary<string> = fc.oneof(
  { weight: 2, arbitrary: fc.constantFrom(...HOT_STRINGS) },
  fc.constantFrom(...EDGE_CHARS),
  fc.constantFrom(...EDGE_CHARS).map((c) => `a${c}b`),
  edgeMix,
);

/** Extremes of what `new Date(text)` still accepts, and just beyond. */
export const dateEdge = fc.constantFrom(
  '-271821-04-20T00:00:00.000Z', '+275760-09-13T00:00:00.000Z', '-271821-04-19T00:00:00.000Z', '0000-01-01T00:00:00Z',
  '1970-01-01T00:00:00Z', '9999-12-31T23:59:59.999Z', '2024-02-30T00:00:00Z', '2024-01-01T00:00:00+25:00', 'now', '',
);

/** Opaque tokens shaped like this API's cursors (base64url JSON [date, id]) with hostile insides. */
export const cursorLike: fc.Arbitrary<string> = fc
  .oneof(fc.tuple(dateEdge, edgeString), fc.tuple(dateEdge, fc.jsonValue({ maxDepth: 1 })), fc.jsonValue({ maxDepth: 2 }))
  .map((v) => Buffer.from(JSON.stringify(v)).toString('base64url'));

/** Long strings: just past typical limits up to several times the 64 KiB body limit. */
export const hugeString: fc.Arbitrary<string> = fc
  .tuple(fc.constantFrom('x', 'é', '😀', '\u0000', 'e\u0301', ' '), fc.constantFrom(65, 201, 501, 2001, 5000, 70_000, 200_000))
  .map(([unit, n]) => unit.repeat(Math.ceil(n / unit.length)));

/** Numbers and number-like strings: NaN-ish text, -0, 1e308, 2**53+1, negatives, fractions. */
export const numberish: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>(-0, 0, 1e308, -1e308, 2 ** 53 + 1, 2 ** 53, -1, -(2 ** 31), 2 ** 31, 2 ** 63, 0.5, 1e-300, 5e-324, 366.5, 367),
  fc.constantFrom<unknown>('NaN', 'Infinity', '-Infinity', '1e3', '0x10', '0b1', ' 12 ', '12abc', '', '-0', '١٢', '1_000', '+1'),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
);

export const jsonTypeOf = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

/** Any JSON value whose JSON type differs from `v`'s. */
export const wrongTypeFor = (v: unknown): fc.Arbitrary<unknown> =>
  fc
    .oneof(
      fc.constantFrom<unknown>(null, true, false, 0, -1, 1.5, '', 'x', [], {}, [null], { [String(v)]: v }),
      fc.jsonValue({ maxDepth: 2 }),
    )
    .filter((w) => jsonTypeOf(w) !== jsonTypeOf(v));

/** Leaf paths of a JSON object (objects only; arrays count as leaves). */
export function leafPaths(value: unknown, prefix: string[] = []): string[][] {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return prefix.length ? [prefix] : [];
  const entries = Object.entries(value);
  return [...(prefix.length ? [prefix] : []), ...entries.flatMap(([k, v]) => leafPaths(v, [...prefix, k]))];
}

export function setAt(value: unknown, path: string[], replacement: unknown): unknown {
  if (path.length === 0) return replacement;
  const copy = { ...(value as Record<string, unknown>) };
  copy[path[0]!] = setAt(copy[path[0]!], path.slice(1), replacement);
  return copy;
}

export function getAt(value: unknown, path: string[]): unknown {
  return path.reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], value);
}

/**
 * Percent-encodes for a request target, keeping invalid input invalid: a lone surrogate becomes its WTF-8 bytes
 * (%ED%A0%80 …, invalid UTF-8), which encodeURIComponent would refuse to produce.
 */
export function encodeHostile(s: string): string {
  let out = '';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (cp >= 0xd800 && cp <= 0xdfff) {
      out += [0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f)].map((b) => `%${b.toString(16).toUpperCase()}`).join('');
    } else out += encodeURIComponent(ch);
  }
  return out;
}

/** Path segments that are not UUIDs; some are left raw (already-encoded traversal, broken escapes). */
export const badPathSegment: fc.Arbitrary<{ raw: string }> = fc.oneof(
  fc.constantFrom(
    '..%2F..%2Fetc%2Fpasswd', '..%2f', '%2e%2e', '..%5C', '%', '%zz', '%E0%A4%A', '%ED%A0%80', '%00', '%C0%AE', 'null', 'undefined',
    '0', '-1', '1e308', 'NaN', '00000000-0000-0000-0000-00000000000', '00000000-0000-0000-0000-0000000000000',
    '{00000000-0000-0000-0000-000000000000}', 'urn:uuid:00000000-0000-0000-0000-000000000000', '%20', '%09',
    '00000000-0000-0000-0000-000000000000%00', 'g0000000-0000-0000-0000-000000000000', '__proto__', 'constructor',
  ).map((raw) => ({ raw })),
  edgeString.map((s) => ({ raw: encodeHostile(s) })),
  fc.constantFrom(100, 1000, 4000).map((n) => ({ raw: 'a'.repeat(n) })),
  fc.constantFrom(30, 300).map((n) => ({ raw: encodeHostile('\u{1f600}'.repeat(n)) })),
);

export type Sent = { status: number; contentType: string; text: string; json: unknown };

/** One raw HTTP request (GET may carry a body; the path goes out exactly as given). */
export function send(
  base: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body: Buffer | undefined,
  timeoutMs = 10_000,
): Promise<Sent> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: url.hostname, port: url.port, method: method.toUpperCase(), path, headers: { ...headers, ...(body ? { 'content-length': String(body.length) } : {}) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = text ? JSON.parse(text) : undefined;
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), text, json });
        });
        res.on('error', reject);
      },
    );
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

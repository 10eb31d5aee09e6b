/**
 * The fuzz test's request model (test/fuzz*.test.ts): what one fuzzed request is (token kind, fixture, hostile path
 * segments, query, body, headers), the fast-check arbitraries that make them — hostile-but-nearly-valid bodies twice
 * as often as generic ones —, and the deterministic examples every run starts with.
 */
import fc from 'fast-check';
import type { z } from 'zod';
import type { RouteDef } from '../../api/kit/http.js';
import { JPEG, PDF, PNG } from './env.js';
import { badPathSegment, cursorLike, dateEdge, edgeString, encodeHostile, getAt, hugeString, jsonTypeOf, leafPaths, numberish, setAt, wrongTypeFor } from './fuzz.js';
import { keyOf, paramNames, shapeKeys, stringRuleAt, VALID_BODY, VALID_QUERY } from './fuzz-inputs.js';
import { bothKindsMayCall } from './fuzz-verdict.js';

export type TokenKind = 'authorized' | 'owner' | 'none' | 'garbage' | 'malformedHeader' | 'expired' | 'wrongRole' | 'otherPartner';
export type BodySpec = { label: string; bad: boolean; json?: unknown; raw?: Buffer; contentType?: string; headers?: Record<string, string> };
export type Fuzzed = {
  token: TokenKind;
  fixture: number;
  params: Record<string, { raw: string } | null>;
  query: { label: string; bad: boolean; pairs: [string, string][] } | null;
  body: BodySpec | null;
  headers: Record<string, string>;
};

export const headerSafe = fc.string({ unit: fc.integer({ min: 0x20, max: 0xff }).filter((c) => c !== 0x7f).map((c) => String.fromCharCode(c)), maxLength: 300 });

/** Uploads (routes taking bytes): real and fake files, sizes at the limit, hostile file names. */
export function rawBodyArb(route: RouteDef): fc.Arbitrary<BodySpec> {
  const maxBytes = route.rawBody!.maxBytes;
  const named = (name: string) => ({ 'content-disposition': `attachment; filename*=UTF-8''${encodeHostile(name)}` });
  const file = (label: string, bad: boolean, raw: Buffer, contentType: string, headers: Record<string, string> = named('fuzz.pdf')): BodySpec => ({ label, bad, raw, contentType, headers });
  const real = fc.constantFrom<[Buffer, string]>([PDF, 'application/pdf'], [PNG, 'image/png'], [JPEG, 'image/jpeg']);
  return fc.oneof(
    real.chain(([bytes, type]) => fc.uint8Array({ maxLength: 32 }).map((tail) => file(`a real ${type}`, false, Buffer.concat([bytes, tail]), type))),
    real.map(([bytes, type]) => file(`a ${type} declared as something else`, true, bytes, type === 'application/pdf' ? 'image/png' : 'application/pdf')),
    fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 64 }), fc.constantFrom(...route.rawBody!.types)).map(([bytes, type]) => file(`random bytes as ${type}`, false, Buffer.from(bytes), type)),
    fc.constantFrom(...route.rawBody!.types).map((type) => file(`empty ${type}`, true, Buffer.alloc(0), type)),
    fc.constant(file('one byte over the limit', true, Buffer.concat([PDF, Buffer.alloc(maxBytes + 1 - PDF.length)]), 'application/pdf')),
    fc.constantFrom('text/plain', 'application/octet-stream', 'application/pdfx', 'image/*', 'application/json', '').map((type) => file(`a PDF as ${JSON.stringify(type)}`, true, PDF, type)),
    // hostile names: unicode edges may be fine; separators never are
    edgeString.map((name) => file(`file name ${JSON.stringify(name)}`, false, PDF, 'application/pdf', named(name))),
    fc.constantFrom('../x.pdf', 'a/b.pdf', 'a\\b.pdf', 'x'.repeat(201), 'a\u0000b.pdf', 'a\u202efdp.exe').map((name) => file(`bad file name ${JSON.stringify(name)}`, true, PDF, 'application/pdf', named(name))),
    fc.oneof(headerSafe, fc.constantFrom('', 'inline; filename="a.pdf"', 'attachment', 'attachment; filename=', 'attachment; filename="a.pdf"; filename="b.pdf"'))
      .map((header) => file(`Content-Disposition ${JSON.stringify(header.slice(0, 40))}`, false, PDF, 'application/pdf', { 'content-disposition': header })),
  );
}

export function bodyArb(route: RouteDef): fc.Arbitrary<BodySpec> {
  const valid = VALID_BODY[keyOf(route)];
  const keys = shapeKeys(route.body);
  const takesBody = route.body !== undefined;
  const json = (label: string, bad: boolean) => (value: unknown): BodySpec => ({ label, bad, json: value });
  const generic: fc.Arbitrary<BodySpec>[] = [
    fc.jsonValue({ maxDepth: 4 }).map(json('random JSON', false)),
    fc.anything({ maxDepth: 3, withNullPrototype: true, withObjectString: true, withBoxedValues: true, withSparseArray: true })
      .map((v) => { try { return JSON.parse(JSON.stringify(v) ?? 'null') as unknown; } catch { return null; } })
      .map(json('fc.anything as JSON', false)),
    fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 4 }).map(json('array instead of object', takesBody)),
    fc.string({ minLength: 1, maxLength: 40 })
      .filter((t) => t.trim() !== '' && /[^\x20\x09\x0a\x0d]/.test(t) && (() => { try { const p: unknown = JSON.parse(t); return p === null || typeof p !== 'object'; } catch { return true; } })())
      .map((raw) => ({ label: 'invalid JSON text', bad: true, raw: Buffer.from(raw), contentType: 'application/json' })),
    fc.constantFrom('{"a":', '{a:1}', "{'a':1}", '[1,]', '{"a":1}}', 'NaN', 'null', '"str"', '1e999', '{"a":"\\ud800"', '{"__proto__":{"x":1}', '\u0000')
      .map((raw) => ({ label: 'invalid JSON text', bad: true, raw: Buffer.from(raw), contentType: 'application/json' })),
    fc.uint8Array({ minLength: 1, maxLength: 64 }).map((bytes) => ({ label: 'random bytes as JSON', bad: false, raw: Buffer.from(bytes), contentType: 'application/json' })),
    fc.constant({ label: 'oversized JSON', bad: true, json: { pad: 'x'.repeat(70_000) } }),
    fc.record({ k: edgeString, v: fc.jsonValue({ maxDepth: 1 }) }).map(({ k, v }) => json('object with hostile keys', takesBody)({ [k]: v })),
  ];
  const stringPaths = valid ? leafPaths(valid).filter((p) => typeof getAt(valid, p) === 'string') : [];
  const withValid: fc.Arbitrary<BodySpec>[] = valid
    ? [
        // valid keys, wrong types (an empty body, `{}`, has none)
        ...(leafPaths(valid).length ? [fc.constantFrom(...leafPaths(valid)).chain((path) => wrongTypeFor(getAt(valid, path)).map((w) => json(`wrong type at ${path.join('.')}`, true)(setAt(valid, path, w))))] : []),
        // extra unknown keys
        fc.tuple(fc.oneof(edgeString, fc.constantFrom('__proto__', 'constructor', 'prototype', 'id', 'status', 'toString', 'ID', `${keys[0] ?? 'x'} `)), fc.jsonValue({ maxDepth: 1 }))
          .filter(([k]) => !keys.includes(k))
          .map(([k, v]) => ({ label: `unknown key ${JSON.stringify(k)}`, bad: true, raw: Buffer.from(JSON.stringify(valid).replace(/^\{/, `{${JSON.stringify(k)}:${JSON.stringify(v)},`)), contentType: 'application/json' })),
        // huge strings beyond limits (bodies without a top-level string leaf skip the string cases)
        ...(stringPaths.length ? [
        fc.tuple(fc.constantFrom(...stringPaths), hugeString)
          .map(([path, s]) => {
            const rule = stringRuleAt(route.body, path);
            // zod counts a string's length in code points (an emoji is one), not UTF-16 units
            return json(`huge string at ${path.join('.')}`, rule.isEnum === true || (rule.max !== undefined && [...s].length > rule.max))(setAt(valid, path, s));
          }),
        // unicode edges in strings (may be legitimate: 2xx allowed)
        fc.tuple(fc.constantFrom(...stringPaths), edgeString)
          .map(([path, s]) => json(`unicode edge at ${path.join('.')}`, false)(setAt(valid, path, s))),
        ] : []),
        // number edges anywhere
        ...(leafPaths(valid).length ? [fc.tuple(fc.constantFrom(...leafPaths(valid)), numberish).map(([path, n]) => json(`number edge at ${path.join('.')}`, false)(setAt(valid, path, n)))] : []),
        // arrays where objects are expected
        fc.constantFrom(...leafPaths(valid).filter((p) => jsonTypeOf(getAt(valid, p)) === 'object'), [] as string[])
          .map((path) => json(`array at ${path.join('.') || '(body)'}`, true)(setAt(valid, path, [getAt(valid, path)]))),
        // valid body, wrong Content-Type
        fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'application/xml', 'multipart/form-data; boundary=x', 'application/json; charset=utf-16', 'application/json; charset=latin1', 'application/vnd.x+json', 'application/jsonx', '', 'application/json, text/plain')
          .map((contentType) => ({ label: `content-type ${JSON.stringify(contentType)}`, bad: false, raw: Buffer.from(JSON.stringify(valid)), contentType })),
      ]
    : [];
  const raw = route.rawBody ? [rawBodyArb(route), rawBodyArb(route), rawBodyArb(route)] : []; // uploads: mostly file-shaped bodies
  return fc.oneof(...generic, ...withValid, ...withValid, ...raw); // hostile-but-nearly-valid bodies twice as often
}

export function queryArb(route: RouteDef): fc.Arbitrary<Fuzzed['query']> {
  const known = shapeKeys(route.query);
  const valid = VALID_QUERY[keyOf(route)] ?? {};
  const value = fc.oneof(
    { weight: 4, arbitrary: edgeString },
    { weight: 1, arbitrary: numberish.map(String) },
    { weight: 1, arbitrary: hugeString.map((s) => s.slice(0, 3000)) },
    { weight: 1, arbitrary: dateEdge },
    { weight: 2, arbitrary: cursorLike },
    { weight: 1, arbitrary: fc.constantFrom('', '[]', '{}', 'true', 'null') },
  );
  const randomKey = fc.oneof(edgeString, fc.constantFrom('__proto__', 'constructor', 'hasOwnProperty', 'a[b]', 'limit[]', 'x'));
  return fc.oneof(
    // a valid query with exactly one hostile value: the only thing wrong, so it reaches the handler
    { weight: 3, arbitrary: fc.tuple(known.length ? fc.constantFrom(...known) : randomKey, value)
      .map(([k, v]) => ({ label: `hostile ${k}`, bad: false, pairs: [...Object.entries(valid).filter(([p]) => p !== k), [k, v] as [string, string]] })) },
    // valid keys, hostile values (possibly repeated keys → arrays)
    fc.array(fc.tuple(known.length ? fc.constantFrom(...known) : randomKey, value), { minLength: 1, maxLength: 4 })
      .map((pairs) => ({ label: 'hostile values', bad: false, pairs: [...Object.entries(valid).filter(([k]) => !pairs.some(([p]) => p === k)), ...pairs] })),
    // unknown keys next to a valid query: refused where the route declares a (strict) query schema
    fc.array(fc.tuple(randomKey.filter((k) => !known.includes(k)), value), { minLength: 1, maxLength: 3 })
      .map((extra) => ({ label: 'unknown keys', bad: route.query !== undefined, pairs: [...Object.entries(valid), ...extra] })),
  );
}

export function fuzzedArb(route: RouteDef): fc.Arbitrary<Fuzzed> {
  const names = paramNames(route.path);
  return fc.record({
    token: fc.oneof(
      { weight: 10, arbitrary: fc.constantFrom<TokenKind>('authorized', 'owner') },
      { weight: 2, arbitrary: fc.constantFrom<TokenKind>('none', 'garbage', 'malformedHeader', 'expired', 'wrongRole', 'otherPartner') },
    ),
    fixture: fc.constantFrom(0, 1),
    params: fc.record(Object.fromEntries(names.map((n) => [n, fc.option(badPathSegment, { freq: 2 })]))) as fc.Arbitrary<Fuzzed['params']>,
    query: fc.option(queryArb(route), { freq: 4 }),
    body: fc.option(bodyArb(route), { freq: 4 }),
    headers: fc.oneof(
      { weight: 5, arbitrary: fc.constant({}) },
      fc.record({ 'idempotency-key': fc.oneof(headerSafe, fc.constantFrom('', ' ', 'a'.repeat(201), 'ключ'.replace(/./g, 'x') + '\u00ff')) }, { requiredKeys: [] }),
      fc.record({ 'x-request-id': headerSafe, accept: fc.constantFrom('text/html', 'application/xml', '*/*', '') }, { requiredKeys: [] }),
    ),
  });
}

/**
 * Deterministic examples run before the random ones: NUL and a lone surrogate alone in each string field of a
 * known-good body and in each query parameter, and cursors at the edges of the Date range — the cases that
 * random runs reach only rarely.
 */
export function examplesFor(route: RouteDef): [Fuzzed][] {
  const valid = VALID_BODY[keyOf(route)];
  const query = VALID_QUERY[keyOf(route)] ?? {};
  const names = paramNames(route.path);
  const base = (fixture: number): Fuzzed => ({ token: 'authorized', fixture, params: Object.fromEntries(names.map((n) => [n, null])), query: null, body: null, headers: {} });
  const out: Fuzzed[] = [];
  for (const fixture of names.includes('id') ? [0, 1] : [0]) {
    for (const hot of ['a\u0000b', 'a\ud800b']) {
      if (valid)
        for (const path of leafPaths(valid).filter((p) => typeof getAt(valid, p) === 'string'))
          out.push({ ...base(fixture), body: { label: `unicode edge at ${path.join('.')}`, bad: false, json: setAt(valid, path, hot) } });
      for (const k of shapeKeys(route.query))
        out.push({ ...base(fixture), query: { label: `hostile ${k}`, bad: false, pairs: [...Object.entries(query).filter(([p]) => p !== k), [k, hot]] } });
    }
  }
  // The known-good body as is, on each fixture: the success path (and its state conflicts) every run.
  if (valid) for (const fixture of names.includes('id') ? [0, 1] : [0]) out.push({ ...base(fixture), body: { label: 'known-good body', bad: false, json: valid } });
  // A read as its authorized caller makes it, every run: its answer checked against its schema (it uses no fixture up).
  if (route.method === 'get') out.push({ ...base(0), query: Object.keys(query).length ? { label: 'known-good query', bad: false, pairs: Object.entries(query) } : null });
  // Uploads: a real file of each type, and the refusals every run should see, on both fixtures — except the PNG and
  // JPEG on fixture 1: an accepted upload makes a fresh fixture set (seconds each), and fixture 0 is the target that
  // takes files in every process; fixture 1 (the other state) still gets a real PDF.
  if (route.rawBody) {
    const named = { 'content-disposition': 'attachment; filename="fuzz.pdf"' };
    const real: [number, BodySpec][] = [
      [0, { label: 'a real PDF', bad: false, raw: PDF, contentType: 'application/pdf', headers: named }],
      [0, { label: 'a real PNG', bad: false, raw: PNG, contentType: 'image/png', headers: named }],
      [0, { label: 'a real JPEG', bad: false, raw: JPEG, contentType: 'image/jpeg', headers: named }],
      [1, { label: 'a real PDF', bad: false, raw: PDF, contentType: 'application/pdf', headers: named }],
    ];
    const refused: BodySpec[] = [
      { label: 'a PNG declared as a PDF', bad: true, raw: PNG, contentType: 'application/pdf', headers: named },
      { label: 'an empty PDF', bad: true, raw: Buffer.alloc(0), contentType: 'application/pdf', headers: named },
      { label: 'a PDF without a file name', bad: true, raw: PDF, contentType: 'application/pdf' },
      { label: 'one byte over the limit', bad: true, raw: Buffer.concat([PDF, Buffer.alloc(route.rawBody.maxBytes + 1 - PDF.length)]), contentType: 'application/pdf', headers: named },
    ];
    for (const [fixture, body] of real) out.push({ ...base(fixture), body });
    for (const fixture of [0, 1]) for (const body of refused) out.push({ ...base(fixture), body });
  }
  if (shapeKeys(route.query).includes('cursor'))
    for (const v of [['-271821-04-20T00:00:00.000Z', 'x'], ['2024-01-01T00:00:00.000Z', 'a\u0000']])
      out.push({ ...base(0), token: 'authorized', query: { label: 'hostile cursor', bad: false, pairs: [['cursor', Buffer.from(JSON.stringify(v)).toString('base64url')]] } });
  return [...out, ...certainRefusalsFor(route)].map((f) => [f]);
}

/** The first of `candidates` the schema refuses in place of `value`'s part (undefined: it takes them all). */
function refusedBy(schema: z.ZodType | undefined, candidates: readonly unknown[], place: (c: unknown) => unknown): unknown {
  if (!schema) return undefined;
  return candidates.find((c) => {
    try {
      return !schema.safeParse(place(c)).success;
    } catch {
      return false; // an async refinement: not decidable here
    }
  });
}
const NOT_IT: readonly unknown[] = [null, 12345, true, 'x'.repeat(5000), [], {}];
const NOT_IT_TEXT: readonly string[] = ['', 'x', '-1', '0', '1e999', 'x'.repeat(3000)];

/**
 * Requests certainly refused, every run, so that a route that lets one through fails the same way every time: the
 * known-good inputs with one part its own schema refuses (each body field, each query parameter, an unknown key), and
 * the known-good request by partner staff of another partner on the fixture partner's object (or a list), and by the
 * other kind of staff where the policy lets only one kind call the route.
 */
function certainRefusalsFor(route: RouteDef): Fuzzed[] {
  const valid = VALID_BODY[keyOf(route)];
  const query = VALID_QUERY[keyOf(route)] ?? {};
  const names = paramNames(route.path);
  const known = (): Fuzzed => ({
    token: 'authorized',
    fixture: 0,
    params: Object.fromEntries(names.map((n) => [n, null])),
    query: Object.keys(query).length ? { label: 'known-good query', bad: false, pairs: Object.entries(query) } : null,
    body: valid ? { label: 'known-good body', bad: false, json: valid } : null,
    headers: {},
  });
  const out: Fuzzed[] = [];
  if (valid) {
    for (const path of leafPaths(valid)) {
      const wrong = refusedBy(route.body, NOT_IT, (c) => setAt(valid, path, c));
      if (wrong !== undefined) out.push({ ...known(), body: { label: `schema-refused ${JSON.stringify(wrong).slice(0, 20)} at ${path.join('.')}`, bad: true, json: setAt(valid, path, wrong) } });
    }
    const extra = { ...valid, fuzzUnknown: 1 };
    if (refusedBy(route.body, [extra], (c) => c) !== undefined) out.push({ ...known(), body: { label: 'schema-refused unknown key fuzzUnknown', bad: true, json: extra } });
  }
  for (const k of [...shapeKeys(route.query), 'fuzzUnknown']) {
    const wrong = refusedBy(route.query, NOT_IT_TEXT, (c) => ({ ...query, [k]: c }));
    if (typeof wrong === 'string') out.push({ ...known(), query: { label: `schema-refused ${JSON.stringify(wrong.slice(0, 20))} at ${k}`, bad: true, pairs: [...Object.entries(query).filter(([p]) => p !== k), [k, wrong]] } });
  }
  // Another partner's staff: refused on the fixture partner's object; a list answers them none of its items (cheap: no fixture is used up).
  if (names.includes('id') || names.includes('partnerId') || route.method === 'get') out.push({ ...known(), token: 'otherPartner' });
  if (!bothKindsMayCall(route)) out.push({ ...known(), token: 'wrongRole' });
  return out;
}

/**
 * Which webhook targets are refused (domain/webhook-target.ts): address ranges, the hosts registration refuses, the
 * connection's lookup refusing a name that resolves to a non-public address, the ports allowed, which answers are
 * retried, and what a partner reads about a failure (never an address). The API and delivery: test/webhooks.test.ts,
 * test/webhook-limits.test.ts.
 */
import { createServer } from 'node:http';
import { promisify } from 'node:util';
import { fetch } from 'undici';
import { describe, expect, it } from 'vitest';
import {
  connectionFailure,
  isRetriedStatus,
  nonPublicRange,
  portOf,
  publicOnlyLookup,
  refusedHost,
  refusedLiteral,
  refusedPort,
  retryAfterMs,
  TargetRefused,
} from '../domain/webhook-target.js';
import { closedPort } from './support/webhook-receiver.js';

/** An address anywhere in a text: IPv4 dotted, or IPv6 with at least two colons. */
const ANY_ADDRESS = /\b\d{1,3}(\.\d{1,3}){3}\b|[0-9a-f]*:[0-9a-f]*:[0-9a-f:]*/i;

const REFUSED: [address: string, range: string][] = [
  ['127.0.0.1', 'loopback'],
  ['10.1.2.3', 'private'],
  ['172.16.0.1', 'private'],
  ['192.168.1.1', 'private'],
  ['169.254.169.254', 'linkLocal'],
  ['100.64.0.1', 'carrierGradeNat'],
  ['0.0.0.0', 'unspecified'],
  ['255.255.255.255', 'broadcast'],
  ['224.0.0.1', 'multicast'],
  ['192.0.2.1', 'reserved'],
  ['::1', 'loopback'],
  ['::', 'unspecified'],
  ['fc00::1', 'uniqueLocal'],
  ['fe80::1', 'linkLocal'],
  ['::ffff:127.0.0.1', 'loopback'],
  ['::ffff:10.0.0.5', 'private'],
  ['64:ff9b::a00:1', 'rfc6052'],
];
const PUBLIC = ['8.8.8.8', '1.1.1.1', '::ffff:8.8.8.8', '2001:4860:4860::8888'];

const urlOf = (address: string) => `http://${address.includes(':') ? `[${address}]` : address}:8080/hook`;

describe('webhook targets', () => {
  it.each(REFUSED)('%s is refused (%s)', (address, range) => {
    expect(nonPublicRange(address)).toBe(range);
    const refused = refusedHost(urlOf(address));
    expect(refused).toBeInstanceOf(TargetRefused);
    expect(refused?.range).toBe(range);
    expect(refusedLiteral(urlOf(address))?.range).toBe(range);
  });

  it.each(PUBLIC)('%s is allowed', (address) => {
    expect(nonPublicRange(address)).toBeUndefined();
    expect(refusedHost(urlOf(address))).toBeUndefined();
  });

  it('names: localhost refused at registration; other names pass it (delivery checks what they resolve to)', () => {
    for (const url of ['http://localhost:3000/hook', 'https://LOCALHOST./hook', 'http://api.localhost/hook']) {
      expect(refusedHost(url)?.message, url).toMatch(/^target address .*localhost is not allowed \(loopback\)$/);
    }
    expect(refusedHost('https://hooks.example.com/partnerflow')).toBeUndefined();
    expect(refusedLiteral('http://localhost:3000/hook')).toBeUndefined();
  });

  it('the URL parser normalizes other spellings of an address before the check', () => {
    expect(refusedHost('http://2130706433/')?.message).toBe('target address 127.0.0.1 is not allowed (loopback)');
    expect(refusedHost('http://0x7f.1/')?.range).toBe('loopback');
    expect(refusedHost('http://[0:0:0:0:0:ffff:a9fe:a9fe]/')?.range).toBe('linkLocal');
  });

  it("the connection's lookup refuses a name resolving to a non-public address, naming the address", async () => {
    const lookup = promisify(publicOnlyLookup) as unknown as (host: string, options: object) => Promise<unknown>;
    const error = await lookup('localhost', { all: true }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TargetRefused);
    expect((error as Error).message).toMatch(/^target address (127\.0\.0\.1|::1) is not allowed \(loopback\)$/);
    // What the partner reads: the range, not the address.
    expect((error as TargetRefused).publicReason).toBe('target refused: the host resolves to a non-public address (loopback)');
  });

  it('the public reason of a refused IP literal names no address', () => {
    for (const [address, range] of REFUSED) {
      const reason = refusedLiteral(urlOf(address))!.publicReason;
      expect(reason).toBe(`target refused: the host is a non-public address (${range})`);
      expect(reason).not.toMatch(ANY_ADDRESS);
    }
  });

  it.each<[string, number, string | undefined]>([
    ['https://hooks.example.com/x', 443, undefined],
    ['http://hooks.example.com/x', 80, undefined],
    ['https://hooks.example.com:443/x', 443, undefined],
    ['http://hooks.example.com:80/x', 80, undefined],
    ['https://hooks.example.com:80/x', 80, undefined],
    ['https://hooks.example.com:8443/x', 8443, 'port 8443 is not allowed: webhooks are delivered only to port 80, 443'],
    ['http://hooks.example.com:6379/x', 6379, 'port 6379 is not allowed: webhooks are delivered only to port 80, 443'],
    ['http://[2001:db8::1]:22/x', 22, 'port 22 is not allowed: webhooks are delivered only to port 80, 443'],
  ])('ports: %s connects to %i; refused with the default WEBHOOK_ALLOWED_PORTS: %s', (url, port, refused) => {
    expect(portOf(url)).toBe(port);
    expect(refusedPort(url, [80, 443])).toBe(refused);
  });

  it('ports: a configured list replaces the default', () => {
    expect(refusedPort('https://hooks.example.com:8443/x', [8443])).toBeUndefined();
    expect(refusedPort('https://hooks.example.com/x', [8443])).toBe('port 443 is not allowed: webhooks are delivered only to port 8443');
  });

  it.each<[number, boolean]>([
    [400, false], [401, false], [403, false], [404, false], [405, false], [410, false], [413, false], [415, false], [422, false],
    [408, true], [409, true], [425, true], [429, true],
    [500, true], [502, true], [503, true], [504, true], [301, true],
  ])('answer %i is retried: %s', (status, retried) => {
    expect(isRetriedStatus(status)).toBe(retried);
  });

  it('Retry-After: seconds or an HTTP date, else nothing', () => {
    const now = Date.parse('2026-03-01T10:00:00Z');
    expect(retryAfterMs('3', now)).toBe(3000);
    expect(retryAfterMs(' 120 ', now)).toBe(120_000);
    expect(retryAfterMs('Sun, 01 Mar 2026 10:00:30 GMT', now)).toBe(30_000);
    expect(retryAfterMs('Sun, 01 Mar 2026 09:00:00 GMT', now)).toBe(0);
    for (const bad of [null, '', 'soon', '-1', '1.5', 'Sun, 99 Foo 2026']) expect(retryAfterMs(bad, now), String(bad)).toBeUndefined();
  });

  it('a refused connection to an IP literal: "connection refused", without the address or the port', async () => {
    const port = await closedPort();
    const error = await fetch(`http://127.0.0.1:${port}/hook`, { method: 'POST' }).catch((e: unknown) => e);
    expect(String((error as { cause?: Error }).cause?.message)).toContain(`127.0.0.1:${port}`); // what must not leak
    const reason = connectionFailure(error, 10_000);
    expect(reason).toBe('connection refused');
    expect(reason).not.toContain(String(port));
  });

  it('no answer in time: "no answer within <timeout>", no address', async () => {
    const silent = createServer(() => {}); // accepts, never answers
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = silent.address() as { port: number };
      const error = await fetch(`http://127.0.0.1:${port}/hook`, { method: 'POST', signal: AbortSignal.timeout(200) }).catch((e: unknown) => e);
      expect(connectionFailure(error, 200)).toBe('no answer within 0.2 s');
    } finally {
      silent.closeAllConnections();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('other failures: fixed words or the bare code, never the error message', () => {
    const failed = (code: unknown, message = 'connect 10.0.0.5:8080 failed') => Object.assign(new TypeError('fetch failed 10.0.0.5'), { cause: Object.assign(new Error(message), { code }) });
    expect(connectionFailure(failed('ENOTFOUND'), 1000)).toBe('the host name does not resolve');
    expect(connectionFailure(failed('ECONNRESET'), 1000)).toBe('connection reset by the endpoint');
    expect(connectionFailure(failed('UND_ERR_CONNECT_TIMEOUT'), 1000)).toBe('connection timed out');
    expect(connectionFailure(failed('CERT_HAS_EXPIRED'), 1000)).toBe('TLS handshake failed (CERT_HAS_EXPIRED)');
    expect(connectionFailure(failed('EPROTO_WEIRD'), 1000)).toBe('connection failed (EPROTO_WEIRD)');
    expect(connectionFailure(failed('10.0.0.5:8080'), 1000)).toBe('connection failed');
    expect(connectionFailure(new Error('boom at 10.0.0.5'), 1000)).toBe('connection failed');
  });
});

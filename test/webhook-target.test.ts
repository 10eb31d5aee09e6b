/**
 * Which webhook targets are refused (domain/webhook-target.ts): address ranges, the hosts registration refuses, and the
 * connection's lookup refusing a name that resolves to a non-public address. The API and delivery: test/webhooks.test.ts.
 */
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { nonPublicRange, publicOnlyLookup, refusedHost, refusedLiteral, TargetRefused } from '../domain/webhook-target.js';

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
  });
});

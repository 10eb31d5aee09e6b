/**
 * Where a webhook may be delivered: only to public addresses, so a partner cannot make the worker POST into our own
 * network (loopback, private ranges, cloud metadata at 169.254.169.254…). Checked twice with the same rule: at
 * registration on the URL's host (an IP literal or `localhost`), and at delivery on an IP literal and on the addresses
 * a name resolves to, inside the connection's own lookup — so a name that resolves (or re-resolves, DNS rebinding) to
 * an internal address is refused at connect time. WEBHOOK_ALLOW_PRIVATE_TARGETS turns both off (local development, tests).
 */
import dns from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';
import { Agent } from 'undici';

/**
 * The range of a non-public address (`loopback`, `private`, `linkLocal`, `uniqueLocal`, `carrierGradeNat`,
 * `unspecified`, `multicast`, `broadcast`, `reserved`, …), undefined for a public (unicast) one. An IPv4-mapped IPv6
 * address counts as its IPv4 address; IPv6 forms that embed an IPv4 address (6to4, Teredo, NAT64) are refused too.
 */
export function nonPublicRange(address: string): string | undefined {
  const range = ipaddr.process(address).range();
  return range === 'unicast' ? undefined : range;
}

/** Why a delivery to this address is refused (the activity records it as the delivery's lastError). */
export class TargetRefused extends Error {
  constructor(
    readonly address: string,
    readonly range: string,
  ) {
    super(`target address ${address} is not allowed (${range})`);
    this.name = 'TargetRefused';
  }
}

const hostOf = (url: string) => new URL(url).hostname.replace(/^\[|\]$/g, '').replace(/\.$/, '').toLowerCase();

/** Delivery: an IP-literal host outside the public ranges (the connection does not look a literal up, so no lookup sees it). */
export function refusedLiteral(url: string): TargetRefused | undefined {
  const host = hostOf(url);
  const range = isIP(host) ? nonPublicRange(host) : undefined;
  return range ? new TargetRefused(host, range) : undefined;
}

/** Registration: the host refused before anything resolves it — a non-public IP literal, or `localhost` / `*.localhost`. */
export function refusedHost(url: string): TargetRefused | undefined {
  const host = hostOf(url);
  if (host === 'localhost' || host.endsWith('.localhost')) return new TargetRefused(host, 'loopback');
  return refusedLiteral(url);
}

/** dns.lookup, failing with TargetRefused when any address the name resolves to is not public. */
export const publicOnlyLookup: LookupFunction = (hostname, options, callback) => {
  dns.lookup(hostname, { ...options, all: true }, (error, addresses) => {
    if (error) return callback(error, '', 0);
    for (const { address } of addresses) {
      const range = nonPublicRange(address);
      if (range) return callback(new TargetRefused(address, range) as NodeJS.ErrnoException, '', 0);
    }
    if (options.all) return (callback as unknown as (e: null, all: dns.LookupAddress[]) => void)(null, addresses);
    const [first] = addresses;
    return first ? callback(null, first.address, first.family) : callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), '', 0);
  });
};

/** The undici dispatcher of webhook POSTs: connections only to public addresses (unless private targets are allowed). */
export const webhookDispatcher = (allowPrivateTargets: boolean) => new Agent(allowPrivateTargets ? {} : { connect: { lookup: publicOnlyLookup } });

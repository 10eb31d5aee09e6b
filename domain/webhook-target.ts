/**
 * Where a webhook may be delivered: only to public addresses, so a partner cannot make the worker POST into our own
 * network (loopback, private ranges, cloud metadata at 169.254.169.254…). Checked twice with the same rule: at
 * registration on the URL's host (an IP literal or `localhost`), and at delivery on an IP literal and on the addresses
 * a name resolves to, inside the connection's own lookup — so a name that resolves (or re-resolves, DNS rebinding) to
 * an internal address is refused at connect time. WEBHOOK_ALLOW_PRIVATE_TARGETS turns both off (local development, tests).
 * The port a URL names (the scheme's default when it names none) must be one of WEBHOOK_ALLOWED_PORTS (80 and 443 by
 * default), checked at registration and at delivery whatever WEBHOOK_ALLOW_PRIVATE_TARGETS says: the two rules are
 * independent (a test on a private address gives its receiver's port). What a partner reads about a failed attempt
 * (the delivery's lastError) never names an address a name resolved to, nor an internal port: `publicReason` and
 * `connectionFailure` say why in words; the full detail is only logged by the worker.
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

/** Why a delivery to this address is refused; `message` names the address (logs, registration), `publicReason` does not. */
export class TargetRefused extends Error {
  constructor(
    readonly address: string,
    readonly range: string,
    /** `literal`: the URL names the address; `lookup`: its host name resolved to it. */
    readonly via: 'literal' | 'lookup' = 'literal',
  ) {
    super(`target address ${address} is not allowed (${range})`);
    this.name = 'TargetRefused';
  }

  /** What the delivery's lastError says (the partner reads it): the range, never the address. */
  get publicReason(): string {
    return `target refused: the host ${this.via === 'lookup' ? 'resolves to' : 'is'} a non-public address (${this.range})`;
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
      if (range) return callback(new TargetRefused(address, range, 'lookup') as NodeJS.ErrnoException, '', 0);
    }
    if (options.all) return (callback as unknown as (e: null, all: dns.LookupAddress[]) => void)(null, addresses);
    const [first] = addresses;
    return first ? callback(null, first.address, first.family) : callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), '', 0);
  });
};

/** The undici dispatcher of webhook POSTs: connections only to public addresses (unless private targets are allowed). */
export const webhookDispatcher = (allowPrivateTargets: boolean) => new Agent(allowPrivateTargets ? {} : { connect: { lookup: publicOnlyLookup } });

/** The port a URL connects to: the one it names, else its scheme's (80 for http, 443 for https). */
export const portOf = (url: string): number => {
  const u = new URL(url);
  return u.port ? Number(u.port) : u.protocol === 'https:' ? 443 : 80;
};

/** Why a URL's port is refused (WEBHOOK_ALLOWED_PORTS), undefined when it is allowed. */
export function refusedPort(url: string, allowedPorts: readonly number[]): string | undefined {
  const port = portOf(url);
  return allowedPorts.includes(port) ? undefined : `port ${port} is not allowed: webhooks are delivered only to port ${allowedPorts.join(', ')}`;
}

/** Connection error codes (Node, undici) → what lastError says. Anything else: its code alone, never its message. */
const FAILURES: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset by the endpoint',
  EPIPE: 'connection reset by the endpoint',
  UND_ERR_SOCKET: 'connection closed by the endpoint',
  ETIMEDOUT: 'connection timed out',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
  ENOTFOUND: 'the host name does not resolve',
  EAI_AGAIN: 'the host name could not be resolved (temporary DNS failure)',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
};

/**
 * What lastError says about a POST that got no answer (`error` as fetch throws it, its cause the socket's error). Fixed
 * words per code: a socket error's message names the address and port it connected to (`connect ECONNREFUSED
 * 10.0.0.5:8080`), which must not reach the partner.
 */
export function connectionFailure(error: unknown, timeoutMs: number): string {
  const name = (error as { name?: unknown } | null)?.name;
  if (name === 'TimeoutError' || name === 'AbortError') return `no answer within ${timeoutMs / 1000} s`;
  const code = (error as { cause?: { code?: unknown } } | null)?.cause?.code;
  if (typeof code !== 'string' || !/^[A-Z0-9_]{2,64}$/.test(code)) return 'connection failed';
  if (FAILURES[code]) return FAILURES[code];
  if (/CERT|TLS|SSL/.test(code)) return `TLS handshake failed (${code})`;
  return `connection failed (${code})`;
}

/**
 * Answers worth another attempt: 5xx, and the 4xx that say "later" — 408 Request Timeout, 409 Conflict (a receiver
 * busy with the same event), 425 Too Early, 429 Too Many Requests. Any other 4xx (400, 401, 403, 404, 410, 413, 422…)
 * says the request itself is refused and will be refused again: DEAD at once (as Standard Webhooks' retry guidance
 * and most senders do for 4xx; 3xx is retried like 5xx — redirects are not followed).
 */
export const RETRIED_CLIENT_ERRORS: readonly number[] = [408, 409, 425, 429];
export const isRetriedStatus = (status: number): boolean => status < 400 || status >= 500 || RETRIED_CLIENT_ERRORS.includes(status);

/** A Retry-After header (delay-seconds or an HTTP date) as milliseconds from `now`; undefined if absent or unreadable. */
export function retryAfterMs(value: string | null, now: number): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d{1,9}$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) || !/[a-z]/i.test(trimmed) ? undefined : Math.max(0, at - now);
}

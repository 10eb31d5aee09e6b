/**
 * The unlink's pure rules (domain/unlink.ts) with dates counted by hand: the reasons alone and together in both
 * languages, the 3-requests-in-3-calendar-months window (its start, its month-end clamp, when the next request
 * becomes possible), the preview hash.
 */
import { describe, expect, it } from 'vitest';
import { emptyCustomerFacts } from '../domain/customer.js';
import { DEFAULT_UNLINK_TERMS, describeUnlinkUnmet, factsUnmet, limitUnmet, limitWindowStart, previewHash, unlinkTermsOf, type UnlinkOutcome } from '../domain/unlink.js';

const ZONE = 'Asia/Shanghai';
const clear = { ...emptyCustomerFacts('C-1'), FROZEN: { frozen: false }, RESERVED_INSTANCES: { count: 0 }, SUPPORT_PLANS: { count: 0 } };

describe('reasons from the facts', () => {
  it('none when clear; each alone; all together in a stable order; a fact never fed is its own reason', () => {
    expect(factsUnmet(clear)).toEqual([]);
    expect(factsUnmet({ ...clear, FROZEN: { frozen: true } }).map((u) => u.code)).toEqual(['customer-frozen']);
    expect(factsUnmet({ ...clear, RESERVED_INSTANCES: { count: 2 } })).toEqual([{ code: 'customer-reserved-instances', evidence: { fact: 'RESERVED_INSTANCES', customerId: 'C-1', count: 2 } }]);
    expect(factsUnmet({ ...clear, SUPPORT_PLANS: { count: 1 } }).map((u) => u.code)).toEqual(['customer-support-plans']);
    expect(factsUnmet({ ...clear, FROZEN: { frozen: true }, RESERVED_INSTANCES: { count: 1 }, SUPPORT_PLANS: { count: 3 } }).map((u) => u.code)).toEqual([
      'customer-frozen',
      'customer-reserved-instances',
      'customer-support-plans',
    ]);
    expect(factsUnmet(emptyCustomerFacts('C-2')).map((u) => [u.code, u.evidence.fact])).toEqual([
      ['customer-fact-unknown', 'FROZEN'],
      ['customer-fact-unknown', 'RESERVED_INSTANCES'],
      ['customer-fact-unknown', 'SUPPORT_PLANS'],
    ]);
    expect(factsUnmet({ ...emptyCustomerFacts('C-3'), FROZEN: { frozen: true } }).map((u) => u.code)).toEqual(['customer-frozen', 'customer-fact-unknown', 'customer-fact-unknown']);
  });

  it('messages and remedies in zh-CN and en', () => {
    const [frozen] = factsUnmet({ ...clear, FROZEN: { frozen: true } });
    expect(describeUnlinkUnmet(frozen!, 'zh-CN')).toMatchObject({ message: '客户账号 C-1 已冻结。', remedy: expect.stringContaining('解冻') });
    expect(describeUnlinkUnmet(frozen!, 'en')).toMatchObject({ message: 'Customer account C-1 is frozen.', remedy: expect.stringContaining('unfrozen') });
  });
});

describe('at most 3 requests in 3 calendar months', () => {
  const terms = DEFAULT_UNLINK_TERMS;
  // Requests (any outcome) on 10 Jan, 20 Feb and 1 Mar 2026 at 10:00 in Shanghai (02:00Z).
  const requests = ['2026-01-10T02:00:00.000Z', '2026-02-20T02:00:00.000Z', '2026-03-01T02:00:00.000Z'];

  it('the window starts the same local time 3 calendar months before (a request exactly that old no longer counts)', () => {
    expect(limitWindowStart('2026-04-10T02:00:00.000Z', 3, ZONE)).toBe('2026-01-10T02:00:00.000Z');
    // 31 May − 3 months: February has no 31st, so its last day (28 February 2026), same local time.
    expect(limitWindowStart('2026-05-31T02:00:00.000Z', 3, ZONE)).toBe('2026-02-28T02:00:00.000Z');
    // Local midnight: 1 April 00:30 in Shanghai is 31 March 16:30Z; 3 months before is 1 January 00:30 local.
    expect(limitWindowStart('2026-03-31T16:30:00.000Z', 3, ZONE)).toBe('2025-12-31T16:30:00.000Z');
  });

  it('a fourth refused until the oldest leaves the window (10 April 10:00 local), allowed from that minute', () => {
    const at = (instant: string) => limitUnmet({ customerId: 'C-1', at: instant, zone: ZONE, terms, requestedAts: requests });
    const refused = at('2026-04-10T01:59:00.000Z');
    expect(refused).toEqual([
      { code: 'unlink-limit-reached', evidence: { customerId: 'C-1', limit: 3, months: 3, since: '2026-01-10T01:59:00.000Z', requests, nextPossibleAt: '2026-04-10T02:00:00.000Z' } },
    ]);
    expect(at('2026-04-10T02:00:00.000Z')).toEqual([]);
    expect(limitUnmet({ customerId: 'C-1', at: '2026-03-02T00:00:00.000Z', zone: ZONE, terms, requestedAts: requests.slice(1) })).toEqual([]);
    expect(describeUnlinkUnmet(refused[0]!, 'en').remedy).toBe('A new request is possible from 2026-04-10T02:00:00.000Z.');
  });

  it('configurable from the environment, refused when malformed', () => {
    expect(unlinkTermsOf({ UNLINK_OBJECTION_DAYS: '5', UNLINK_LIMIT: '2' })).toEqual({ objectionDays: 5, limit: 2, limitMonths: 3 });
    expect(() => unlinkTermsOf({ UNLINK_OBJECTION_DAYS: '0' })).toThrow('Invalid configuration: UNLINK_OBJECTION_DAYS');
  });
});

describe('the preview hash', () => {
  const outcome: UnlinkOutcome = {
    partnerId: 'P-1',
    customerId: 'C-1',
    association: { id: '00000000-0000-4000-8000-000000000001', mode: 'RESELLER', associatedAt: '2026-01-01T00:00:00.000Z' },
    reclaim: [{ currency: 'CNY', unspent: 8000, toCredit: 2000, toRecharge: 6000 }],
    unmet: [],
  };
  it('the same outcome, the same hash; any figure or reason changed, another', () => {
    expect(previewHash(outcome)).toMatch(/^[0-9a-f]{64}$/);
    expect(previewHash({ ...outcome })).toBe(previewHash(outcome));
    expect(previewHash({ ...outcome, reclaim: [{ currency: 'CNY', unspent: 7999, toCredit: 2000, toRecharge: 5999 }] })).not.toBe(previewHash(outcome));
    expect(previewHash({ ...outcome, unmet: ['customer-frozen'] })).not.toBe(previewHash(outcome));
  });
});

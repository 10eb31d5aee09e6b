/** Money is an ISO 4217 currency and an integer amount of its minor unit (cents, fen): never a float. */
import { z } from 'zod';

const currencies = new Set(Intl.supportedValuesOf('currency'));

export const moneySchema = z.strictObject({
  currency: z.string().refine((c) => currencies.has(c), 'must be an ISO 4217 currency code such as CNY or USD'),
  minor: z.number().int('must be an integer amount of minor units').min(0).max(Number.MAX_SAFE_INTEGER),
});

export type Money = z.infer<typeof moneySchema>;

/** Database columns (currency text, minor bigint) ↔ Money. */
export function toMoney(currency: string | null, minor: bigint | null): Money | undefined {
  return currency !== null && minor !== null ? { currency, minor: Number(minor) } : undefined;
}

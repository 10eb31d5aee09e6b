/**
 * Amounts as the partner types them ("1234.5") and as the API counts them (integer minor units, two decimals for the
 * currencies incentives are paid in), converted by their digits — never through a binary fraction.
 */

/** "1234.5" → 123450; undefined when it is not an amount of at least 0 with at most two decimals. */
export function minorFromText(text: string): number | undefined {
  const match = /^(\d{1,13})(?:\.(\d{1,2}))?$/.exec(text.trim());
  if (!match) return undefined;
  return Number(match[1]) * 100 + Number((match[2] ?? '').padEnd(2, '0'));
}

/** An amount in minor units, in the page's language and the amount's currency. */
export function formatMinor(minor: number, currency: string, language: string): string {
  return new Intl.NumberFormat(language, { style: 'currency', currency }).format(minor / 100);
}

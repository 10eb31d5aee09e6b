/**
 * The unified social credit code (统一社会信用代码) of GB 32100-2015: 18 characters from a 31-character alphabet (the
 * digits and the capital letters without I, O, Z, S and V, which read like digits), characters 3–8 the administrative
 * division code (six digits), the last one a check character.
 * Positions 1–17 are weighted by 3^(i-1) mod 31; the check character is the one whose value is 31 minus the weighted
 * sum mod 31 (a remainder of 0 gives 0, not 31). Pure: no I/O, no clock.
 */

export const CREDIT_CODE_ALPHABET = '0123456789ABCDEFGHJKLMNPQRTUWXY';
// 3^(i-1) mod 31 for positions 1 to 17, as printed in the standard's table.
const WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28] as const;

export type CreditCodeFault = 'length' | 'character' | 'division' | 'check';

/** The check character the first 17 characters call for; undefined when one of them is outside the alphabet. */
export function creditCodeCheckCharacter(first17: string): string | undefined {
  if (first17.length !== 17) return undefined;
  let sum = 0;
  for (let i = 0; i < 17; i++) {
    const value = CREDIT_CODE_ALPHABET.indexOf(first17[i]!);
    if (value < 0) return undefined;
    sum += value * WEIGHTS[i]!;
  }
  return CREDIT_CODE_ALPHABET[(31 - (sum % 31)) % 31];
}

/** What is wrong with `code` as a credit code (undefined: nothing). Case matters: codes are printed in capitals. */
export function creditCodeFault(code: string): CreditCodeFault | undefined {
  if (code.length !== 18) return 'length';
  if ([...code].some((c) => !CREDIT_CODE_ALPHABET.includes(c))) return 'character';
  // Characters 3–8 are the registering authority's administrative division code (GB/T 2260): six digits.
  if (!/^[0-9]{6}$/.test(code.slice(2, 8))) return 'division';
  return creditCodeCheckCharacter(code.slice(0, 17)) === code[17] ? undefined : 'check';
}

export const isCreditCode = (code: string) => creditCodeFault(code) === undefined;

/** A fault in words, for the problem that names the field. */
export const CREDIT_CODE_FAULT_MESSAGES: Record<CreditCodeFault, string> = {
  length: 'must be 18 characters (a unified social credit code, GB 32100-2015)',
  character: `must use only the characters ${CREDIT_CODE_ALPHABET} (capitals; no I, O, Z, S or V)`,
  division: 'characters 3–8 must be digits (the administrative division code of GB/T 2260)',
  check: 'its check character (the 18th) does not match the first 17 (GB 32100-2015)',
};

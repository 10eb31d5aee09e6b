/**
 * Integer terms a process reads from the environment once, at the start of the API and the worker (the customer
 * report's protection and cap, the unlink's objection window and limit…): an unset or empty variable keeps the
 * default, a value that is not an integer within its bounds stops the start naming the variable. Pure: the caller
 * passes the environment.
 */

/** Per term: the environment variable that sets it and its inclusive bounds. */
export type TermVariables<T> = Record<keyof T, [name: string, min: number, max: number]>;

export function integerTermsOf<T extends Record<string, number>>(env: Readonly<Record<string, string | undefined>>, defaults: T, variables: TermVariables<T>): T {
  const terms = { ...defaults };
  for (const [key, [name, min, max]] of Object.entries(variables) as [keyof T, [string, number, number]][]) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) throw new Error(`Invalid configuration: ${name}: must be an integer from ${min} to ${max}`);
    terms[key] = value as T[keyof T];
  }
  return terms;
}

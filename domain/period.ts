/**
 * Incentive periods: calendar months 'YYYY-MM' in a time zone. Pure and dependency-free (Intl only), so workflow
 * code may use it as well as the API.
 */
export const PERIOD = /^(\d{4})-(0[1-9]|1[0-2])$/;

export const isPeriod = (value: string) => PERIOD.test(value);

/** The month that contains `instant` in `zone`. */
export function periodOf(instant: Date, zone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit' }).formatToParts(instant);
  const get = (type: string) => parts.find((p) => p.type === type)!.value;
  return `${get('year')}-${get('month')}`;
}

/** The month before `period`. */
export function previousPeriod(period: string): string {
  const [year, month] = period.split('-').map(Number) as [number, number];
  return month === 1 ? `${year - 1}-12` : `${year}-${String(month - 1).padStart(2, '0')}`;
}

/**
 * The last month that has completely ended at `instant` in `zone`: what a run at 00:00 on the 1st generates, and
 * still the same month when the run is triggered by hand later in the month.
 */
export const periodEndedBy = (instant: Date, zone: string) => previousPeriod(periodOf(instant, zone));

/** Orders periods: 'YYYY-MM' strings compare as months. */
export const comparePeriods = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Certificate dates (pure): local calendar dates in the partner's zone (Asia/Shanghai), and the instants the
 * certification workflow sleeps until. Used by activities/certificates.ts; workflows never compute dates. The local
 * date of an instant is activities/kit/partner-calendar.ts localDate.
 */
import { DateTime } from 'luxon';
import { type CertificateReminder, EXPIRY_REMINDER_DAYS } from './certificate-reminders.js';

const date = (iso: string) => DateTime.fromISO(iso, { zone: 'utc' });

/** validFrom + years − 1 day: a certificate approved on 2027-03-15 for 1 year is valid to 2028-03-14. */
export const validToFor = (validFrom: string, years: number) => date(validFrom).plus({ years }).minus({ days: 1 }).toISODate()!;

/** A renewal adds whole years to the current end: 2028-03-14 + 1 year → 2029-03-14. */
export const extendedValidTo = (validTo: string, years: number) => date(validTo).plus({ years }).toISODate()!;

/** 00:00 local of `isoDate` + `days`, as an instant. */
const startOfLocalDay = (isoDate: string, days: number, zone: string) =>
  DateTime.fromISO(isoDate, { zone }).plus({ days }).startOf('day').toUTC().toISO()!;

/** When a certificate valid to `validTo` expires (the end of validTo: 00:00 local of the next day) and is reminded. */
export function certificateTimes(validTo: string, zone: string): { expiresAt: string; reminders: CertificateReminder[] } {
  return {
    expiresAt: startOfLocalDay(validTo, 1, zone),
    reminders: EXPIRY_REMINDER_DAYS.map((days) => ({ days, at: startOfLocalDay(validTo, -days, zone), sent: false })),
  };
}

/**
 * `PF-<YYYY>-<first 16 hex of the application id, upper case>`: the same application always gets the same number;
 * 64 random bits make two applications sharing one (and the unique index refusing the second) negligible.
 */
export const certificateNumber = (applicationId: string, validFrom: string) =>
  `PF-${validFrom.slice(0, 4)}-${applicationId.replaceAll('-', '').slice(0, 16).toUpperCase()}`;

/** Prisma @db.Date columns take a UTC midnight. */
export const dateColumn = (isoDate: string) => new Date(`${isoDate}T00:00:00Z`);
export const fromDateColumn = (d: Date) => d.toISOString().slice(0, 10);

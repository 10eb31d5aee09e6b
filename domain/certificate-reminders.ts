/**
 * When a certificate's holder is reminded of its end: plain data, imported by the certification contract (and so
 * bundled into workflow code) and by domain/certificate-dates.ts, which computes the instants.
 */

/** Days before validTo at which a certificate expiry reminder goes to the outbox. */
export const EXPIRY_REMINDER_DAYS = [60, 30] as const;
/** One expiry reminder of a certificate: how many days before validTo, when (an instant), whether it went out. */
export type CertificateReminder = { days: number; at: string; sent: boolean };

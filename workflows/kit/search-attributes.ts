// Custom search attributes: the same names in workflows, the API and the Web UI's query box.
// Workflow-safe (only @temporalio/common), so workflow code may import it.
import { defineSearchAttributeKey } from '@temporalio/common';

export const PartnerId = defineSearchAttributeKey('PartnerId', 'KEYWORD');
export const ProcessStatus = defineSearchAttributeKey('ProcessStatus', 'KEYWORD');
export const ProcessDeadline = defineSearchAttributeKey('ProcessDeadline', 'DATETIME');
/** The month an incentive is for ('YYYY-MM'). */
export const IncentivePeriod = defineSearchAttributeKey('IncentivePeriod', 'KEYWORD');
/** The catalog type a certification application is for (e.g. ROLE_CONSULTING). */
export const CertificationType = defineSearchAttributeKey('CertificationType', 'KEYWORD');
/** The development path a review is of (e.g. SOFTWARE). */
export const PathId = defineSearchAttributeKey('PathId', 'KEYWORD');
/**
 * Whether the pending deadline (ProcessDeadline) is provisional: it counts a year whose official holiday schedule is
 * not published yet and may move when it is (`DeadlineProvisional = true` lists them in the Web UI).
 */
export const DeadlineProvisional = defineSearchAttributeKey('DeadlineProvisional', 'BOOL');
/** The year of an annual development-path review cycle. */
export const ReviewYear = defineSearchAttributeKey('ReviewYear', 'INT');

/** Every custom search attribute: what a test or benchmark server registers (a missing one fails every upsert of it). */
export const SEARCH_ATTRIBUTES = [PartnerId, ProcessStatus, ProcessDeadline, IncentivePeriod, CertificationType, PathId, ReviewYear, DeadlineProvisional] as const;

/** Registered on the cluster at start (see platform/temporal.ts). */
export const searchAttributeTypes = {
  PartnerId: 'Keyword', ProcessStatus: 'Keyword', ProcessDeadline: 'Datetime', IncentivePeriod: 'Keyword',
  CertificationType: 'Keyword', PathId: 'Keyword', ReviewYear: 'Int', DeadlineProvisional: 'Bool',
} as const;

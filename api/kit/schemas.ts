/**
 * Response schemas: what the routes answer, declared once in zod. Each process keeps its own in
 * api/<process>/schemas.ts; this file holds the pieces they share (problem details, deadline explanations,
 * materials). Routes name them in `responses`, the OpenAPI document is generated from them (api/docs/openapi.ts)
 * and the contract test validates real answers against that document. Objects are strict: a field the schema
 * does not list is drift, not a bonus.
 */
import { z } from 'zod';
import { MATERIAL_TYPES } from './materials.js';

export const instant = z.iso.datetime({ offset: true });

/** RFC 9457 problem details (domain/problems.ts) as sendProblem() renders them; extensions allowed. */
export const problemSchema = z
  .looseObject({
    type: z.string().regex(/^urn:partnerflow:problem:[a-z0-9-]+$/),
    title: z.string(),
    status: z.number().int().min(400).max(599),
    detail: z.string().optional(),
    errors: z.array(z.strictObject({ field: z.string(), message: z.string() })).optional(),
    instance: z.string(),
    requestId: z.string(),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem details; codes are urn:partnerflow:problem:<code>.' });

export const deadlineExplanationSchema = z
  .strictObject({
    calendar: z.string(),
    calendarVersion: z.number().int().min(1).optional().describe('the stored calendar version the deadline was computed with'),
    zone: z.string(),
    from: instant.describe('local ISO 8601 with offset'),
    workingDays: z.number().int().min(1),
    deadline: instant.describe('local ISO 8601 with offset'),
    countedDays: z.array(z.strictObject({ date: z.iso.date(), kind: z.enum(['WORKDAY', 'MAKEUP_WORKDAY']), name: z.string().optional() })),
    skippedDays: z.array(z.strictObject({ date: z.iso.date(), reason: z.enum(['REST_DAY', 'HOLIDAY']), name: z.string().optional() })),
    summary: z.string(),
    provisional: z
      .literal(true)
      .optional()
      .describe("present when the window touches a year whose official holiday schedule is not published yet: counted with the calendar's statutory rules, the deadline may move when it is published (absent: not provisional)"),
    provisionalYears: z.array(z.number().int()).optional().describe('the years counted by statutory rules'),
    provisionalNote: z.string().optional().describe('what provisional means, in a sentence for the partner'),
  })
  .meta({ id: 'DeadlineExplanation' });

export const deadlineAnswerSchema = z
  .strictObject({ deadline: instant, explanation: deadlineExplanationSchema })
  .meta({ id: 'DeadlineAnswer' });

export const materialSchema = z
  .strictObject({
    id: z.uuid(),
    fileName: z.string(),
    contentType: z.enum(MATERIAL_TYPES).describe('what the bytes were checked to be'),
    size: z.number().int().min(1).describe('bytes'),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    uploadedBy: z.string(),
    uploadedAt: instant,
  })
  .meta({ id: 'Material', description: 'An uploaded file (metadata; GET …/materials/{materialId} downloads the bytes).' });

export type MaterialView = z.output<typeof materialSchema>;

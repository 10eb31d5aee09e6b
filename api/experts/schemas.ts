// Response schemas of experts (see api/kit/schemas.ts for the pieces every process shares).
import { z } from 'zod';
import { instant } from '../kit/schemas.js';

export const expertSchema = z
  .strictObject({
    id: z.uuid(),
    partnerId: z.string(),
    employeeId: z.string().describe('unique per partner'),
    name: z.string(),
    fullTime: z.boolean(),
    fullTimeSince: z.iso.date().nullable().describe('local date the current full-time status began; null when not full-time'),
    registeredOn: z.iso.date().describe('stamped by the server: the local date the expert was registered'),
    active: z.boolean(),
    certifications: z.array(z.strictObject({ type: z.string(), validFrom: z.iso.date(), validTo: z.iso.date() })),
    attested: z
      .strictObject({
        fullTime: z
          .strictObject({ since: z.iso.date(), attestedAt: instant, attestedBy: z.string() })
          .nullable()
          .describe('the attested full-time status; null when not attested (a change of fullTime or fullTimeSince withdraws it)'),
        certifications: z
          .array(z.strictObject({ type: z.string(), validFrom: z.iso.date(), validTo: z.iso.date(), attestedAt: instant, attestedBy: z.string() }))
          .describe('the attested ones among certifications'),
      })
      .describe('What the vendor has attested: only these facts count in the monthly incentive, certification prerequisites and path requirements.'),
    createdAt: instant,
    updatedAt: instant,
  })
  .meta({ id: 'Expert', description: "An expert of a partner: the monthly incentive's subject. Dates are local (Asia/Shanghai)." });

export const expertListSchema = z.strictObject({ items: z.array(expertSchema) }).meta({ id: 'ExpertList' });

export type ExpertView = z.output<typeof expertSchema>;

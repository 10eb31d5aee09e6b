// Response schemas of enterprise lookup (企业百科). Only the routes' own answers carry an OpenAPI id (see
// api/kit/schemas.ts); nested pieces stay inline.
import { z } from 'zod';
import { instant } from '../kit/schemas.js';

const money = z.strictObject({ currency: z.string(), minor: z.number().int().min(0).describe('minor units (fen, cents)') });
const fieldErrors = z.array(z.strictObject({ field: z.string(), message: z.string() }));

const enterpriseFields = {
  creditCode: z.string().describe('the unified social credit code (统一社会信用代码)'),
  name: z.string(),
  industry: z.string().nullable(),
  region: z.string().nullable(),
  registeredCapital: money.nullable().describe('registered capital (注册资本); null: not imported'),
  importedAt: instant.describe('when the current values were imported'),
  importId: z.uuid().describe('the import that last changed the record'),
};

export const enterpriseSchema = z.strictObject(enterpriseFields).meta({ id: 'Enterprise', description: 'An enterprise record (企业百科): the current values, from its latest import.' });

export const enterprisePageSchema = z
  .strictObject({
    items: z.array(
      z.strictObject({
        ...enterpriseFields,
        similarity: z.number().min(0).max(1).describe('how close the name is to the query (the greater of trigram similarity and word similarity); 1 for an exact credit code'),
      }),
    ),
    nextCursor: z.string().nullable(),
  })
  .meta({ id: 'EnterprisePage', description: 'Matches, the most similar first (then by credit code).' });

const rowResult = z.union([
  z.strictObject({
    line: z.number().int().min(1),
    ok: z.literal(true),
    creditCode: z.string(),
    outcome: z.enum(['CREATED', 'UPDATED', 'UNCHANGED']).describe('what the line did to the current record'),
  }),
  z.strictObject({
    line: z.number().int().min(1),
    ok: z.literal(false),
    creditCode: z.string().nullable().describe('the code the line named, when it could be read'),
    problem: z.strictObject({
      code: z.enum(['malformed-line', 'invalid-line']),
      errors: fieldErrors.describe('the fields at fault, e.g. creditCode, registeredCapital.minor, or (line)'),
    }),
  }),
]);

export const enterpriseImportSchema = z
  .strictObject({
    id: z.uuid().describe('the import'),
    lines: z.number().int().min(0).describe('non-blank lines read'),
    accepted: z.number().int().min(0),
    refused: z.number().int().min(0),
    replayed: z.boolean().describe('true when this answer is a retry of an import already read to its end (nothing written again)'),
    results: z.array(rowResult).describe('one result per non-blank line, in order'),
  })
  .meta({ id: 'EnterpriseImport', description: 'The result of each line of an import: a bad line is refused alone, naming its fields.' });

export type EnterpriseView = z.output<typeof enterpriseSchema>;
export type EnterprisePageView = z.output<typeof enterprisePageSchema>;
export type EnterpriseImportView = z.output<typeof enterpriseImportSchema>;
export type RowResult = z.output<typeof rowResult>;

/**
 * The inbox's types, picked out of the OpenAPI document's generated ones (nothing here restates a shape by hand):
 * what each kind of waiting item is listed as, read in full as, and sent as.
 */
import type { components, paths } from '../api/schema.gen';

type Schemas = components['schemas'];

export type IncentiveSummary = Schemas['IncentiveSummary'];
export type Incentive = Schemas['Incentive'];
export type VerifyBody = paths['/v1/incentives/{id}/verify']['post']['requestBody']['content']['application/json'];

export type CertificationSummary = Schemas['CertificationSummary'];
export type Certification = Schemas['Certification'];
export type PathReviewSummary = Schemas['PathReviewSummary'];
export type PathReview = Schemas['PathReview'];
export type MaterialsBody = paths['/v1/certifications/{id}/materials']['put']['requestBody']['content']['application/json'];
export type SupplementBody = paths['/v1/certifications/{id}/supplement']['post']['requestBody']['content']['application/json'];

export type AgreementSummary = Schemas['AgreementPage']['items'][number];
export type Agreement = Schemas['Agreement'];
export type ContractingEntity = Schemas['ContractingEntities']['items'][number];

export type Material = Schemas['Material'];
/** The content types an upload may declare (the API checks the bytes are really that type). */
export type MaterialType = Material['contentType'];

export type EnrollmentSummary = Schemas['EnrollmentPage']['items'][number];
export type VoidedInstrumentsPreview = Schemas['VoidedInstrumentsPreview'];

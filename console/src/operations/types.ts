/**
 * The operations page's types, picked out of the OpenAPI document's (schema.gen.ts): nothing here restates a request
 * or response shape by hand, so a field the API renames fails the console's type check.
 */
import type { components, paths } from '../api/schema.gen';

export type Calendar = components['schemas']['Calendar'];
export type CalendarSummary = components['schemas']['CalendarSummary'];
export type DeadlineAnswer = components['schemas']['DeadlineAnswer'];
export type CalendarYear = components['schemas']['CalendarYear'];
export type ShareBody = paths['/v1/opportunities']['post']['requestBody']['content']['application/json'];
export type Money = NonNullable<ShareBody['estimatedAmount']>;
export type IncentiveRun = components['schemas']['IncentiveRun'];
export type IncentiveRunSummary = components['schemas']['IncentiveRunPage']['items'][number];
export type PathReviewCycle = components['schemas']['PathReviewCycle'];
export type DevelopmentPath = components['schemas']['DevelopmentPath'];
export type PathReviewStatus = components['schemas']['PathReviewSummary']['status'];
export type WebhookEndpoint = components['schemas']['WebhookEndpoint'];
export type WebhookDelivery = components['schemas']['WebhookDelivery'];
export type DeliveryStatus = WebhookDelivery['status'];

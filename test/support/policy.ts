/**
 * THE POLICY, written by hand and reviewed like policy (issue "tests that can fail"): which role holds which permission,
 * and which permission each route demands. The code under test (domain/auth.ts ROLE_PERMISSIONS, each route's declared
 * `permission`) must agree with it (test/policy.test.ts), and the access matrix derives its expected answers from it —
 * never from `can()` — so a role granted too much, or a route declared with too weak a permission, fails.
 * Changing a line here is a policy decision: say why in the commit.
 */
import type { Permission, Role } from '../../domain/auth.js';

const VENDOR: Role[] = ['vendor_staff', 'vendor_ecosystem_manager', 'vendor_reviewer', 'vendor_admin'];
// The machine identity feeding the partner account (vendor_system) is none of the vendor's staff: it holds account.feed
// and nothing else, not even the reads every staff role has.
const EVERY_ROLE: Role[] = [...VENDOR, 'partner_admin', 'partner_sales', 'partner_finance'];

/** Permission → the built-in roles holding it. */
export const HOLDERS: Record<Permission, readonly Role[]> = {
  'opportunity.share': ['vendor_staff', 'vendor_ecosystem_manager', 'vendor_admin'],
  'opportunity.readAll': VENDOR,
  'opportunity.read': EVERY_ROLE,
  'opportunity.act': ['partner_admin', 'partner_sales'],
  'calendar.read': EVERY_ROLE,
  'calendar.readAll': VENDOR,
  'calendar.manage': ['vendor_admin'],
  'calendar.assign': ['vendor_admin'],
  'clock.advance': ['vendor_staff', 'vendor_admin'],
  'member.manage': ['vendor_admin', 'partner_admin'],
  'role.manage': ['vendor_admin', 'partner_admin'],
  'expert.manage': ['vendor_admin', 'partner_admin'],
  'expert.attest': ['vendor_ecosystem_manager', 'vendor_admin'],
  'incentive.read': [...VENDOR, 'partner_admin', 'partner_finance'],
  'incentive.readAll': VENDOR,
  'incentive.verify': ['partner_admin', 'partner_finance'],
  'incentive.resolve': ['vendor_ecosystem_manager', 'vendor_admin'],
  'incentive.run': ['vendor_ecosystem_manager', 'vendor_admin'],
  'certification.read': EVERY_ROLE,
  'certification.readAll': VENDOR,
  'certification.apply': ['partner_admin'],
  'certification.review': ['vendor_reviewer', 'vendor_admin'],
  'path.read': EVERY_ROLE,
  'path.readAll': VENDOR,
  'path.manage': ['vendor_ecosystem_manager', 'vendor_admin'],
  'pathReview.read': EVERY_ROLE,
  'pathReview.readAll': VENDOR,
  'pathReview.act': ['partner_admin'],
  'pathReview.decide': ['vendor_reviewer', 'vendor_admin'],
  'pathReview.run': ['vendor_ecosystem_manager', 'vendor_admin'],
  'webhook.read': [...VENDOR, 'partner_admin'],
  'webhook.manage': ['vendor_admin', 'partner_admin'],
  // The partner account: its funds are the partner's administrators' and finance's business, not sales'.
  'account.read': [...VENDOR, 'partner_admin', 'partner_finance'],
  'account.readAll': VENDOR,
  'account.feed': ['vendor_system'],
};

/** What a partner's custom role may hold: never a vendor permission. */
export const PARTNER_ASSIGNABLE: readonly Permission[] = [
  'opportunity.read', 'opportunity.act', 'calendar.read', 'member.manage', 'role.manage', 'expert.manage', 'incentive.read',
  'incentive.verify', 'certification.read', 'certification.apply', 'path.read', 'pathReview.read', 'pathReview.act',
  'webhook.read', 'webhook.manage', 'account.read',
];

/** `"<METHOD> <path>"` → the permission it demands ('public': none). Every mounted route, no more. */
export const ROUTE_PERMISSIONS: Record<string, Permission | 'public'> = {
  'GET /healthz': 'public',
  'POST /v1/opportunities': 'opportunity.share',
  'GET /v1/opportunities': 'opportunity.read',
  'GET /v1/opportunities/:id': 'opportunity.read',
  'POST /v1/opportunities/:id/accept': 'opportunity.act',
  'POST /v1/opportunities/:id/reject': 'opportunity.act',
  'POST /v1/opportunities/:id/updates': 'opportunity.act',
  'POST /v1/opportunities/:id/close': 'opportunity.act',
  'GET /v1/calendars': 'calendar.read',
  'GET /v1/calendars/:name': 'calendar.read',
  'PUT /v1/calendars/:name': 'calendar.manage',
  'GET /v1/calendars/:name/deadline': 'calendar.read',
  'GET /v1/partners/:partnerId/calendar': 'calendar.read',
  'PUT /v1/partners/:partnerId/calendar': 'calendar.assign',
  'GET /v1/partners/:partnerId/members': 'member.manage',
  'POST /v1/partners/:partnerId/members': 'member.manage',
  'PATCH /v1/partners/:partnerId/members/:memberId': 'member.manage',
  'GET /v1/partners/:partnerId/roles': 'role.manage',
  'POST /v1/partners/:partnerId/roles': 'role.manage',
  'PATCH /v1/partners/:partnerId/roles/:roleId': 'role.manage',
  'DELETE /v1/partners/:partnerId/roles/:roleId': 'role.manage',
  'GET /v1/partners/:partnerId/experts': 'expert.manage',
  'POST /v1/partners/:partnerId/experts': 'expert.manage',
  'PATCH /v1/partners/:partnerId/experts/:expertId': 'expert.manage',
  'POST /v1/partners/:partnerId/experts/:expertId/attestation': 'expert.attest',
  'POST /v1/admin/incentive-runs': 'incentive.run',
  'GET /v1/admin/incentive-runs/:period': 'incentive.readAll',
  'GET /v1/incentives': 'incentive.read',
  'GET /v1/incentives/:id': 'incentive.read',
  'POST /v1/incentives/:id/materials': 'incentive.verify',
  'GET /v1/incentives/:id/materials/:materialId': 'incentive.read',
  'POST /v1/incentives/:id/verify': 'incentive.verify',
  'POST /v1/incentives/:id/objections': 'incentive.verify',
  'POST /v1/incentives/:id/objections/resolve': 'incentive.resolve',
  'GET /v1/certification-types': 'certification.read',
  'POST /v1/certifications': 'certification.apply',
  'GET /v1/certifications': 'certification.read',
  'GET /v1/certifications/:id': 'certification.read',
  'POST /v1/certifications/:id/files': 'certification.apply',
  'GET /v1/certifications/:id/files/:materialId': 'certification.read',
  'PUT /v1/certifications/:id/materials': 'certification.apply',
  'POST /v1/certifications/:id/submit': 'certification.apply',
  'POST /v1/certifications/:id/supplement': 'certification.apply',
  'POST /v1/certifications/:id/renew': 'certification.apply',
  'POST /v1/certifications/:id/review': 'certification.review',
  'GET /v1/partners/:partnerId/certificates': 'certification.read',
  'GET /v1/paths': 'path.read',
  'GET /v1/partners/:partnerId/paths': 'path.read',
  'GET /v1/partners/:partnerId/paths/:pathId/requirements': 'path.read',
  'PUT /v1/partners/:partnerId/paths/:pathId': 'path.manage',
  'DELETE /v1/partners/:partnerId/paths/:pathId': 'path.manage',
  'POST /v1/admin/path-reviews': 'pathReview.run',
  'GET /v1/admin/path-reviews/:pathId/:year': 'pathReview.readAll',
  'GET /v1/path-reviews': 'pathReview.read',
  'GET /v1/path-reviews/:id': 'pathReview.read',
  'POST /v1/path-reviews/:id/apply': 'pathReview.act',
  'POST /v1/path-reviews/:id/files': 'pathReview.act',
  'PUT /v1/path-reviews/:id/materials': 'pathReview.act',
  'POST /v1/path-reviews/:id/submit': 'pathReview.act',
  'POST /v1/path-reviews/:id/supplement': 'pathReview.act',
  'POST /v1/path-reviews/:id/decision': 'pathReview.decide',
  'POST /v1/webhooks': 'webhook.manage',
  'GET /v1/webhooks': 'webhook.read',
  'GET /v1/webhooks/:id': 'webhook.read',
  'DELETE /v1/webhooks/:id': 'webhook.manage',
  'PATCH /v1/webhooks/:id': 'webhook.manage',
  'POST /v1/webhooks/:id/rotate-secret': 'webhook.manage',
  'GET /v1/webhooks/:id/deliveries': 'webhook.read',
  'POST /v1/webhooks/:id/deliveries/:deliveryId/redeliver': 'webhook.manage',
  'POST /v1/partners/:partnerId/account/facts': 'account.feed',
  'POST /v1/partners/:partnerId/account/ledger-entries': 'account.feed',
  'GET /v1/partners/:partnerId/account': 'account.read',
  'GET /v1/partners/:partnerId/account/ledger': 'account.read',
  // The eligibility preflight shows the account's facts and balances as its evidence: who reads the account.
  'GET /v1/partners/:partnerId/eligibility': 'account.read',
  'POST /v1/admin/clock/advance': 'clock.advance',
  'GET /v1/openapi.json': 'public',
};

/** Whether the built-in role may call a route demanding `permission`, by the policy above. */
export const policyAllows = (role: Role, permission: Permission | 'public') => permission === 'public' || HOLDERS[permission].includes(role);

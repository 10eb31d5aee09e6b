/**
 * `npm run token -- --role partner_admin --partner P-1 [--sub alice] [--expires 8h] [--account-type iam_user]`, or
 * `npm run token -- --customer C-1` (a customer's token: role customer, accountType customer): prints a dev JWT
 * (HS256 with AUTH_JWT_SECRET or the development secret; the API accepts it for at most AUTH_MAX_TOKEN_AGE_SECONDS).
 */
import { parseArgs } from 'node:util';
import { CUSTOMER_ACCOUNT, isPartnerRole, ROLES, type Role, signToken } from '../domain/auth.js';
import { devJwtSecret } from '../platform/config.js';

const { values } = parseArgs({
  options: {
    role: { type: 'string', multiple: true, default: ['vendor_staff'] },
    partner: { type: 'string' },
    customer: { type: 'string' },
    sub: { type: 'string' },
    expires: { type: 'string', default: '8h' },
    // e.g. --account-type iam_user: a token the partner center must refuse (for trying it out).
    'account-type': { type: 'string' },
  },
});

const roles = values.customer ? ['customer'] : (values.role as string[]);
const unknown = roles.filter((r) => !ROLES.includes(r as Role));
if (unknown.length) {
  console.error(`Unknown role(s) ${unknown.join(', ')}; known: ${ROLES.join(', ')}.`);
  process.exit(2);
}
if ((roles as Role[]).some(isPartnerRole) && !values.partner) {
  console.error('Partner roles need --partner <partnerId>.');
  process.exit(2);
}
if ((roles as Role[]).includes('customer') && !values.customer) {
  console.error('The customer role is a customer\'s token: use --customer <customerId>.');
  process.exit(2);
}
const sub = values.sub ?? (values.customer ? `${values.customer}-account` : values.partner ? `${values.partner}-user` : 'vendor-user');
const token = await signToken(
  {
    sub,
    roles: roles as Role[],
    ...(values.partner ? { partnerId: values.partner } : {}),
    ...(values.customer ? { customerId: values.customer, accountType: CUSTOMER_ACCOUNT } : values['account-type'] ? { accountType: values['account-type'] } : {}),
  },
  process.env.AUTH_JWT_SECRET ?? devJwtSecret,
  values.expires,
  // The API checks them on HS256 tokens too: the development ones unless AUTH_ISSUER / AUTH_AUDIENCE say otherwise.
  {
    ...(process.env.AUTH_ISSUER ? { issuer: process.env.AUTH_ISSUER } : {}),
    ...(process.env.AUTH_AUDIENCE ? { audience: process.env.AUTH_AUDIENCE } : {}),
  },
);
console.log(token);

/** Fixtures of the funds tests: customers associated by SQL (as the customer reporting will), fed entries, figures. */
import { randomUUID } from 'node:crypto';
import type { PrismaClient } from '../../platform/db.js';

// A code of the right format (its check digit is the enterprise lookup's business, not the association's).
export const CREDIT_CODE = '91330100799655058B';

export const newPartner = () => `P-funds-${randomUUID().slice(0, 8)}`;
export const newCustomer = () => `C-funds-${randomUUID().slice(0, 8)}`;
export const cny = (minor: number) => ({ currency: 'CNY', minor });

/** An open association of `customerId` with `partnerId`, in `mode`, inserted as the reporting's invitation would. */
export async function associate(prisma: PrismaClient, partnerId: string, customerId: string, mode: 'RESELLER' | 'CONSULTATIVE' = 'RESELLER'): Promise<string> {
  const id = randomUUID();
  await prisma.$executeRaw`
    INSERT INTO customer_association (id, partner_id, customer_id, credit_code, mode, associated_at, associated_by)
    VALUES (${id}::uuid, ${partnerId}, ${customerId}, ${CREDIT_CODE}, ${mode}, now(), 'customer-account')`;
  return id;
}

/** Ends an association, as the unlink will. */
export async function unlink(prisma: PrismaClient, associationId: string): Promise<void> {
  await prisma.$executeRaw`UPDATE customer_association SET unlinked_at = now(), unlink_id = ${randomUUID()}::uuid WHERE id = ${associationId}::uuid`;
}

/** Every transfer of the partner balances, and every account's stored sum is the sum of its postings. */
export async function ledgerIsConsistent(prisma: PrismaClient, partnerId: string): Promise<{ unbalanced: number; drifted: number; negative: number }> {
  const [unbalanced] = await prisma.$queryRaw<{ n: bigint }[]>`
    SELECT count(*)::bigint AS n FROM (SELECT t.id FROM ledger_transfer t JOIN ledger_posting p ON p.transfer_id = t.id
      WHERE t.partner_id = ${partnerId} GROUP BY t.id HAVING sum(p.amount) <> 0 OR count(*) < 2) x`;
  const [drifted] = await prisma.$queryRaw<{ n: bigint }[]>`
    SELECT count(*)::bigint AS n FROM ledger_account a JOIN ledger_balance b ON b.account_id = a.id
    WHERE a.partner_id = ${partnerId} AND b.total <> coalesce((SELECT sum(amount) FROM ledger_posting p WHERE p.account_id = a.id), 0)`;
  const [negative] = await prisma.$queryRaw<{ n: bigint }[]>`
    SELECT count(*)::bigint AS n FROM ledger_account a JOIN ledger_balance b ON b.account_id = a.id
    WHERE a.partner_id = ${partnerId} AND ((a.kind IN ('PARTNER_RECHARGE', 'CUSTOMER_ALLOCATION') AND b.total > 0) OR (a.kind = 'PARTNER_ARREARS' AND b.total < 0))`;
  return { unbalanced: Number(unbalanced!.n), drifted: Number(drifted!.n), negative: Number(negative!.n) };
}

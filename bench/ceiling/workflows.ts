/**
 * The ceiling for the referee in `npm run bench`: the smallest workflow of the opportunity's shape — started
 * by an update-with-start (share), one accept update answered, and the accept deadline's timer it waits on —
 * with no activities and no database. Whatever partnerflow spends beyond this is its own. Bundled only for
 * the referee's ceiling worker (bench/ceiling/ceiling.ts); never part of the product's workflow bundle.
 */
import { condition, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import { ProcessStatus } from '../../workflows/kit/search-attributes.js';
import { ceilingAccept, type CeilingInput, ceilingShare, type CeilingStatus } from './contract.js';

export async function ceilingOpportunity({ acceptWithinMs }: CeilingInput): Promise<'ACCEPTED' | 'EXPIRED'> {
  let status: CeilingStatus = 'PENDING_ACCEPTANCE';
  setHandler(ceilingShare, () => status);
  setHandler(
    ceilingAccept,
    () => {
      status = 'ACCEPTED';
      // As partnerflow's workflow does on every status change: the Web UI sees the new status.
      upsertSearchAttributes([{ key: ProcessStatus, value: status }]);
      return status;
    },
    {
      validator: () => {
        if (status !== 'PENDING_ACCEPTANCE') throw new Error('not pending acceptance');
      },
    },
  );
  // Accepted before the deadline, or the deadline's timer fires.
  const accepted = await condition(() => status === 'ACCEPTED', acceptWithinMs);
  if (!accepted) return 'EXPIRED';
  // An accepted opportunity stays open (work in progress until it is closed); nothing closes it during the run.
  await condition(() => false);
  return 'ACCEPTED';
}

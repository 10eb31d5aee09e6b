/**
 * The door every process's client opens onto one of its workflows: finds the row (another partner's answers 404,
 * exactly like a missing one), sends updates to its workflow and answers the persisted view, or the refusal as a
 * problem; a workflow that has ended answers 409 with the current status. The reviewed-application kit
 * (reviewed-application.ts) builds its files, materials, submission and decision on it; a process without files
 * (level raises) uses it alone.
 */
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import { canSeePartner, type Permission, type Principal } from '../../domain/auth.js';
import { problems } from '../../domain/problems.js';
import type { Refusals } from './refusals.js';
import { listScope } from './scoping.js';

/** What the door reads of a process's row. */
export type ProcessRow = { id: string; partnerId: string; status: string };

export type ProcessDoorTerms<Row extends ProcessRow, View> = {
  temporal: Client;
  /** Names the object in a 404 (`Certification application <id>`). */
  title: string;
  /** Names it in a sentence (`The application is REJECTED; …`). */
  noun: string;
  /** Who reads every partner's objects. */
  readAll: Permission;
  find: (id: string) => Promise<Row | null>;
  workflowId: (id: string) => string;
  /** The 409 answered once the workflow has ended (rejected, withdrawn, lapsed…). */
  closedCode: string;
  refusals: Refusals;
  /** Added to every 409 refusal (e.g. the status the action found). */
  conflictOf?: (row: Row) => Record<string, unknown>;
  toView: (row: Row) => Promise<View>;
};

export function processDoor<Row extends ProcessRow, View>(p: ProcessDoorTerms<Row, View>) {
  const notFound = (id: string) => problems.notFound(`${p.title} ${id}`);

  /** Another partner's object answers exactly like a missing one. */
  async function findVisible(principal: Principal, id: string): Promise<Row> {
    const row = await p.find(id);
    if (!row || !canSeePartner(principal, row.partnerId, p.readAll)) throw notFound(id);
    return row;
  }

  /** The owning partner's staff only (vendor staff may read, never act as the partner). */
  async function findOwn(principal: Principal, id: string): Promise<Row> {
    const row = await findVisible(principal, id);
    if (principal.partnerId !== row.partnerId) throw notFound(id);
    return row;
  }

  const view = async (principal: Principal, id: string) => p.toView(await findVisible(principal, id));

  /** Runs updates on `row`'s workflow and answers the persisted view, or the refusal as a problem. */
  async function act(principal: Principal, row: Row, run: (handle: ReturnType<Client['workflow']['getHandle']>) => Promise<unknown>): Promise<View> {
    try {
      await run(p.temporal.workflow.getHandle(p.workflowId(row.id)));
    } catch (error) {
      const refused = p.refusals.problemOf(error, { what: `${p.title} ${row.id}`, ...(p.conflictOf ? { conflict: p.conflictOf(row) } : {}) });
      if (refused) throw refused;
      if (error instanceof WorkflowNotFoundError) {
        // The workflow has ended: say so, with the current status.
        const current = await findVisible(principal, row.id);
        throw problems.conflict(p.closedCode, `The ${p.noun} is ${current.status}; nothing more can be done with it.`, { currentStatus: current.status });
      }
      throw error;
    }
    return view(principal, row.id);
  }

  return {
    findVisible,
    findOwn,
    act,
    get: view,
    /** The filter a list applies: partners see only their own (another partner's list is empty: `null`). */
    partnerScope: (principal: Principal, requested: string | undefined) => listScope(principal, p.readAll, requested),
  };
}

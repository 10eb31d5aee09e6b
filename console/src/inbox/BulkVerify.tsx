/**
 * The inbox's bulk verification of incentives: select all, then 核实所选 / Verify selected — one `incentive.verify` job
 * (POST /v1/bulk-actions) whose items are each selected incentive's headcount and total as the partner typed them in
 * its card, and the evidence: the files picked in the card (uploaded first, as the single verify does) and any
 * uploaded before. A card with a figure missing — or, for a list that names anyone, no evidence at all (the API's
 * `materials-required`) — blocks the submission, naming the card, so that no item is sent the API would refuse for
 * want of what the partner simply has not typed yet.
 */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { BulkAction } from '../api/client';
import { BulkSubmitState, SelectAll, type Submission, submissionOf, useBulkSubmit } from '../BulkToolbar';
import { useMessagesOf } from '../i18n';
import { useSession } from '../session';
import { minorFromText } from './amount';
import { BULK_VERIFY_MESSAGES, type BulkVerifyMessages } from './bulk-messages';
import { INBOX_MESSAGES } from './messages';
import { failureText } from './refusals';
import type { Incentive, IncentiveSummary } from './types';
import { uploadFile } from './upload';

/** What the partner typed in an incentive's card: the figures as typed, and the files picked as evidence. */
export type IncentiveDraft = { headcount: string; total: string; files: readonly File[] };
export const EMPTY_DRAFT: IncentiveDraft = { headcount: '', total: '', files: [] };

type VerifyItem = { incentiveId: string; headcount: number; totalMinor: number; files: readonly File[]; previous: readonly string[] };

/**
 * Each selected card's figures, or what is missing from it in words. `detail` is the card's own read of the incentive
 * (its lines and the materials uploaded before), when it has arrived; until then the list's headcount says whether
 * the list names anyone.
 */
function checkDrafts(selected: readonly IncentiveSummary[], drafts: Readonly<Record<string, IncentiveDraft>>, detail: (id: string) => Incentive | undefined, title: (summary: IncentiveSummary) => string, w: BulkVerifyMessages) {
  const items: VerifyItem[] = [];
  const blocked: string[] = [];
  for (const summary of selected) {
    const draft = drafts[summary.id] ?? EMPTY_DRAFT;
    const read = detail(summary.id);
    const previous = (read?.materials ?? []).map((material) => material.id);
    const namesAnyone = read ? read.lines.length > 0 : summary.headcount > 0;
    const headcount = /^\d+$/.test(draft.headcount.trim()) ? Number(draft.headcount.trim()) : undefined;
    const totalMinor = minorFromText(draft.total);
    const missing = [
      ...(headcount === undefined ? [w.headcount] : []),
      ...(draft.total.trim() === '' ? [w.total] : totalMinor === undefined ? [w.totalInvalid] : []),
      ...(namesAnyone && previous.length === 0 && draft.files.length === 0 ? [w.evidence] : []),
    ];
    if (missing.length > 0 || headcount === undefined || totalMinor === undefined) blocked.push(w.missing(title(summary), missing));
    else items.push({ incentiveId: summary.id, headcount, totalMinor, files: draft.files, previous });
  }
  return { items, blocked };
}

type Props = {
  listed: readonly IncentiveSummary[];
  selected: readonly IncentiveSummary[];
  drafts: Readonly<Record<string, IncentiveDraft>>;
  onSelectAll: (all: boolean) => void;
  onSubmitted: (job: BulkAction, submission: Submission) => void;
};

export function BulkVerify({ listed, selected, drafts, onSelectAll, onSubmitted }: Props) {
  const w = useMessagesOf(BULK_VERIFY_MESSAGES);
  const words = useMessagesOf(INBOX_MESSAGES);
  const { api } = useSession();
  const queryClient = useQueryClient();
  const submit = useBulkSubmit(onSubmitted);
  const title = (summary: IncentiveSummary) => words.incentiveTitle(summary.period);

  // Checking the cards and uploading their files come before the job: the job names the uploaded files' ids.
  const prepare = useMutation({
    mutationFn: async (): Promise<{ blocked: string[]; submission?: Submission }> => {
      const { items, blocked } = checkDrafts(selected, drafts, (id) => queryClient.getQueryData<Incentive>(['incentive', id]), title, w);
      if (blocked.length > 0) return { blocked };
      const titles = Object.fromEntries(selected.map((summary) => [summary.id, title(summary)]));
      const body = [];
      for (const item of items) {
        const uploaded = [];
        try {
          for (const file of item.files) uploaded.push((await uploadFile(api, { kind: 'incentive', id: item.incentiveId }, file)).id);
        } catch (error) {
          throw new Error(w.uploadFailed(titles[item.incentiveId] ?? item.incentiveId, error instanceof Error ? failureText(error, words) : String(error)));
        }
        // Files uploaded before (by an earlier attempt, or through the API) count as evidence too; each named once.
        body.push({ incentiveId: item.incentiveId, headcount: item.headcount, totalMinor: item.totalMinor, materials: [...new Set([...item.previous, ...uploaded])] });
      }
      return { blocked, submission: submissionOf({ kind: 'incentive.verify', items: body }, titles) };
    },
    onSuccess: ({ submission }) => {
      if (submission) submit.mutate(submission);
    },
  });
  const busy = prepare.isPending || submit.isPending;
  const blocked = prepare.data?.blocked ?? [];

  return (
    <div className="bulk-toolbar" role="group" aria-label={w.group(selected.length)}>
      <SelectAll total={listed.length} selected={selected.length} onSelectAll={onSelectAll} disabled={busy} label={w.selectAll} />
      <button type="button" onClick={() => prepare.mutate()} disabled={selected.length === 0 || busy}>
        {w.verifySelected(selected.length)}
      </button>
      {prepare.isPending && <span role="status">{w.uploading}</span>}
      <BulkSubmitState submit={submit} />
      {blocked.length > 0 && (
        <div role="alert" className="problem" data-testid="bulk-verify-blocked">
          <p>{w.blocked}</p>
          <ul>
            {blocked.map((line) => (
              <li key={line}>{line}</li>
            ))}
          </ul>
        </div>
      )}
      {prepare.error && (
        <p role="alert" className="problem">
          {prepare.error.message}
        </p>
      )}
    </div>
  );
}

/**
 * A monthly incentive waiting for the partner's verification: the list's headcount and total, the deadline with its
 * working-time countdown and explanation, and the verification in place — headcount and total as the partner counts
 * them, with the evidence uploaded on the way (POST /v1/incentives/:id/materials, then /verify naming the files).
 * What the partner types is kept by the inbox (`draft`), so that a bulk verification of the selected cards
 * (BulkVerify) sends the same figures and files.
 */
import { useMutation, useQuery } from '@tanstack/react-query';
import { type FormEvent, useId, useState } from 'react';
import { useLanguage, useMessagesOf } from '../i18n';
import type { IncentiveDraft } from './BulkVerify';
import { useSession } from '../session';
import { formatMinor, minorFromText } from './amount';
import { DeadlineFacts, DeadlineWhy } from './Deadline';
import { INBOX_MESSAGES } from './messages';
import { dataOf, failureText } from './refusals';
import type { IncentiveSummary } from './types';
import { uploadFile } from './upload';

type Props = {
  summary: IncentiveSummary;
  now: Date;
  onDone: (announcement: string) => void;
  draft: IncentiveDraft;
  onDraft: (draft: IncentiveDraft) => void;
  selected: boolean;
  onSelect: (on: boolean) => void;
};

export function IncentiveCard({ summary, now, onDone, draft, onDraft, selected, onSelect }: Props) {
  const { language, messages } = useLanguage();
  const words = useMessagesOf(INBOX_MESSAGES);
  const { api } = useSession();
  const id = useId();
  const { headcount, total, files } = draft;
  const [invalidTotal, setInvalidTotal] = useState(false);

  const detail = useQuery({
    queryKey: ['incentive', summary.id],
    queryFn: async () => dataOf(await api.GET('/v1/incentives/{id}', { params: { path: { id: summary.id } } })),
  });

  const verify = useMutation({
    mutationFn: async ({ headcount, totalMinor }: { headcount: number; totalMinor: number }) => {
      const uploaded = [];
      for (const file of files) uploaded.push(await uploadFile(api, { kind: 'incentive', id: summary.id }, file));
      // Files uploaded before (by an earlier attempt, or through the API) count as evidence too; each named once.
      const materials = [...new Set([...(detail.data?.materials ?? []).map((m) => m.id), ...uploaded.map((m) => m.id)])];
      return dataOf(await api.POST('/v1/incentives/{id}/verify', { params: { path: { id: summary.id } }, body: { headcount, totalMinor, materials } }));
    },
    onSuccess: (view) => onDone(words.verified(view.period)),
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const totalMinor = minorFromText(total);
    setInvalidTotal(totalMinor === undefined);
    if (totalMinor !== undefined) verify.mutate({ headcount: Number(headcount), totalMinor });
  };

  const failure = verify.error ?? detail.error;
  const previous = detail.data?.materials ?? [];
  return (
    <article className="card inbox-item" aria-labelledby={`${id}-title`} data-kind="incentive">
      <p className="kind">{words.kinds.incentive}</p>
      <div className="card-head">
        <input type="checkbox" checked={selected} onChange={(e) => onSelect(e.target.checked)} aria-label={messages.bulk.select(words.incentiveTitle(summary.period))} />
        <h4 id={`${id}-title`}>{words.incentiveTitle(summary.period)}</h4>
      </div>
      <dl>
        <dt>{words.headcountOnList}</dt>
        <dd>{summary.headcount}</dd>
        <dt>{words.totalOnList}</dt>
        <dd>{formatMinor(summary.totalMinor, summary.currency, language)}</dd>
        <DeadlineFacts deadline={summary.verificationDeadline} zone={summary.zone} now={now} explanation={detail.data?.deadlineExplanation} />
      </dl>
      <DeadlineWhy explanation={detail.data?.deadlineExplanation} />
      {failure && (
        <p role="alert" className="problem">
          {failureText(failure, words)}
        </p>
      )}
      <form className="inbox-form" onSubmit={submit}>
        <label htmlFor={`${id}-headcount`}>{words.headcount}</label>
        <input id={`${id}-headcount`} type="number" min={0} step={1} required value={headcount} onChange={(e) => onDraft({ ...draft, headcount: e.target.value })} />
        <label htmlFor={`${id}-total`}>{words.total(summary.currency)}</label>
        <input
          id={`${id}-total`}
          inputMode="decimal"
          required
          value={total}
          aria-invalid={invalidTotal}
          aria-describedby={`${id}-total-hint`}
          onChange={(e) => onDraft({ ...draft, total: e.target.value })}
        />
        <p id={`${id}-total-hint`} className={invalidTotal ? 'problem' : 'help'}>
          {invalidTotal ? words.totalInvalid : words.totalHint}
        </p>
        <label htmlFor={`${id}-files`}>{words.evidence}</label>
        <input
          id={`${id}-files`}
          type="file"
          multiple
          accept="application/pdf,image/png,image/jpeg"
          aria-describedby={`${id}-files-hint`}
          onChange={(e) => onDraft({ ...draft, files: [...(e.target.files ?? [])] })}
        />
        <p id={`${id}-files-hint`} className="help">
          {previous.length > 0 ? words.uploaded(previous.map((m) => m.fileName).join(', ')) : words.evidenceHint}
        </p>
        <div className="actions">
          <button type="submit" disabled={verify.isPending}>
            {verify.isPending ? words.verifying : words.verify}
          </button>
        </div>
      </form>
    </article>
  );
}

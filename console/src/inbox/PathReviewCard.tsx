/**
 * An annual path review waiting for the partner inside its window: OPEN — apply for the review (the API checks every
 * requirement live and lists each unmet one); APPLIED — upload a file per review material kind, set them, and submit
 * before the window closes. After the window the review lapses, so the window's end is the item's deadline.
 * (A review sent back for a supplement is SupplementCard's.)
 */
import { useMutation, useQuery } from '@tanstack/react-query';
import { type FormEvent, useId, useState } from 'react';
import { useMessagesOf } from '../i18n';
import { useSession } from '../session';
import { DeadlineFacts, DeadlineWhy } from './Deadline';
import { MaterialFields, withFile } from './MaterialFields';
import { INBOX_MESSAGES } from './messages';
import { dataOf, failureText } from './refusals';
import type { MaterialsBody, PathReviewSummary } from './types';
import { uploadFile } from './upload';

type Props = { summary: PathReviewSummary; now: Date; onDone: (announcement: string) => void };

export function PathReviewCard({ summary, now, onDone }: Props) {
  const words = useMessagesOf(INBOX_MESSAGES);
  const { api } = useSession();
  const id = useId();
  const [files, setFiles] = useState<Record<string, File>>({});
  const path = { params: { path: { id: summary.id } } };
  const open = summary.status === 'OPEN';
  const title = open ? words.pathReviewApplyTitle(summary.pathId, summary.year) : words.pathReviewSubmitTitle(summary.pathId, summary.year);

  const detail = useQuery({ queryKey: ['pathReview', summary.id], queryFn: async () => dataOf(await api.GET('/v1/path-reviews/{id}', path)) });
  const apply = useMutation({
    mutationFn: async () => dataOf(await api.POST('/v1/path-reviews/{id}/apply', path)),
    onSuccess: () => onDone(words.pathReviewApplied(title)),
  });
  const submit = useMutation({
    mutationFn: async () => {
      const materials: MaterialsBody['materials'] = [];
      for (const [kind, file] of Object.entries(files)) materials.push({ kind, materialId: (await uploadFile(api, { kind: 'pathReview', id: summary.id }, file)).id });
      if (materials.length > 0) dataOf(await api.PUT('/v1/path-reviews/{id}/materials', { ...path, body: { materials } }));
      return dataOf(await api.POST('/v1/path-reviews/{id}/submit', path));
    },
    onSuccess: () => onDone(words.pathReviewSubmitted(title)),
  });
  const send = (event: FormEvent) => {
    event.preventDefault();
    submit.mutate();
  };

  const review = detail.data;
  const kinds = (review?.materials ?? []).map((m) => ({ kind: m.kind, name: m.kind, current: m.material?.fileName ?? null }));
  const failure = apply.error ?? submit.error ?? detail.error;
  return (
    <article className="card inbox-item" aria-labelledby={`${id}-title`} data-kind="pathReview">
      <p className="kind">{words.kinds.pathReviewWindow}</p>
      <h4 id={`${id}-title`}>{title}</h4>
      <dl>
        <dt>{words.levelUnderReview}</dt>
        <dd>{summary.level}</dd>
        <DeadlineFacts deadline={summary.windowEndsAt} zone={summary.zone} now={now} explanation={review?.deadlineExplanation ?? undefined} />
      </dl>
      <DeadlineWhy explanation={review?.deadlineExplanation} />
      {failure && (
        <p role="alert" className="problem">
          {failureText(failure, words)}
        </p>
      )}
      {open ? (
        <div className="actions">
          <button type="button" onClick={() => apply.mutate()} disabled={apply.isPending}>
            {apply.isPending ? words.working : words.applyForReview}
          </button>
        </div>
      ) : (
        <form className="inbox-form" onSubmit={send}>
          <MaterialFields
            idPrefix={id}
            kinds={kinds}
            label={words.materialFile}
            current={words.currentFile}
            onChange={(kind, file) => setFiles((chosen) => withFile(chosen, kind, file))}
          />
          <div className="actions">
            <button type="submit" disabled={submit.isPending || !review}>
              {submit.isPending ? words.working : words.submitReview}
            </button>
          </div>
        </form>
      )}
    </article>
  );
}

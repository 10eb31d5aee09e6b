/**
 * A reviewed application the reviewer sent back for a supplement — a certification application or an annual path
 * review in SUPPLEMENT_REQUESTED: the reviewer's request, the deadline (the application is withdrawn or lapses
 * after it) and the answer in place. A new file per material kind is uploaded (…/files), set as that kind's material
 * (PUT …/materials), then the supplement is answered with an optional note (POST …/supplement): the reviewed-
 * application kit's three partner steps, in the order the API takes them.
 */
import { useMutation, useQuery } from '@tanstack/react-query';
import { type FormEvent, useId, useState } from 'react';
import type { Api } from '../api/client';
import { useLanguage, useMessagesOf } from '../i18n';
import { useSession } from '../session';
import { DeadlineFacts, DeadlineWhy } from './Deadline';
import { MaterialFields, withFile } from './MaterialFields';
import { INBOX_MESSAGES } from './messages';
import { dataOf, failureText } from './refusals';
import type { Certification, CertificationSummary, MaterialsBody, PathReview, PathReviewSummary, SupplementBody } from './types';
import { uploadFile } from './upload';

export type SupplementItem = { kind: 'certification'; summary: CertificationSummary } | { kind: 'pathReview'; summary: PathReviewSummary };

type Props = { item: SupplementItem; now: Date; onDone: (announcement: string) => void };

/** The application as the card reads it, whichever process it belongs to. */
type Application = Certification | PathReview;

/** The three steps and the read, on the item's own paths (each typed by the OpenAPI document). */
function doorOf(api: Api, item: SupplementItem) {
  const path = { params: { path: { id: item.summary.id } } };
  return item.kind === 'certification'
    ? {
        get: async (): Promise<Application> => dataOf(await api.GET('/v1/certifications/{id}', path)),
        setMaterials: async (body: MaterialsBody) => dataOf(await api.PUT('/v1/certifications/{id}/materials', { ...path, body })),
        supplement: async (body: SupplementBody) => dataOf(await api.POST('/v1/certifications/{id}/supplement', { ...path, body })),
      }
    : {
        get: async (): Promise<Application> => dataOf(await api.GET('/v1/path-reviews/{id}', path)),
        setMaterials: async (body: MaterialsBody) => dataOf(await api.PUT('/v1/path-reviews/{id}/materials', { ...path, body })),
        supplement: async (body: SupplementBody) => dataOf(await api.POST('/v1/path-reviews/{id}/supplement', { ...path, body })),
      };
}

export function SupplementCard({ item, now, onDone }: Props) {
  const { messages } = useLanguage();
  const words = useMessagesOf(INBOX_MESSAGES);
  const { api } = useSession();
  const id = useId();
  const [files, setFiles] = useState<Record<string, File>>({});
  const [note, setNote] = useState('');
  const door = doorOf(api, item);
  const title =
    item.kind === 'certification'
      ? words.certificationTitle(item.summary.type, item.summary.solutionName)
      : words.pathReviewTitle(item.summary.pathId, item.summary.year);

  const detail = useQuery({ queryKey: [item.kind, item.summary.id], queryFn: door.get });
  const answer = useMutation({
    mutationFn: async () => {
      const materials: MaterialsBody['materials'] = [];
      for (const [kind, file] of Object.entries(files)) {
        const uploaded = await uploadFile(api, { kind: item.kind, id: item.summary.id }, file);
        materials.push({ kind, materialId: uploaded.id });
      }
      if (materials.length > 0) await door.setMaterials({ materials });
      return door.supplement(note.trim() ? { note: note.trim() } : {});
    },
    onSuccess: () => onDone(words.supplemented(title)),
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    answer.mutate();
  };

  const application = detail.data;
  // The reviewer's request is the note of the round's SUPPLEMENT_REQUESTED event (the decision note is a final decision's).
  const history: readonly { type: string; note: string | null }[] = application?.history ?? [];
  const requestNote = history.findLast((event) => event.type === 'SUPPLEMENT_REQUESTED')?.note ?? null;
  // A certification names each kind; a path review's kinds are their own names.
  const kinds = (application?.materials ?? []).map((m) => {
    const name: string | null = 'name' in m && typeof m.name === 'string' ? m.name : null;
    return { kind: m.kind, name: name ?? m.kind, current: m.material?.fileName ?? null };
  });
  const failure = answer.error ?? detail.error;
  return (
    <article className="card inbox-item" aria-labelledby={`${id}-title`} data-kind={item.kind}>
      <p className="kind">{words.kinds[item.kind]}</p>
      <h4 id={`${id}-title`}>{title}</h4>
      <dl>
        <dt>{words.requestNote}</dt>
        <dd className="request-note">{application ? (requestNote ?? words.noRequestNote) : messages.loading}</dd>
        {item.summary.supplementDeadline && (
          <DeadlineFacts
            deadline={item.summary.supplementDeadline}
            zone={item.summary.zone}
            now={now}
            explanation={application?.deadlineExplanation ?? undefined}
            calendar={application !== undefined && application.deadlineExplanation === null}
          />
        )}
      </dl>
      <DeadlineWhy explanation={application?.deadlineExplanation} />
      {failure && (
        <p role="alert" className="problem">
          {failureText(failure, words)}
        </p>
      )}
      <form className="inbox-form" onSubmit={submit}>
        <MaterialFields
          idPrefix={id}
          kinds={kinds}
          label={words.replaceFile}
          current={words.currentFile}
          onChange={(kind, file) => setFiles((chosen) => withFile(chosen, kind, file))}
        />
        <label htmlFor={`${id}-note`}>{words.supplementNote}</label>
        <textarea id={`${id}-note`} rows={2} maxLength={2000} value={note} onChange={(e) => setNote(e.target.value)} />
        <div className="actions">
          <button type="submit" disabled={answer.isPending || !application}>
            {answer.isPending ? words.working : words.submitSupplement}
          </button>
        </div>
      </form>
    </article>
  );
}

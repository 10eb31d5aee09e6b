/**
 * An agreement version the partner has not signed — the one in force, or one published to take effect later: the
 * contracting entity, the dates, the sign-by countdown (calendar time: contract dates do not follow the working-day
 * calendar, docs/agreements.md), the full text one click away, and the signature in place. The signature names the
 * SHA-256 of the text this page showed, computed here, so the partner signs what it read — a text that differs from
 * the version's is refused by the API (409 agreement-text-mismatch) rather than signed.
 */
import { useMutation, useQuery } from '@tanstack/react-query';
import { type FormEvent, useId, useState } from 'react';
import { formatDate, useLanguage, useMessagesOf } from '../i18n';
import { useSession } from '../session';
import { DeadlineFacts } from './Deadline';
import { INBOX_MESSAGES } from './messages';
import { dataOf, failureText } from './refusals';
import type { AgreementSummary } from './types';

/** The contracting zone: the agreement's dates are read there (docs/agreements.md). */
export const CONTRACTING_ZONE = 'Asia/Shanghai';

type Props = { agreement: AgreementSummary; inForce: boolean; partnerId: string; now: Date; onDone: (announcement: string) => void };

async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((byte) => byte.toString(16).padStart(2, '0')).join('');
}

export function AgreementCard({ agreement, inForce, partnerId, now, onDone }: Props) {
  const { language } = useLanguage();
  const words = useMessagesOf(INBOX_MESSAGES);
  const { api } = useSession();
  const id = useId();
  const [confirmed, setConfirmed] = useState(false);
  const title = words.agreementTitle(agreement.version, agreement.contractingEntity);

  const detail = useQuery({
    queryKey: ['agreement', agreement.id],
    queryFn: async () => dataOf(await api.GET('/v1/agreements/{id}', { params: { path: { id: agreement.id } } })),
  });
  const sign = useMutation({
    mutationFn: async (text: string) => {
      const textSha256 = await sha256Hex(text);
      return dataOf(await api.POST('/v1/partners/{partnerId}/agreements/{id}/signature', { params: { path: { partnerId, id: agreement.id } }, body: { textSha256 } }));
    },
    onSuccess: () => onDone(words.signed(title)),
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (detail.data) sign.mutate(detail.data.text);
  };

  const failure = sign.error ?? detail.error;
  return (
    <article className="card inbox-item" aria-labelledby={`${id}-title`} data-kind="agreement">
      <p className="kind">{words.kinds.agreement}</p>
      <h4 id={`${id}-title`}>{title}</h4>
      <dl>
        <dt>{words.contractingEntity}</dt>
        <dd>{agreement.contractingEntity}</dd>
        <dt>{words.effective}</dt>
        <dd>
          {formatDate(agreement.effectiveDate, language)} — {inForce ? <strong>{words.inForce}</strong> : words.notYetInForce}
        </dd>
        <DeadlineFacts deadline={agreement.signByAt} zone={CONTRACTING_ZONE} now={now} calendar />
      </dl>
      <p className="help">{words.contractDates}</p>
      <details className="agreement-text">
        <summary>{words.readText}</summary>
        {detail.data && (
          <div className="agreement-body">
            <div className="agreement-prose">{detail.data.text}</div>
            <p className="help hash">{words.textHash(detail.data.textSha256)}</p>
          </div>
        )}
      </details>
      {failure && (
        <p role="alert" className="problem">
          {failureText(failure, words)}
        </p>
      )}
      <form className="inbox-form" onSubmit={submit}>
        <label className="confirm">
          <input type="checkbox" required checked={confirmed} onChange={(e) => setConfirmed(e.target.checked)} /> {words.signConfirm}
        </label>
        <div className="actions">
          <button type="submit" disabled={sign.isPending || !detail.data || !confirmed}>
            {sign.isPending ? words.working : words.sign}
          </button>
        </div>
      </form>
    </article>
  );
}

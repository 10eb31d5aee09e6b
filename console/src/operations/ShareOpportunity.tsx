/**
 * Share an opportunity with a partner (POST /v1/opportunities), then show what the API answered: its status and the
 * accept deadline in the partner's zone, with the deadline's explanation one click away (the inbox's own component).
 */
import { useMutation } from '@tanstack/react-query';
import { type FormEvent, useId, useState } from 'react';
import type { Opportunity } from '../api/client';
import { Explanation } from '../Explanation';
import { formatInZone, useLanguage, useMessagesOf } from '../i18n';
import { useSession } from '../session';
import { OPERATIONS_MESSAGES } from './messages';
import { may } from './permissions';
import { useMe } from '../me';
import { dataOr, ProblemAlert, ProblemError } from './ProblemAlert';
import type { Money, ShareBody } from './types';

/** The currencies offered; the API takes any ISO 4217 code, these are the ones the vendor's programs pay in. */
const CURRENCIES = ['CNY', 'USD', 'EUR', 'SAR'] as const;

/** "1234.5" in `currency` → its integer minor units (CNY 123450), or undefined when it is not such an amount. */
export function toMinor(amount: string, currency: string): number | undefined {
  const digits = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
  const match = new RegExp(`^(\\d{1,15})(?:\\.(\\d{1,${digits}}))?$`).exec(amount.trim());
  if (!match) return undefined;
  return Number(match[1]) * 10 ** digits + Number((match[2] ?? '').padEnd(digits, '0') || 0);
}

export function ShareOpportunity() {
  const messages = useMessagesOf(OPERATIONS_MESSAGES);
  const { language } = useLanguage();
  const { api } = useSession();
  const me = useMe().data;
  const [partnerId, setPartnerId] = useState('');
  const [customerName, setCustomerName] = useState('');
  const [title, setTitle] = useState('');
  const [amount, setAmount] = useState('');
  const [currency, setCurrency] = useState<(typeof CURRENCIES)[number]>('CNY');
  const [amountInvalid, setAmountInvalid] = useState(false);
  const ids = { partner: useId(), customer: useId(), title: useId(), amount: useId(), currency: useId(), amountHelp: useId() };

  const share = useMutation({
    // One Idempotency-Key per click: a retried request of the same click cannot share the opportunity twice.
    mutationFn: async ({ body, key }: { body: ShareBody; key: string }): Promise<Opportunity> =>
      dataOr(await api.POST('/v1/opportunities', { body, params: { header: { 'Idempotency-Key': key } } })),
  });

  if (!may(me, 'opportunity.share')) return <p className="help">{messages.shareNotAllowed}</p>;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    let estimatedAmount: Money | undefined;
    if (amount.trim()) {
      const minor = toMinor(amount, currency);
      setAmountInvalid(minor === undefined);
      if (minor === undefined) return;
      estimatedAmount = { currency, minor };
    } else setAmountInvalid(false);
    share.mutate({ body: { partnerId: partnerId.trim(), customerName: customerName.trim(), title: title.trim(), ...(estimatedAmount ? { estimatedAmount } : {}) }, key: crypto.randomUUID() });
  };
  // The fields the API named in its refusal are marked invalid beside their input.
  const refused = new Set(share.error instanceof ProblemError ? share.error.fields.map((field) => field.field.split('.')[0]) : []);
  const opportunity = share.data;

  return (
    <section aria-labelledby="share-title" className="operations-section">
      <h3 id="share-title">{messages.shareTitle}</h3>
      <p className="help">{messages.shareIntro}</p>
      <form className="operations-form" onSubmit={submit} noValidate>
        <label htmlFor={ids.partner}>{messages.partnerId}</label>
        <input id={ids.partner} name="partnerId" required value={partnerId} onChange={(e) => setPartnerId(e.target.value)} aria-invalid={refused.has('partnerId') || undefined} />
        <label htmlFor={ids.customer}>{messages.customerName}</label>
        <input id={ids.customer} name="customerName" required value={customerName} onChange={(e) => setCustomerName(e.target.value)} aria-invalid={refused.has('customerName') || undefined} />
        <label htmlFor={ids.title}>{messages.opportunityTitle}</label>
        <input id={ids.title} name="title" required value={title} onChange={(e) => setTitle(e.target.value)} aria-invalid={refused.has('title') || undefined} />
        <label htmlFor={ids.amount}>{messages.amount}</label>
        <div className="amount">
          <input
            id={ids.amount}
            name="amount"
            inputMode="decimal"
            value={amount}
            onChange={(e) => setAmount(e.target.value)}
            aria-invalid={amountInvalid || refused.has('estimatedAmount') || undefined}
            aria-describedby={amountInvalid ? ids.amountHelp : undefined}
          />
          <label htmlFor={ids.currency} className="visually-hidden">
            {messages.currency}
          </label>
          <select id={ids.currency} value={currency} onChange={(e) => setCurrency(e.target.value as (typeof CURRENCIES)[number])}>
            {CURRENCIES.map((code) => (
              <option key={code} value={code}>
                {code}
              </option>
            ))}
          </select>
        </div>
        {amountInvalid && (
          <p id={ids.amountHelp} role="alert" className="problem">
            {messages.amountInvalid}
          </p>
        )}
        <div className="actions">
          <button type="submit" disabled={share.isPending}>
            {share.isPending ? messages.sharing : messages.share}
          </button>
        </div>
      </form>
      <p role="status" className="announcement">
        {opportunity ? messages.shared(opportunity.title, opportunity.partnerId) : ''}
      </p>
      {share.error && <ProblemAlert error={share.error} />}
      {opportunity && (
        <article className="card shared-opportunity" aria-labelledby="shared-title">
          <h4 id="shared-title">{opportunity.title}</h4>
          <dl>
            <dt>{messages.partnerId}</dt>
            <dd>{opportunity.partnerId}</dd>
            <dt>{messages.customerName}</dt>
            <dd>{opportunity.customerName}</dd>
            <dt>{messages.status}</dt>
            <dd className="status" data-status={opportunity.status}>
              {messages.statuses[opportunity.status]}
            </dd>
            <dt>{messages.acceptDeadline}</dt>
            <dd>
              <span className="deadline">{formatInZone(opportunity.acceptDeadline, opportunity.zone, language)}</span>
              {opportunity.deadlineExplanation.provisional && <strong className="provisional-mark"> {messages.provisional}</strong>}
            </dd>
          </dl>
          <Explanation explanation={opportunity.deadlineExplanation} />
        </article>
      )}
    </section>
  );
}

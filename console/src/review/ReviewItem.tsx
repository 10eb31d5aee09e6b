/**
 * One item under review: what is reviewed — the partner, the subject, the terms, the materials with their
 * fingerprints, the history — exactly as the kind's detail route answers it, which is the snapshot the decision is
 * taken on; then the decision in business words. Read again after the decision, the page shows its outcome.
 */
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'wouter';
import { formatInZone, useLanguage, useMessagesOf } from '../i18n';
import { useSession } from '../session';
import type { Outcome } from './DecisionForm';
import { ClaimBar } from './ClaimBar';
import { DecisionForm } from './DecisionForm';
import { DueTime } from './DueTime';
import { KINDS, type ReviewKind, type Snapshot } from './kinds';
import { Materials } from './Materials';
import { REVIEW_MESSAGES } from './messages';
import { STATUS_WORDS, wordFor } from './words';
import { useNow } from '../useNow';

function Facts({ facts }: { facts: Snapshot['subject'] }) {
  const m = useMessagesOf(REVIEW_MESSAGES);
  return (
    <dl className="review-facts">
      {facts.map((fact) => (
        <div key={fact.name}>
          <dt>{m.facts[fact.name]}</dt>
          <dd data-fact={fact.name}>{fact.value}</dd>
        </div>
      ))}
    </dl>
  );
}

function History({ history, zone }: { history: Snapshot['history']; zone: string }) {
  const m = useMessagesOf(REVIEW_MESSAGES);
  const words = useMessagesOf(STATUS_WORDS);
  const { language } = useLanguage();
  return (
    <table className="review-history">
      <thead>
        <tr>
          <th scope="col">{m.historyAt}</th>
          <th scope="col">{m.historyEvent}</th>
          <th scope="col">{m.historyActor}</th>
          <th scope="col">{m.historyNote}</th>
        </tr>
      </thead>
      <tbody>
        {history.map((entry) => (
          <tr key={entry.seq}>
            <td>{formatInZone(entry.at, zone, language)}</td>
            <td>{wordFor(words.events, entry.type)}</td>
            <td>{entry.actor}</td>
            <td>{entry.note ?? ''}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function ReviewItem({ kind, id }: { kind: ReviewKind; id: string }) {
  const m = useMessagesOf(REVIEW_MESSAGES);
  const words = useMessagesOf(STATUS_WORDS);
  const { language } = useLanguage();
  const { api } = useSession();
  const now = useNow(30_000);
  const [outcome, setOutcome] = useState<Outcome>();
  const item = useQuery({ queryKey: ['review-item', kind, id], queryFn: () => KINDS[kind].load(api, id) });
  const snapshot = item.data;
  const subject = snapshot?.subject.map((fact) => fact.value).join(' · ') ?? id;
  return (
    <section aria-labelledby="review-item-title" className="review-item">
      <p>
        <Link href="/">{m.back}</Link>
      </p>
      <h2 id="review-item-title">
        {m.kinds[kind]}: {subject}
      </h2>
      <p role="status" className={outcome?.ok === false ? 'problem' : 'announcement'}>
        {outcome?.text ?? ''}
      </p>
      {item.isPending && <p>{m.loading}</p>}
      {item.isError && (
        <p role="alert" className="problem">
          {m.loadFailed(item.error.message)}
        </p>
      )}
      {snapshot && (
        <>
          <dl className="review-facts">
            <div>
              <dt>{m.partner}</dt>
              <dd data-fact="partner">{snapshot.partnerId}</dd>
            </div>
            <div>
              <dt>{m.status}</dt>
              <dd data-fact="status">{wordFor(words.statuses, snapshot.status)}</dd>
            </div>
            <div>
              <dt>{m.submittedAt}</dt>
              <dd>{snapshot.submittedAt ? formatInZone(snapshot.submittedAt, snapshot.zone, language) : '—'}</dd>
            </div>
            {snapshot.waiting && (
              <div>
                <dt>{m.reviewDue}</dt>
                <dd>
                  <DueTime dueAt={snapshot.reviewDueAt} zone={snapshot.zone} explanation={snapshot.deadlineExplanation} now={now} />
                </dd>
              </div>
            )}
          </dl>
          {snapshot.waiting && <ClaimBar kind={kind} id={id} partnerId={snapshot.partnerId} subject={subject} onOutcome={setOutcome} />}
          <h3>{m.whatIsReviewed}</h3>
          <Facts facts={snapshot.subject} />
          {snapshot.terms.length > 0 && (
            <>
              <h3>{m.terms}</h3>
              <Facts facts={snapshot.terms} />
            </>
          )}
          {snapshot.materials && (
            <>
              <h3>{m.materials}</h3>
              <Materials kind={kind} id={id} materials={snapshot.materials} />
            </>
          )}
          <h3>{m.history}</h3>
          <History history={snapshot.history} zone={snapshot.zone} />
          {snapshot.decisionNote && (
            <p>
              {m.decisionNote}: {snapshot.decisionNote}
            </p>
          )}
          {snapshot.certificate && <p className="certificate">{m.certificate(snapshot.certificate.number, snapshot.certificate.validTo)}</p>}
          <h3>{m.decision}</h3>
          <p className="help">{m.snapshotNote}</p>
          {snapshot.waiting ? <DecisionForm kind={kind} id={id} onOutcome={setOutcome} /> : <p>{m.notWaiting(wordFor(words.statuses, snapshot.status))}</p>}
        </>
      )}
    </section>
  );
}

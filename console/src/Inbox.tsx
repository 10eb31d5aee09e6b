/**
 * The partner inbox: what waits for this partner, soonest deadline first. This landing holds the opportunities to
 * accept; incentives, supplements and agreements join it as their landings come (docs/console.md).
 */
import { useQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { type BulkAction, problemText } from './api/client';
import { BulkJob } from './BulkJob';
import { BulkToolbar, type Submission } from './BulkToolbar';
import { useLanguage } from './i18n';
import { OpportunityCard } from './OpportunityCard';
import { useSession } from './session';

/** The current time, renewed every `everyMs`, so that countdowns move while the page stays open. */
function useNow(everyMs: number): Date {
  const [now, setNow] = useState(() => new Date());
  useEffect(() => {
    const timer = setInterval(() => setNow(new Date()), everyMs);
    return () => clearInterval(timer);
  }, [everyMs]);
  return now;
}

export function Inbox() {
  const { messages } = useLanguage();
  const { api } = useSession();
  const now = useNow(30_000);
  const [announcement, setAnnouncement] = useState('');
  // The ids the partner ticked; only those still listed count (one decided elsewhere leaves the list and the selection).
  const [selected, setSelected] = useState<ReadonlySet<string>>(() => new Set());
  const [bulk, setBulk] = useState<{ job: BulkAction; submission: Submission }>();
  // One page of 100 (the API's largest): the pending ones are few, since each expires within 3 working days.
  const pending = useQuery({
    queryKey: ['opportunities', 'PENDING_ACCEPTANCE'],
    queryFn: async () => {
      const { data, error, response } = await api.GET('/v1/opportunities', { params: { query: { status: 'PENDING_ACCEPTANCE', limit: 100 } } });
      if (!data) throw new Error(problemText(error, response.status));
      // Soonest deadline first; equal deadlines (shared on the same rest day) in the order they were shared.
      return [...data.items].sort((a, b) => Date.parse(a.acceptDeadline) - Date.parse(b.acceptDeadline) || Date.parse(a.sharedAt) - Date.parse(b.sharedAt));
    },
    refetchInterval: 60_000,
  });

  const listed = pending.data ?? [];
  const chosen = listed.filter((summary) => selected.has(summary.id));
  const choose = (id: string, on: boolean) =>
    setSelected((current) => {
      const next = new Set(current);
      if (on) next.add(id);
      else next.delete(id);
      return next;
    });

  return (
    <section aria-labelledby="inbox-title">
      <h2 id="inbox-title">{messages.inboxTitle}</h2>
      <p className="help">{messages.inboxIntro}</p>
      <p role="status" className="announcement">
        {announcement}
      </p>
      {bulk && <BulkJob key={bulk.job.id} submitted={bulk.job} submission={bulk.submission} onDismiss={() => setBulk(undefined)} />}
      <h3>{messages.opportunitiesTitle}</h3>
      {pending.isPending && <p>{messages.loading}</p>}
      {pending.isError && (
        <p role="alert" className="problem">
          {pending.error.message}
        </p>
      )}
      {pending.data?.length === 0 && <p>{messages.empty}</p>}
      {listed.length > 0 && (
        <BulkToolbar
          items={listed}
          selected={chosen}
          onSelectAll={(all) => setSelected(new Set(all ? listed.map((summary) => summary.id) : []))}
          onSubmitted={(job, submission) => {
            setSelected(new Set());
            setBulk({ job, submission });
          }}
        />
      )}
      {pending.data && pending.data.length > 0 && (
        <ul className="inbox" aria-label={messages.opportunitiesTitle}>
          {pending.data.map((summary) => (
            <li key={summary.id}>
              <OpportunityCard summary={summary} now={now} onDone={setAnnouncement} selected={selected.has(summary.id)} onSelect={(on) => choose(summary.id, on)} />
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

/**
 * Webhook deliveries: the endpoints (a vendor reads every partner's and its own, GET /v1/webhooks), an endpoint's
 * deliveries newest first with their attempts and last error, and redeliver (POST …/redeliver, vendor admins:
 * webhook.manage). A redelivered row is read again every second until it settles, and its new outcome is announced.
 */
import { useInfiniteQuery, useMutation, useQuery } from '@tanstack/react-query';
import { useEffect, useId, useState } from 'react';
import { formatInZone, useLanguage, useMessagesOf } from '../i18n';
import { useSession } from '../session';
import { OPERATIONS_MESSAGES } from './messages';
import { may } from './permissions';
import { useMe } from '../me';
import { dataOr, ProblemAlert } from './ProblemAlert';
import type { WebhookDelivery } from './types';

/** The vendor's zone, in which the delivery instants are shown. */
const VENDOR_ZONE = 'Asia/Shanghai';

export function WebhookDeliveries() {
  const messages = useMessagesOf(OPERATIONS_MESSAGES);
  const { language } = useLanguage();
  const { api } = useSession();
  const me = useMe().data;
  const endpointId = useId();
  const [chosen, setChosen] = useState<string>();
  const [watching, setWatching] = useState<WebhookDelivery>();
  const [announcement, setAnnouncement] = useState('');
  const canRedeliver = may(me, 'webhook.manage');

  const endpoints = useQuery({ queryKey: ['webhook-endpoints'], queryFn: async () => dataOr(await api.GET('/v1/webhooks', { params: { query: { limit: 100 } } })).items });
  const endpoint = endpoints.data?.find((e) => e.id === chosen) ?? endpoints.data?.[0];
  const deliveries = useInfiniteQuery({
    queryKey: ['webhook-deliveries', endpoint?.id],
    enabled: !!endpoint,
    initialPageParam: undefined as string | undefined,
    queryFn: async ({ pageParam }) =>
      dataOr(await api.GET('/v1/webhooks/{id}/deliveries', { params: { path: { id: endpoint!.id }, query: { limit: 20, ...(pageParam ? { cursor: pageParam } : {}) } } })),
    getNextPageParam: (page) => page.nextCursor ?? undefined,
    // While a delivery is being attempted, or a redelivery was asked whose new run the store may not show yet, the rows
    // are read again every second until it settles.
    refetchInterval: (query) => (watching || query.state.data?.pages.some((page) => page.items.some((d) => d.status === 'PENDING')) ? 1000 : false),
  });
  const rows = deliveries.data?.pages.flatMap((page) => page.items) ?? [];

  const redeliver = useMutation({
    mutationFn: async (delivery: WebhookDelivery) =>
      dataOr(await api.POST('/v1/webhooks/{id}/deliveries/{deliveryId}/redeliver', { params: { path: { id: delivery.endpointId, deliveryId: delivery.id } } })),
    onMutate: (delivery) => setAnnouncement(messages.redelivering(delivery.eventType)),
    onSuccess: (delivery) => {
      setWatching(delivery);
      void deliveries.refetch();
    },
    onError: () => setAnnouncement(''),
  });

  // The redelivered row's new outcome, once it has one.
  const watched = watching && rows.find((row) => row.id === watching.id);
  useEffect(() => {
    if (!watching || !watched || watched.status === 'PENDING' || watched.runs < watching.runs) return;
    setAnnouncement(
      watched.status === 'DELIVERED' ? messages.redelivered(watched.eventType) : messages.redeliveredDead(watched.eventType, watched.lastError ?? `HTTP ${watched.lastResponseStatus ?? '?'}`),
    );
    setWatching(undefined);
  }, [watching, watched, messages]);

  const at = (instant: string | null) => (instant ? formatInZone(instant, VENDOR_ZONE, language) : messages.none);

  return (
    <section aria-labelledby="webhooks-title" className="operations-section">
      <h3 id="webhooks-title">{messages.webhooksTitle}</h3>
      {endpoints.error && <ProblemAlert error={endpoints.error} />}
      {endpoints.isPending && <p>{messages.loading}</p>}
      {endpoints.data?.length === 0 && <p>{messages.noEndpoints}</p>}
      {endpoint && endpoints.data && (
        <div className="operations-form inline">
          <label htmlFor={endpointId}>{messages.endpoint}</label>
          <select id={endpointId} value={endpoint.id} onChange={(e) => setChosen(e.target.value)}>
            {endpoints.data.map((e) => (
              <option key={e.id} value={e.id}>
                {messages.endpointOption(e.url, e.partnerId, e.active)}
              </option>
            ))}
          </select>
        </div>
      )}
      {!canRedeliver && endpoint && <p className="help">{messages.redeliverNotAllowed}</p>}
      <p role="status" className="announcement">
        {announcement}
      </p>
      {redeliver.error && <ProblemAlert error={redeliver.error} />}
      {deliveries.error && <ProblemAlert error={deliveries.error} />}
      {endpoint && deliveries.data && rows.length === 0 && <p>{messages.noDeliveries}</p>}
      {endpoint && rows.length > 0 && (
        <div className="table-scroll">
          <table className="deliveries">
            <caption>{messages.deliveriesCaption(endpoint.url)}</caption>
            <thead>
              <tr>
                <th scope="col">{messages.event}</th>
                <th scope="col">{messages.status}</th>
                <th scope="col">{messages.attempts}</th>
                <th scope="col">{messages.runs}</th>
                <th scope="col">{messages.lastResponse}</th>
                <th scope="col">{messages.lastError}</th>
                <th scope="col">{messages.lastAttemptAt}</th>
                <th scope="col">{messages.deliveredAt}</th>
                {canRedeliver && <th scope="col">{messages.action}</th>}
              </tr>
            </thead>
            <tbody>
              {rows.map((delivery) => (
                <tr key={delivery.id} data-delivery={delivery.id} data-status={delivery.status}>
                  <th scope="row">
                    {delivery.eventType}
                    <br />
                    <code className="event-id">{delivery.eventId}</code>
                  </th>
                  <td className={`delivery-status status-${delivery.status}`}>{messages.deliveryStatuses[delivery.status]}</td>
                  <td className="attempts">{delivery.attempts}</td>
                  <td className="runs">{delivery.runs}</td>
                  <td className="last-response">{delivery.lastResponseStatus ?? messages.none}</td>
                  <td className="last-error">{delivery.lastError ?? messages.none}</td>
                  <td>{at(delivery.lastAttemptAt)}</td>
                  <td className="delivered-at">{at(delivery.deliveredAt)}</td>
                  {canRedeliver && (
                    <td>
                      {delivery.status !== 'PENDING' && (
                        <button type="button" className="secondary" onClick={() => redeliver.mutate(delivery)} disabled={redeliver.isPending} aria-label={messages.redeliverLabel(delivery.eventId)}>
                          {messages.redeliver}
                        </button>
                      )}
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {deliveries.hasNextPage && (
        <button type="button" className="secondary" onClick={() => void deliveries.fetchNextPage()} disabled={deliveries.isFetchingNextPage}>
          {messages.more}
        </button>
      )}
    </section>
  );
}

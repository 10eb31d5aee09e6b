/**
 * The reviewer queue's pages under /console/reviews (App.tsx nests them): the queue itself, and an item's page at
 * /<kind>/<id> — what is reviewed and the decision.
 */
import { Route, Switch } from 'wouter';
import { useMessagesOf } from '../i18n';
import { isReviewKind } from './kinds';
import { REVIEW_MESSAGES } from './messages';
import { QueueList } from './QueueList';
import { ReviewItem } from './ReviewItem';
import './review.css';

function NotFound() {
  const m = useMessagesOf(REVIEW_MESSAGES);
  return (
    <p role="alert" className="problem">
      {m.notFound}
    </p>
  );
}

export function ReviewQueue() {
  return (
    <Switch>
      <Route path="/:kind/:id">{(params) => (isReviewKind(params.kind) ? <ReviewItem key={`${params.kind}/${params.id}`} kind={params.kind} id={params.id} /> : <NotFound />)}</Route>
      <Route path="/">
        <QueueList />
      </Route>
      <Route>
        <NotFound />
      </Route>
    </Switch>
  );
}

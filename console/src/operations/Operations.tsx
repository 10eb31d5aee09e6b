/**
 * The vendor's operations page (/console/operations): share an opportunity, a year of a business calendar, the
 * progress of incentive runs and path-review cycles, webhook deliveries with redeliver. Each section is a sub-page
 * (paths relative to /operations); a section the caller's roles cannot act in says so (permissions.ts).
 */
import { Redirect, Route, Switch } from 'wouter';
import { NavLink } from '../NavLink';
import { useMessagesOf } from '../i18n';
import { CalendarYear } from './CalendarYear';
import { IncentiveRunProgress } from './IncentiveRunProgress';
import { OPERATIONS_MESSAGES } from './messages';
import './operations.css';
import { PathReviewProgress } from './PathReviewProgress';
import { ShareOpportunity } from './ShareOpportunity';
import { WebhookDeliveries } from './WebhookDeliveries';

const SECTIONS = ['/share', '/calendars', '/progress', '/webhooks'] as const;
type Section = (typeof SECTIONS)[number];

function Progress() {
  const messages = useMessagesOf(OPERATIONS_MESSAGES);
  return (
    <section aria-labelledby="progress-title" className="operations-section">
      <h3 id="progress-title">{messages.progressTitle}</h3>
      <IncentiveRunProgress />
      <PathReviewProgress />
    </section>
  );
}

export function Operations() {
  const messages = useMessagesOf(OPERATIONS_MESSAGES);
  const label: Record<Section, string> = {
    '/share': messages.shareNav,
    '/calendars': messages.calendarsNav,
    '/progress': messages.progressNav,
    '/webhooks': messages.webhooksNav,
  };
  return (
    <section aria-labelledby="operations-title" className="operations">
      <h2 id="operations-title">{messages.title}</h2>
      <p className="help">{messages.intro}</p>
      <nav aria-label={messages.sections} className="operations-nav">
        {SECTIONS.map((path) => (
          <NavLink key={path} path={path} label={label[path]} />
        ))}
      </nav>
      <Switch>
        <Route path="/share" component={ShareOpportunity} />
        <Route path="/calendars/:name/:year" component={CalendarYear} />
        <Route path="/calendars/:name" component={CalendarYear} />
        <Route path="/calendars" component={CalendarYear} />
        <Route path="/progress" component={Progress} />
        <Route path="/webhooks" component={WebhookDeliveries} />
        <Route>
          <Redirect to="/share" replace />
        </Route>
      </Switch>
    </section>
  );
}

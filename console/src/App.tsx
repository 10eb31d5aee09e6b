/**
 * The console's frame: the header (who, language, sign-out), the pages the caller's roles have (views.ts) as a
 * navigation, and the page of the current path under /console — or the sign-in page.
 */
import { Redirect, Route, Router, Switch } from 'wouter';
import { Inbox } from './Inbox';
import { NavLink } from './NavLink';
import { LANGUAGES, type Language, useLanguage } from './i18n';
import { Operations } from './operations/Operations';
import { ReviewQueue } from './review/ReviewQueue';
import { useSession } from './session';
import { SignIn } from './SignIn';
import { useViews, type View, VIEW_PATHS } from './views';

const LANGUAGE_NAMES: Record<Language, string> = { 'zh-CN': '中文', en: 'English' };

function LanguageSwitch() {
  const { language, setLanguage, messages } = useLanguage();
  return (
    <div role="group" aria-label={messages.languageSwitch} className="language-switch">
      {LANGUAGES.map((option) => (
        <button key={option} type="button" lang={option} aria-pressed={option === language} onClick={() => setLanguage(option)}>
          {LANGUAGE_NAMES[option]}
        </button>
      ))}
    </div>
  );
}

const PAGES: Record<View, () => React.JSX.Element> = { inbox: Inbox, reviews: ReviewQueue, operations: Operations };

function Pages() {
  const { messages } = useLanguage();
  const { views, error } = useViews();
  const label: Record<View, string> = { inbox: messages.inboxNav, reviews: messages.reviewsNav, operations: messages.operationsNav };
  if (error) return <p role="alert">{error.message}</p>;
  if (!views) return <p role="status">{messages.loading}</p>;
  if (views.length === 0) return <p role="alert">{messages.nothingForRole}</p>;
  return (
    <>
      {views.length > 1 && (
        <nav aria-label={messages.nav} className="views">
          {views.map((view) => (
            <NavLink key={view} path={VIEW_PATHS[view]} label={label[view]} />
          ))}
        </nav>
      )}
      <Switch>
        {views.map((view) => (
          <Route key={view} path={VIEW_PATHS[view]} nest component={PAGES[view]} />
        ))}
        <Route path="/">
          <Redirect to={VIEW_PATHS[views[0]!]} replace />
        </Route>
        <Route>
          <p role="alert">{messages.notFoundPage}</p>
        </Route>
      </Switch>
    </>
  );
}

export function App() {
  const { messages } = useLanguage();
  const { claims, signOut } = useSession();
  return (
    <Router base="/console">
      <header className="top">
        <h1>{messages.appName}</h1>
        <div className="top-tools">
          {claims && <span>{messages.signedInAs(claims.partnerId ? `${claims.sub} · ${claims.partnerId}` : claims.sub)}</span>}
          <LanguageSwitch />
          {claims && (
            <button type="button" className="secondary" onClick={signOut}>
              {messages.signOut}
            </button>
          )}
        </div>
      </header>
      <main>{!claims ? <SignIn /> : <Pages />}</main>
    </Router>
  );
}

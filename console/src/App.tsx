/** The console's frame: the header (who, language, sign-out) and either the sign-in page or the inbox. */
import { Inbox } from './Inbox';
import { LANGUAGES, type Language, useLanguage } from './i18n';
import { useSession } from './session';
import { SignIn } from './SignIn';

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

export function App() {
  const { messages } = useLanguage();
  const { claims, signOut } = useSession();
  return (
    <>
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
      <main>
        {!claims ? (
          <SignIn />
        ) : claims.partnerId ? (
          <Inbox />
        ) : (
          // The vendor's views (reviewer queue, operations) are later landings of the console; its inbox is a partner's.
          <p role="alert">{messages.partnersOnly}</p>
        )}
      </main>
    </>
  );
}

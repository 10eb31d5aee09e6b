/**
 * The sign-in page, as the API says the console signs in (session.tsx): single sign-on with the identity provider in
 * production — one button, the provider's own page does the rest — or, in development, a token from `npm run token`.
 * How the last session ended (refused, expired, signed out locally, a failed sign-on) is announced on it.
 */
import { type FormEvent, useId, useState } from 'react';
import { authMessages } from './auth/messages';
import './auth/sign-in.css';
import { useLanguage, useMessagesOf } from './i18n';
import { claimsOf, type SessionEnd, useSession } from './session';

function EndedNotice({ ended }: { ended: SessionEnd | undefined }) {
  const { messages } = useLanguage();
  const words = useMessagesOf(authMessages);
  if (!ended) return null;
  const text =
    ended.reason === 'failed'
      ? words.failed(ended.detail)
      : ended.reason === 'refused'
        ? messages.tokenRefused
        : ended.reason === 'signedOutLocally'
          ? words.signedOutLocally
          : words[ended.reason];
  // Signing out is an outcome the person asked for (a status); every other end is news they did not expect (an alert).
  return ended.reason === 'signedOutLocally' ? (
    <p role="status">{text}</p>
  ) : (
    <p role="alert" className="problem">
      {text}
    </p>
  );
}

function TokenForm() {
  const { messages } = useLanguage();
  const { signIn, ended } = useSession();
  const [token, setToken] = useState('');
  const [malformed, setMalformed] = useState(false);
  const fieldId = useId();
  const helpId = useId();

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const trimmed = token.trim();
    if (!claimsOf(trimmed)) return setMalformed(true);
    setMalformed(false);
    signIn(trimmed);
  };

  return (
    <form onSubmit={submit}>
      <label htmlFor={fieldId}>{messages.tokenLabel}</label>
      <p id={helpId} className="help">
        {messages.signInHelp}
      </p>
      <textarea id={fieldId} aria-describedby={helpId} value={token} onChange={(e) => setToken(e.target.value)} rows={4} spellCheck={false} required />
      {malformed ? (
        <p role="alert" className="problem">
          {messages.tokenMalformed}
        </p>
      ) : (
        <EndedNotice ended={ended} />
      )}
      <button type="submit">{messages.signIn}</button>
    </form>
  );
}

function SingleSignOn() {
  const words = useMessagesOf(authMessages);
  const { signInWithProvider, ended } = useSession();
  const helpId = useId();
  return (
    <div className="sso">
      <p id={helpId} className="help">
        {words.ssoHelp}
      </p>
      <EndedNotice ended={ended} />
      <button type="button" aria-describedby={helpId} onClick={signInWithProvider}>
        {words.ssoButton}
      </button>
    </div>
  );
}

export function SignIn() {
  const { messages } = useLanguage();
  const words = useMessagesOf(authMessages);
  const { method, completing } = useSession();
  return (
    <section className="sign-in" aria-labelledby="sign-in-title">
      <h2 id="sign-in-title">{messages.signInTitle}</h2>
      {completing || method === 'loading' ? (
        <p role="status">{completing ? words.completing : words.loading}</p>
      ) : method === 'oidc' ? (
        <SingleSignOn />
      ) : method === 'token' ? (
        <TokenForm />
      ) : (
        <p role="alert" className="problem">
          {words.configFailed}
        </p>
      )}
    </section>
  );
}

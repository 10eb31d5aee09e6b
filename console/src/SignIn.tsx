/** The development sign-in page: a token from `npm run token`. Production sign-in (OpenID Connect) is not built yet. */
import { type FormEvent, useId, useState } from 'react';
import { useLanguage } from './i18n';
import { claimsOf, useSession } from './session';

export function SignIn() {
  const { messages } = useLanguage();
  const { signIn, refused } = useSession();
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
    <section className="sign-in" aria-labelledby="sign-in-title">
      <h2 id="sign-in-title">{messages.signInTitle}</h2>
      <form onSubmit={submit}>
        <label htmlFor={fieldId}>{messages.tokenLabel}</label>
        <p id={helpId} className="help">
          {messages.signInHelp}
        </p>
        <textarea id={fieldId} aria-describedby={helpId} value={token} onChange={(e) => setToken(e.target.value)} rows={4} spellCheck={false} required />
        {(malformed || refused) && (
          <p role="alert" className="problem">
            {malformed ? messages.tokenMalformed : messages.tokenRefused}
          </p>
        )}
        <button type="submit">{messages.signIn}</button>
      </form>
    </section>
  );
}

/** The console's entry: language first (the session asks the API in it), then the session, then the page. */
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { LanguageProvider } from './i18n';
import { SessionProvider } from './session';
import './styles.css';

// A refused action is shown where it happened; reads retry once (the API answers 503 briefly during outages).
const queryClient = new QueryClient({ defaultOptions: { queries: { retry: 1, staleTime: 10_000 } } });

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <LanguageProvider>
      <SessionProvider>
        <QueryClientProvider client={queryClient}>
          <App />
        </QueryClientProvider>
      </SessionProvider>
    </LanguageProvider>
  </StrictMode>,
);

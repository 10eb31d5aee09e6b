/**
 * CORS for the codec endpoint alone: the Temporal Web UI calls it from the browser, from its own origin, with an
 * Authorization header and a JSON body — so the browser first asks (a preflight OPTIONS, which carries no token). Only
 * the origins in CODEC_ALLOWED_ORIGINS are answered; no other route of the API is readable cross-origin.
 */
import type { RequestHandler } from 'express';
import { Problem } from '../../domain/problems.js';
import { CODEC_PATH } from './routes.js';

const ALLOWED_HEADERS = 'Authorization, Content-Type, X-Namespace';
const PREFLIGHT_MAX_AGE_SECONDS = 600;

export function codecCors(allowedOrigins: readonly string[]): RequestHandler {
  const allowed = new Set(allowedOrigins);
  return (req, res, next) => {
    if (!req.path.startsWith(`${CODEC_PATH}/`)) return next();
    const origin = req.get('origin');
    const preflight = req.method === 'OPTIONS' && req.get('access-control-request-method') !== undefined;
    if (origin !== undefined) res.vary('Origin');
    if (origin === undefined || !allowed.has(origin)) {
      if (!preflight) return next(); // a server-side caller, or a browser the answer will not be shown to
      // Answered here, as the allowed preflight is: a preflight is no request of any route.
      const problem = new Problem(403, 'origin-not-allowed', 'Not allowed', `The codec endpoint answers browsers only from the origins in CODEC_ALLOWED_ORIGINS; ${origin ?? 'no origin'} is not one of them.`, [
        { field: 'Origin', message: 'not in CODEC_ALLOWED_ORIGINS' },
      ]);
      res.status(403).type('application/problem+json').json({ ...problem.toBody(), instance: req.originalUrl, ...(req.id !== undefined ? { requestId: String(req.id) } : {}) });
      return;
    }
    res.set({ 'Access-Control-Allow-Origin': origin, 'Access-Control-Allow-Credentials': 'true' });
    if (!preflight) return next();
    res.set({
      'Access-Control-Allow-Methods': 'POST',
      'Access-Control-Allow-Headers': ALLOWED_HEADERS,
      'Access-Control-Max-Age': String(PREFLIGHT_MAX_AGE_SECONDS),
    });
    res.status(204).end();
  };
}

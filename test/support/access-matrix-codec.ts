/**
 * The access-matrix entries of the codec endpoint (issue 19 section 3): the Web UI's decode and encode, which only
 * `payload.decode` (vendor_operator) may call. The matrix's app runs without PAYLOAD_CODEC_KEYS, so both answer the
 * payload as it came (a payload that is not encrypted passes through) — what matters here is who is answered at all;
 * test/payload-codec.api.test.ts decodes real encrypted histories.
 */
import type { MatrixTable } from './access-matrix.js';

const payload = () => ({
  payloads: [{ metadata: { encoding: Buffer.from('json/plain').toString('base64') }, data: Buffer.from(JSON.stringify({ matrix: true })).toString('base64') }],
});

export function codecEntries(): MatrixTable {
  return {
    'POST /v1/codec/decode': { success: 200, partnerOwned: false, request: () => ({ body: payload(), headers: { 'X-Namespace': 'default' } }) },
    'POST /v1/codec/encode': { success: 200, partnerOwned: false, request: () => ({ body: payload(), headers: { 'X-Namespace': 'default' } }) },
  };
}

/**
 * The reason and the note of a rejection (one opportunity's, or the selected ones'): the same fields, labels and
 * limits wherever the partner rejects.
 */
import { useId } from 'react';
import { REJECT_REASONS, type RejectReason } from './api/client';
import { useLanguage } from './i18n';

export function RejectFields(p: { reasonCode: RejectReason; onReasonCode: (reason: RejectReason) => void; note: string; onNote: (note: string) => void }) {
  const { messages } = useLanguage();
  const reasonId = useId();
  const noteId = useId();
  return (
    <>
      <label htmlFor={reasonId}>{messages.rejectReason}</label>
      <select id={reasonId} value={p.reasonCode} onChange={(e) => p.onReasonCode(e.target.value as RejectReason)}>
        {REJECT_REASONS.map((reason) => (
          <option key={reason} value={reason}>
            {messages.rejectReasons[reason]}
          </option>
        ))}
      </select>
      <label htmlFor={noteId}>{messages.rejectNote}</label>
      <textarea id={noteId} value={p.note} onChange={(e) => p.onNote(e.target.value)} rows={2} maxLength={2000} />
    </>
  );
}

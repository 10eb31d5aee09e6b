/**
 * The materials under review: each kind the review requires and the file set for it — name, type, size and SHA-256,
 * the fingerprint the reviewer can compare with the partner's copy — and a download that sends the bearer token (a
 * plain link could not: the API wants the token in a header, so the bytes are fetched and saved from memory).
 */
import { useState } from 'react';
import { useMessagesOf } from '../i18n';
import { useSession } from '../session';
import { KINDS, type ReviewKind, type Snapshot } from './kinds';
import { REVIEW_MESSAGES } from './messages';

type Row = NonNullable<Snapshot['materials']>[number];

function Download({ kind, id, material }: { kind: ReviewKind; id: string; material: NonNullable<Row['material']> }) {
  const m = useMessagesOf(REVIEW_MESSAGES);
  const { api } = useSession();
  const [problem, setProblem] = useState('');
  const download = KINDS[kind].download;
  if (!download) return null;
  const save = async () => {
    setProblem('');
    try {
      const blob = await download(api, id, material.id);
      const url = URL.createObjectURL(blob);
      const link = document.createElement('a');
      link.href = url;
      link.download = material.fileName;
      link.click();
      // The click has handed the bytes to the browser's download; the URL is no longer needed.
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (error) {
      setProblem(m.refused((error as Error).message));
    }
  };
  return (
    <>
      <button type="button" className="secondary" onClick={() => void save()}>
        {m.download(material.fileName)}
      </button>
      {problem && (
        <span role="alert" className="problem">
          {problem}
        </span>
      )}
    </>
  );
}

export function Materials({ kind, id, materials }: { kind: ReviewKind; id: string; materials: readonly Row[] }) {
  const m = useMessagesOf(REVIEW_MESSAGES);
  if (materials.length === 0) return <p>{m.noMaterials}</p>;
  return (
    <table className="review-materials">
      <thead>
        <tr>
          <th scope="col">{m.materialKind}</th>
          <th scope="col">{m.fileName}</th>
          <th scope="col">{m.size}</th>
          <th scope="col">{m.sha256}</th>
          <th scope="col">{m.downloadColumn}</th>
        </tr>
      </thead>
      <tbody>
        {materials.map((row) => (
          <tr key={row.kind} data-kind={row.kind}>
            <th scope="row">{row.name ? `${row.name} (${row.kind})` : row.kind}</th>
            {row.material ? (
              <>
                <td className="file-name">
                  {row.material.fileName} <span className="help">{row.material.contentType}</span>
                </td>
                <td>{m.bytes(row.material.size)}</td>
                <td>
                  <code className="sha256">{row.material.sha256}</code>
                </td>
                <td>
                  <Download kind={kind} id={id} material={row.material} />
                </td>
              </>
            ) : (
              <td colSpan={4}>{m.notSet}</td>
            )}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

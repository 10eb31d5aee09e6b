/**
 * A file field per material kind an application takes, each saying which file is set for it now: the partner picks
 * the new ones, and the card uploads them and sets each as its kind's material (the reviewed-application kit's steps).
 */
type Kind = { kind: string; name: string; current: string | null };

type Props = {
  idPrefix: string;
  kinds: readonly Kind[];
  /** The field's label for a kind's name. */
  label: (name: string) => string;
  current: (fileName: string | null) => string;
  onChange: (kind: string, file: File | undefined) => void;
};

export function MaterialFields({ idPrefix, kinds, label, current, onChange }: Props) {
  return kinds.map(({ kind, name, current: fileName }) => (
    <div key={kind} className="material-kind">
      <label htmlFor={`${idPrefix}-${kind}`}>{label(name)}</label>
      <input
        id={`${idPrefix}-${kind}`}
        type="file"
        accept="application/pdf,image/png,image/jpeg"
        aria-describedby={`${idPrefix}-${kind}-current`}
        onChange={(e) => onChange(kind, e.target.files?.[0])}
      />
      <p id={`${idPrefix}-${kind}-current`} className="help">
        {current(fileName)}
      </p>
    </div>
  ));
}

/** The chosen files by kind, one each: a new pick replaces the kind's file, an emptied field removes it. */
export function withFile(chosen: Readonly<Record<string, File>>, kind: string, file: File | undefined): Record<string, File> {
  const next = { ...chosen };
  if (file) next[kind] = file;
  else delete next[kind];
  return next;
}

// Regenerates domain/calendar-data/CN.json from the data shipped in the installed `chinese-days`
// package, so the calendar is reproducible from a pinned dependency rather than typed by hand.
// Usage: npx tsx scripts/snapshot-calendar.ts
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const pkgDir = dirname(require.resolve('chinese-days/package.json'));
const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as { version: string };

// chinese-days.json: { holidays, workdays, inLieuDays }, each "YYYY-MM-DD" -> "English,中文,days".
// `workdays` are the make-up working days; `inLieuDays` are already contained in `holidays`.
type Raw = { holidays: Record<string, string>; workdays: Record<string, string> };
const raw = JSON.parse(readFileSync(join(pkgDir, 'dist', 'chinese-days.json'), 'utf8')) as Raw;

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
function label(value: string): string {
  const [en, zh] = value.split(',').map((s) => s.trim());
  const name = en || zh;
  if (!name) throw new Error(`chinese-days: cannot parse name from ${JSON.stringify(value)}`);
  return name;
}

// A year counts as covered only if the dataset has holidays in it; take the latest contiguous run
// so a gap in old data can never make the calendar silently treat a year as "no holidays".
const yearsWithData = [...new Set(Object.keys(raw.holidays).map((d) => Number(d.slice(0, 4))))].sort((a, b) => a - b);
const latest = yearsWithData.at(-1);
if (latest === undefined) throw new Error('chinese-days: no holiday data found');
const last: number = latest;
let first = last;
while (yearsWithData.includes(first - 1)) first--;

function pick(src: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const date of Object.keys(src).sort()) {
    if (!ISO_DATE.test(date)) throw new Error(`chinese-days: unexpected date key ${date}`);
    const year = Number(date.slice(0, 4));
    if (year >= first && year <= last) out[date] = label(src[date]!);
  }
  return out;
}

const holidays = pick(raw.holidays);
const makeupWorkdays = pick(raw.workdays);
const clash = Object.keys(makeupWorkdays).filter((d) => d in holidays);
if (clash.length) throw new Error(`chinese-days: dates both holiday and make-up day: ${clash.join(', ')}`);

const out = {
  name: 'CN',
  zone: 'Asia/Shanghai',
  restWeekdays: [6, 7],
  source: `chinese-days@${pkg.version}`,
  years: [first, last],
  holidays,
  makeupWorkdays,
};
const target = join(dirname(fileURLToPath(import.meta.url)), '..', 'domain', 'calendar-data', 'CN.json');
mkdirSync(dirname(target), { recursive: true });
writeFileSync(target, JSON.stringify(out, null, 2) + '\n');
console.log(
  `wrote ${target}: years ${first}-${last}, ${Object.keys(holidays).length} holidays, ` +
    `${Object.keys(makeupWorkdays).length} make-up workdays (${out.source})`,
);

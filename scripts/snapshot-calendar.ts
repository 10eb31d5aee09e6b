// `npm run calendar:snapshot [-- --dataset <chinese-days.json>] [--first-year 2025] [--out .data/CN.put.json]`
//
// 1. Regenerates domain/calendar-data/CN.json from the data shipped in the installed `chinese-days` package, so the
//    calendar is reproducible from a pinned dependency rather than typed by hand.
// 2. Writes the body of `PUT /v1/calendars/CN` that loads every year of the dataset from --first-year on (default
//    2025, the first year the database was seeded with) with CN's statutory rules for the years after — so adding a
//    newly published year is `npm install chinese-days@<version with it>`, this command, and one PUT (docs/calendar.md
//    "Provisional deadlines"). --dataset reads another chinese-days.json (a test fixture, or a file from a newer version).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: { dataset: { type: 'string' }, 'first-year': { type: 'string', default: '2025' }, out: { type: 'string' }, 'no-snapshot': { type: 'boolean', default: false } },
});
const root = join(dirname(fileURLToPath(import.meta.url)), '..');

const require = createRequire(import.meta.url);
const pkgDir = dirname(require.resolve('chinese-days/package.json'));
const datasetPath = values.dataset ? resolve(values.dataset) : join(pkgDir, 'dist', 'chinese-days.json');
const source = values.dataset ? `file ${values.dataset}` : `chinese-days@${(JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as { version: string }).version}`;

// chinese-days.json: { holidays, workdays, inLieuDays }, each "YYYY-MM-DD" -> "English,中文,days".
// `workdays` are the make-up working days; `inLieuDays` are already contained in `holidays`.
type Raw = { holidays: Record<string, string>; workdays: Record<string, string> };
const raw = JSON.parse(readFileSync(datasetPath, 'utf8')) as Raw;

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

function pick(src: Record<string, string>, from = first): Record<string, string> {
  const out: Record<string, string> = {};
  for (const date of Object.keys(src).sort()) {
    if (!ISO_DATE.test(date)) throw new Error(`chinese-days: unexpected date key ${date}`);
    const year = Number(date.slice(0, 4));
    if (year >= from && year <= last) out[date] = label(src[date]!);
  }
  return out;
}

const holidays = pick(raw.holidays);
const makeupWorkdays = pick(raw.workdays);
const clash = Object.keys(makeupWorkdays).filter((d) => d in holidays);
if (clash.length) throw new Error(`chinese-days: dates both holiday and make-up day: ${clash.join(', ')}`);

if (!values['no-snapshot']) {
  const out = { name: 'CN', zone: 'Asia/Shanghai', restWeekdays: [6, 7], source, years: [first, last], holidays, makeupWorkdays };
  const target = join(root, 'domain', 'calendar-data', 'CN.json');
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, JSON.stringify(out, null, 2) + '\n');
  console.log(`wrote ${target}: years ${first}-${last}, ${Object.keys(holidays).length} holidays, ${Object.keys(makeupWorkdays).length} make-up workdays (${source})`);
}

/** Consecutive days of one holiday name folded into ranges, the shape the API takes. */
function ranges(days: Record<string, string>): { from: string; to: string; name: string }[] {
  const folded: { from: string; to: string; name: string }[] = [];
  for (const [date, name] of Object.entries(days)) {
    const previous = folded.at(-1);
    const dayAfter = previous && new Date(Date.parse(`${previous.to}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
    if (previous && previous.name === name && dayAfter === date) previous.to = date;
    else folded.push({ from: date, to: date, name });
  }
  return folded;
}

const firstYear = Number(values['first-year']);
if (!Number.isInteger(firstYear) || firstYear < first || firstYear > last) throw new Error(`--first-year must be a year from ${first} to ${last}`);
const body = {
  zone: 'Asia/Shanghai',
  restWeekdays: [6, 7],
  years: { first: firstYear, last },
  holidays: ranges(pick(raw.holidays, firstYear)),
  makeupWorkdays: Object.entries(pick(raw.workdays, firstYear)).map(([date, name]) => ({ date, name })),
  rules: 'CN-statutory',
  uncoveredYears: 'provisional',
};
const bodyPath = resolve(values.out ?? join(root, '.data', 'CN.put.json'));
mkdirSync(dirname(bodyPath), { recursive: true });
writeFileSync(bodyPath, JSON.stringify(body, null, 2) + '\n');
console.log(`wrote ${bodyPath}: the PUT /v1/calendars/CN body for ${firstYear}-${last} (${source}); load it with`);
console.log(`  curl -X PUT localhost:3000/v1/calendars/CN -H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/json' --data @${bodyPath}`);

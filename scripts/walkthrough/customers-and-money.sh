#!/usr/bin/env bash
# The customers and money walkthrough of issue 18, by curl, against a running TIME-SKIPPING stack
# (`npm start -- --time-skipping`): enterprises imported (NDJSON) → a Chinese name searched with a typo → reported →
# a second partner refused (409, the holder not named) → the protection expires after a clock advance → reported again
# → an invitation link accepted by the customer (its own token) → associated → funds recharged (fed) → allocated (the
# balance = recharge + credit before and after) → the customer's spend, the partner's balance unchanged → the unlink
# (preview, request, silence approves after the objection window) → a refund of the associated period lands on the
# partner; a marketplace order's price adjusted within bounds, refused outside them. Every answer is checked: the first
# unexpected one stops it with exit 1, naming the step.
#
#   BASE_URL=http://localhost:3000 scripts/walkthrough/customers-and-money.sh
#
# RUN_ID (default a random 8 characters) names what the run creates: partners P-cm-<run>-a and -b, customer
# C-cm-<run>, order MO-cm-<run>, an enterprise with a fresh credit code. Each run uses its own, so the walkthrough can run
# again on the same stack. It moves the stack's clock forward (about four weeks in all): every timer due meanwhile
# fires, other processes of that stack included. Page: docs/walkthrough-customers-and-money.md.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RUN="${RUN_ID:-$(node -e 'process.stdout.write(crypto.randomUUID().slice(0, 8))')}"
P="P-cm-$RUN-a"  # the partner that reports, is associated, allocates and sells
P2="P-cm-$RUN-b" # the second partner, refused while the first is protected
C="C-cm-$RUN"    # the customer's cloud account
echo "run $RUN on $BASE_URL: partners $P and $P2, customer $C"

step 'tokens (scripts/token.ts)'
mint feed --role vendor_system --sub billing-system &
mint manager --role vendor_ecosystem_manager --sub manager-walk &
mint vendor --role vendor_staff --sub vendor-walk &
mint admin --role partner_admin --partner "$P" --sub "$P-admin" &
mint admin2 --role partner_admin --partner "$P2" --sub "$P2-admin" &
mint customer --customer "$C" &
for job in 1 2 3 4 5 6; do wait "%$job" || fail 'npm run token failed (see above)'; done
FEED=$(token feed) MANAGER=$(token manager) VENDOR=$(token vendor) ADMIN=$(token admin) ADMIN2=$(token admin2) CUSTOMER=$(token customer)
echo 'vendor_system (billing-system), vendor_ecosystem_manager, vendor_staff (the clock), partner_admin of each partner, the customer'

# advance DURATION: the time-skipping server's clock forward (vendor staff); 404 on a stack without --time-skipping.
advance() {
  call POST /v1/admin/clock/advance "$VENDOR" "{\"duration\": \"$1\"}"
  [[ $STATUS != 404 ]] || fail 'no clock route: start the stack with `npm start -- --time-skipping` (README, "Time travel")'
  expect_status 200
  show "the workflows' clock" '`${b.from} → ${b.now}`'
}

# An agreement in force on this stack (another walkthrough published one) gates reporting, allocating and adjusting
# prices until the partner signs it (docs/agreements.md): the partner signs it first, as the partner-programs one does.
sign_agreement_in_force() {
  local partner=$1 bearer=$2 agreement
  call GET "/v1/partners/$partner/contracting-entities" "$bearer"
  expect_status 200
  agreement=$(js 'b.items.find((i) => i.inForce)?.agreementId ?? ""')
  if [[ -z $agreement ]]; then echo '   no agreement in force on this stack: nothing to sign'; return; fi
  call GET "/v1/agreements/$agreement" "$bearer"
  expect_status 200
  call POST "/v1/partners/$partner/agreements/$agreement/signature" "$bearer" "{\"textSha256\": \"$(js 'b.textSha256')\"}"
  expect_status 200
  echo "   $partner signed the agreement in force ($agreement)"
}

step '0. the partners sign the agreement in force, if this stack has one'
sign_agreement_in_force "$P" "$ADMIN"
sign_agreement_in_force "$P2" "$ADMIN2"

# ─── 1. Enterprise lookup (企业百科) ─────────────────────────────────────────────────────────────────────────────────
# A fresh enterprise each run: a credit code with its GB 32100-2015 check character, and three characters of its name
# drawn from the run id, so that an earlier run's enterprise never ties with this one in the search.
read -r CODE OTHER_CODE BAD_CODE NAME TYPO OTHER_NAME < <(node -e '
  const alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY", weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
  const check = (s) => alphabet[(31 - (weights.reduce((sum, w, i) => sum + w * alphabet.indexOf(s[i]), 0) % 31)) % 31];
  // 9 (registered by the market regulator) 1 (a company), 330100 (Hangzhou: six digits), then 9 random characters.
  const code = () => { const s = "91330100" + Array.from({ length: 9 }, () => alphabet[crypto.randomInt(31)]).join(""); return s + check(s); };
  const bad = (c) => c.slice(0, 17) + alphabet[(alphabet.indexOf(c[17]) + 1) % 31];
  const chars = "金银星海山川峰林泉华景明德信诚宏远恒泰瑞祥嘉禾丰盛鼎新";
  const seed = crypto.createHash("sha256").update(process.argv[1]).digest();
  const mid = [0, 1, 2].map((i) => chars[seed.readUInt16BE(2 * i) % chars.length]).join("");
  console.log(code(), code(), bad(code()), `杭州${mid}云桥网络科技有限公司`, `杭州${mid}云乔网络科技有限公司`, `上海${mid}数据服务有限公司`);
' "$RUN")

step '1. the vendor imports enterprises (NDJSON, one per line, a result per line; a bad check character refused alone)'
cat >"$WALKTHROUGH_TMP/enterprises.ndjson" <<NDJSON
{"creditCode": "$CODE", "name": "$NAME", "industry": "软件和信息技术服务业", "region": "浙江省杭州市", "registeredCapital": {"currency": "CNY", "minor": 500000000}}
{"creditCode": "$BAD_CODE", "name": "校验位错误的企业有限公司"}
{"creditCode": "$OTHER_CODE", "name": "$OTHER_NAME", "region": "上海市"}
NDJSON
send_file POST /v1/enterprises/import "$MANAGER" "$WALKTHROUGH_TMP/enterprises.ndjson" application/x-ndjson -H "Idempotency-Key: import-$RUN"
expect_status 200
expect_eq 'lines / accepted / refused' '`${b.lines} / ${b.accepted} / ${b.refused}`' '3 / 2 / 1'
expect_eq 'each line' 'b.results.map((r) => r.ok ? `${r.line}:${r.outcome}` : `${r.line}:${r.problem.errors[0].field}`).join(" ")' '1:CREATED 2:creditCode 3:CREATED'

step "2. a partner searches the name with a typo (${TYPO}): the right enterprise first"
call GET "/v1/enterprises?name=$(urlencode "$TYPO")&limit=5" "$ADMIN"
expect_status 200
expect_eq 'first match' 'b.items[0].creditCode' "$CODE"
expect_eq 'its name' 'b.items[0].name' "$NAME"
show similarity 'b.items[0].similarity'

# ─── 2. Customer reporting (报备) with protection ───────────────────────────────────────────────────────────────────
step '3. the partner reports the enterprise: PROTECTED for 15 calendar days'
call POST "/v1/partners/$P/customer-reports" "$ADMIN" "{\"creditCode\": \"$CODE\"}" -H "Idempotency-Key: report-1-$RUN"
expect_status 201
expect_eq status 'b.status' PROTECTED
REPORT1=$(js 'b.id')
expect_eq 'protected for (days)' 'b.protectionDays' 15
show 'protected until (the partner’s zone)' 'b.local.protectedUntil'

step '4. a second partner reports the same enterprise: 409, without naming who holds it'
call POST "/v1/partners/$P2/customer-reports" "$ADMIN2" "{\"creditCode\": \"$CODE\"}"
expect_status 409 customer-already-reported
expect_eq 'the holder not named (no partner, no report id)' "!JSON.stringify(b).includes('$P') && !JSON.stringify(b).includes('$REPORT1')" true
show detail 'b.detail'

step '5. the clock moves 16 days: the protection ends by itself (its timer), the report EXPIRED'
advance P16D
poll 'report EXPIRED' "b.status === 'EXPIRED'" 30 GET "/v1/customer-reports/$REPORT1" "$ADMIN"
expect_eq 'expired when its protection ended, not before' 'Date.parse(b.expiredAt) >= Date.parse(b.protectedUntil)' true
show 'protected until → expired at' '`${b.protectedUntil} → ${b.expiredAt}`'
expect_eq history 'b.history.map((e) => e.type).join(" ")' 'PROTECTED EXPIRED'

step '6. the partner reports it again: PROTECTED again'
call POST "/v1/partners/$P/customer-reports" "$ADMIN" "{\"creditCode\": \"$CODE\"}" -H "Idempotency-Key: report-2-$RUN"
expect_status 201
expect_eq status 'b.status' PROTECTED
REPORT=$(js 'b.id')

# ─── 3. Invitation and association ─────────────────────────────────────────────────────────────────────────────────
step '7. the customer signs up to the cloud: its facts fed (its enterprise verified, not frozen, no reserved instances or support plans)'
OBSERVED=$(node -e 'process.stdout.write(new Date().toISOString())')
call POST "/v1/customers/$C/facts" "$FEED" "{\"source\": \"iam\", \"facts\": [
  {\"kind\": \"ENTERPRISE\", \"value\": {\"creditCode\": \"$CODE\"}, \"observedAt\": \"$OBSERVED\"},
  {\"kind\": \"FROZEN\", \"value\": {\"frozen\": false}, \"observedAt\": \"$OBSERVED\"},
  {\"kind\": \"RESERVED_INSTANCES\", \"value\": {\"count\": 0}, \"observedAt\": \"$OBSERVED\"},
  {\"kind\": \"SUPPORT_PLANS\", \"value\": {\"count\": 0}, \"observedAt\": \"$OBSERVED\"}]}" -H "Idempotency-Key: facts-$RUN"
expect_status 201
expect_eq 'facts recorded' 'b.items.length' 4

step '8. the partner issues an invitation link (RESELLER mode, valid 7 days)'
call POST "/v1/customer-reports/$REPORT/invitation" "$ADMIN" '{"mode": "RESELLER"}'
expect_status 201
expect_eq 'report status' 'b.report.status' INVITED
INVITATION=$(js 'b.path')
show 'link expires' 'b.expiresAt'

step '9. the customer, with its own token, opens the link and accepts it: associated'
call GET "$INVITATION" "$CUSTOMER"
expect_status 200
expect_eq 'what it would accept' '`${b.status} ${b.partnerId} ${b.mode} ${b.creditCode}`' "VALID $P RESELLER $CODE"
call POST "$INVITATION/accept" "$CUSTOMER"
expect_status 201
expect_eq association '`${b.partnerId} ${b.customerId} ${b.mode}`' "$P $C RESELLER"
ASSOCIATED_AT=$(js 'b.associatedAt')
call GET "/v1/customer-reports/$REPORT" "$ADMIN"
expect_status 200
expect_eq 'report status' 'b.status' ASSOCIATED
call GET "/v1/partners/$P/customers" "$ADMIN"
expect_status 200
expect_eq "the partner's customers" 'b.items.map((i) => `${i.customerId}/${i.mode}`).join(" ")' "$C/RESELLER"

# ─── 4. Funds on the ledger (拨款) ──────────────────────────────────────────────────────────────────────────────────
balance='b.balances.map((x) => `recharge ${x.recharge} + credit ${x.credit} = balance ${x.balance}`).join("; ")'

step '10. billing feeds the partner a recharge of ¥100.00 and a credit limit of ¥50.00'
call POST "/v1/partners/$P/account/ledger-entries" "$FEED" "{\"source\": \"billing\", \"entries\": [
  {\"kind\": \"RECHARGE\", \"key\": \"$RUN-pay-1\", \"amount\": {\"currency\": \"CNY\", \"minor\": 10000}, \"occurredAt\": \"$OBSERVED\"},
  {\"kind\": \"CREDIT_LIMIT_CHANGE\", \"key\": \"$RUN-limit-1\", \"change\": {\"currency\": \"CNY\", \"minor\": 5000}, \"occurredAt\": \"$OBSERVED\"}]}" \
  -H "Idempotency-Key: ledger-$RUN"
expect_status 201
expect_eq 'transfers recorded' 'b.items.length' 2
call GET "/v1/partners/$P/account" "$ADMIN"
expect_status 200
expect_eq 'before the allocation' "$balance" 'recharge 10000 + credit 5000 = balance 15000'

step '11. the partner allocates ¥120.00 to the customer: recharge first (100.00), then credit (20.00)'
call POST "/v1/partners/$P/customers/$C/allocations" "$ADMIN" '{"amount": {"currency": "CNY", "minor": 12000}, "memo": "first month"}' \
  -H "Idempotency-Key: allocation-$RUN"
expect_status 201
ALLOCATION=$(js 'b.id')
expect_eq 'drawn from' '`recharge ${b.split.recharge} + credit ${b.split.credit}`' 'recharge 10000 + credit 2000'
expect_eq 'the customer holds' 'b.unspentAfter' 12000
call GET "/v1/partners/$P/account" "$ADMIN"
expect_status 200
expect_eq 'after the allocation' "$balance" 'recharge 0 + credit 3000 = balance 3000'

step "12. billing feeds the customer's spend of ¥40.00: the partner's balance does not move"
# Spent while associated: at the association's instant on the workflows' clock, plus an hour (the API's wall clock is
# behind it by the days the clock was moved).
SPENT_AT=$(node -e 'process.stdout.write(new Date(Date.parse(process.argv[1]) + 3600e3).toISOString())' "$ASSOCIATED_AT")
call POST "/v1/customers/$C/spend" "$FEED" "{\"source\": \"billing\", \"key\": \"$RUN-spend-1\", \"amount\": {\"currency\": \"CNY\", \"minor\": 4000}, \"occurredAt\": \"$SPENT_AT\"}" \
  -H "Idempotency-Key: spend-$RUN"
expect_status 201
expect_eq 'the customer holds' 'b.unspentAfter' 8000
expect_eq "the partner's balance in the answer" 'b.balanceAfter.balance' 3000
call GET "/v1/partners/$P/account" "$ADMIN"
expect_status 200
expect_eq 'after the spend' "$balance" 'recharge 0 + credit 3000 = balance 3000'
call GET "/v1/partners/$P/customers/$C/funds" "$ADMIN"
expect_status 200
expect_eq "the customer's funds" 'b.funds.map((f) => `allocated ${f.allocated}, spent ${f.spent}, unspent ${f.unspent}`).join("; ")' \
  'allocated 12000, spent 4000, unspent 8000'

source "$(dirname "${BASH_SOURCE[0]}")/customers-and-money-unlink.sh"
source "$(dirname "${BASH_SOURCE[0]}")/customers-and-money-orders.sh"

printf '\nWALKTHROUGH PASSED for run %s: partner %s, customer %s, enterprise %s, allocation %s, unlink %s, refund transfer %s, order %s\n' \
  "$RUN" "$P" "$C" "$CODE" "$ALLOCATION" "$UNLINK" "$REFUND_TRANSFER" "$ORDER"

#!/usr/bin/env bash
# The partner programs walkthrough of issue 17, by curl, against a running stack (`npm start`): account facts fed →
# every reason the solution-provider plan is refused → the facts fixed → an agreement published → joining (a gated
# action) refused → signed → joined; the reseller program's preview → confirm → the vouchers voided exactly once; a
# project specialist approved, cancelled, applied for again; a level raise refused with its reasons, then approved,
# the level changed once. Every answer is checked: the first unexpected one stops it with exit 1.
#
#   BASE_URL=http://localhost:3000 scripts/walkthrough/partner-programs.sh
#
# PARTNER_ID (default P-walk-<random>) names the partner: a fresh one each run, so the walkthrough can run again on the
# same stack. Publishing the agreement gates EVERY partner of the stack until each signs it (docs/agreements.md); a
# later run uses the version in force instead of publishing another.
# Page: docs/walkthrough-partner-programs.md.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

P="${PARTNER_ID:-P-walk-$(node -e 'process.stdout.write(crypto.randomUUID().slice(0, 8))')}"
echo "partner $P on $BASE_URL"

step 'tokens (scripts/token.ts)'
mint feed --role vendor_system --sub billing-system &
mint admin --role partner_admin --partner "$P" --sub "$P-admin" &
mint reviewer --role vendor_reviewer --sub reviewer-walk &
mint manager --role vendor_ecosystem_manager --sub manager-walk &
wait %1 && wait %2 && wait %3 && wait %4 || fail 'npm run token failed (see above)'
FEED=$(token feed) ADMIN=$(token admin) REVIEWER=$(token reviewer) MANAGER=$(token manager)
echo 'vendor_system (billing-system), partner_admin, vendor_reviewer, vendor_ecosystem_manager'

feed() { call POST "/v1/partners/$P/account/$1" "$FEED" "$2" -H "Idempotency-Key: $P-$1-$3"; expect_status 201; }
eligibility() { call GET "/v1/partners/$P/eligibility?program=$1" "$ADMIN" -H 'Accept-Language: en'; expect_status 200; }
codes='b.unmet.map((u) => u.code).join(" ")'

# ─── 1. Facts fed; every reason the solution-provider plan is refused ──────────────────────────────────────────────
step '1. facts fed for the partner: joining already, a sub-customer, resources open, frozen, enterprise master, credit in arrears'
feed facts '{"source": "billing", "facts": [
  {"kind": "PROGRAM_MEMBERSHIP", "subject": "SOLUTION_PROVIDER", "value": {"state": "JOINING"}, "observedAt": "2026-03-01T10:00:00+08:00"},
  {"kind": "DISTRIBUTOR_RELATIONSHIP", "value": {"relation": "SUB_CUSTOMER", "distributorId": "D-7"}, "observedAt": "2026-03-01T10:00:00+08:00"},
  {"kind": "OPEN_RESOURCES", "value": {"count": 2}, "observedAt": "2026-03-01T10:00:00+08:00"},
  {"kind": "FROZEN", "value": {"frozen": true}, "observedAt": "2026-03-01T10:00:00+08:00"},
  {"kind": "ENTERPRISE_ROLE", "value": {"role": "MASTER"}, "observedAt": "2026-03-01T10:00:00+08:00"}]}' 1
expect_eq 'facts recorded' 'b.items.length' 5
# Ledger keys are one transfer per source forever: the partner id keeps each run's its own.
feed ledger-entries "{\"source\": \"billing\", \"entries\": [
  {\"kind\": \"CREDIT_LIMIT_CHANGE\", \"key\": \"$P-limit-1\", \"change\": {\"currency\": \"CNY\", \"minor\": 5000}, \"occurredAt\": \"2026-03-01T09:00:00+08:00\"},
  {\"kind\": \"CHARGE\", \"key\": \"$P-bill-1\", \"amount\": {\"currency\": \"CNY\", \"minor\": 6000}, \"drawn\": {\"credit\": 5000, \"arrears\": 1000}, \"occurredAt\": \"2026-03-02T09:00:00+08:00\"}]}" 1
expect_eq 'transfers recorded' 'b.items.length' 2

step '2. eligibility for the SOLUTION_PROVIDER plan: all seven seed reasons, each with a remedy'
eligibility SOLUTION_PROVIDER
expect_eq eligible 'b.eligible' false
expect_eq codes "$codes" 'program-joining distributor-sub-customer open-resources account-frozen in-arrears enterprise-account credit-account'
expect_eq 'every reason has a message, a remedy and evidence' 'b.unmet.every((u) => u.message && u.remedy && u.evidence)' true
js 'b.unmet.map((u) => `   ${u.code}: ${u.remedy}`).join("\n")'
echo

step '3. the facts fixed: newer observations; the arrears and the used credit repaid, the credit line closed'
feed facts '{"source": "billing", "facts": [
  {"kind": "PROGRAM_MEMBERSHIP", "subject": "SOLUTION_PROVIDER", "value": {"state": "NOT_JOINED"}, "observedAt": "2026-03-05T10:00:00+08:00"},
  {"kind": "DISTRIBUTOR_RELATIONSHIP", "value": {"relation": "NONE"}, "observedAt": "2026-03-05T10:00:00+08:00"},
  {"kind": "OPEN_RESOURCES", "value": {"count": 0}, "observedAt": "2026-03-05T10:00:00+08:00"},
  {"kind": "FROZEN", "value": {"frozen": false}, "observedAt": "2026-03-05T10:00:00+08:00"},
  {"kind": "ENTERPRISE_ROLE", "value": {"role": "NONE"}, "observedAt": "2026-03-05T10:00:00+08:00"}]}' 2
feed ledger-entries "{\"source\": \"billing\", \"entries\": [
  {\"kind\": \"ARREARS_REPAYMENT\", \"key\": \"$P-repay-1\", \"amount\": {\"currency\": \"CNY\", \"minor\": 1000}, \"from\": \"CASH\", \"occurredAt\": \"2026-03-05T09:00:00+08:00\"},
  {\"kind\": \"CREDIT_REPAYMENT\", \"key\": \"$P-repay-2\", \"amount\": {\"currency\": \"CNY\", \"minor\": 5000}, \"from\": \"CASH\", \"occurredAt\": \"2026-03-05T09:10:00+08:00\"},
  {\"kind\": \"CREDIT_LIMIT_CHANGE\", \"key\": \"$P-limit-2\", \"change\": {\"currency\": \"CNY\", \"minor\": -5000}, \"occurredAt\": \"2026-03-05T09:20:00+08:00\"}]}" 2
eligibility SOLUTION_PROVIDER
expect_eq eligible 'b.eligible' true
expect_eq codes "$codes" ''

# ─── 2. An agreement: joining (a gated action) refused until it is signed ─────────────────────────────────────────
step '4. the vendor publishes an agreement version in force today (it gates EVERY partner of this stack until signed)'
# A version already in force (an earlier run published one) gates this partner just the same: the walkthrough uses it
# rather than publish another the same day.
call GET "/v1/partners/$P/contracting-entities" "$ADMIN"
expect_status 200
AGREEMENT=$(js 'b.items.find((i) => i.inForce)?.agreementId ?? ""')
if [[ -n $AGREEMENT ]]; then
  echo "   a version is in force on this stack already: $AGREEMENT (not signed by $P)"
  call GET "/v1/agreements/$AGREEMENT" "$ADMIN"
  expect_status 200
  SHA=$(js 'b.textSha256')
else
  read -r TODAY SIGN_BY < <(node -e '
    const day = (n) => new Date(Date.now() + 8 * 3600e3 + n * 86400e3).toISOString().slice(0, 10); // Asia/Shanghai
    console.log(day(0), day(14));')
  TEXT="Partner agreement with Cloud Co. (Shanghai) Ltd., in force from $TODAY."
  SHA=$(node -e 'process.stdout.write(crypto.createHash("sha256").update(process.argv[1], "utf8").digest("hex"))' "$TEXT")
  call POST /v1/agreements "$MANAGER" "{\"contractingEntity\": \"Cloud Co. (Shanghai) Ltd.\", \"text\": \"$TEXT\", \"textSha256\": \"$SHA\",
    \"effectiveDate\": \"$TODAY\", \"signByDate\": \"$SIGN_BY\"}" -H "Idempotency-Key: $P-agreement"
  expect_status 201
  AGREEMENT=$(js 'b.id')
  show version 'b.version'
fi

step '5. joining the SOLUTION_PROVIDER plan refused until the agreement is signed; then request, preview, confirm'
call POST "/v1/partners/$P/enrollments" "$ADMIN" '{"program": "SOLUTION_PROVIDER"}'
expect_status 403 agreement-signature-required
expect_eq 'the agreement named' 'b.agreementId' "$AGREEMENT"
call POST "/v1/partners/$P/agreements/$AGREEMENT/signature" "$ADMIN" "{\"textSha256\": \"$SHA\"}"
expect_status 200
expect_eq 'signed by' 'b.signedBy' "$P-admin"
# The plan needs no vendor review and voids nothing: the confirmation of an empty list is the moment of joining.
call POST "/v1/partners/$P/enrollments" "$ADMIN" '{"program": "SOLUTION_PROVIDER"}'
expect_status 201
expect_eq status 'b.status' AWAITING_CONFIRMATION
SP=$(js 'b.id')
call GET "/v1/enrollments/$SP/voided-instruments-preview" "$ADMIN"
expect_status 200
expect_eq 'instruments to void' 'b.instruments.length' 0
call POST "/v1/enrollments/$SP/confirm" "$ADMIN" "{\"instrumentsHash\": \"$(js 'b.instrumentsHash')\"}"
expect_status 200
expect_eq status 'b.status' JOINED
expect_eq voided 'b.voided.length' 0

# ─── 3. Becoming a reseller: the vouchers void exactly once ────────────────────────────────────────────────────────
step '6. reseller facts fed: nothing invoiceable, no postpaid, no designated contract; two vouchers, a coupon, a card (one voucher used)'
feed facts '{"source": "billing", "facts": [
  {"kind": "PROGRAM_MEMBERSHIP", "subject": "RESELLER", "value": {"state": "NOT_JOINED"}, "observedAt": "2026-03-05T10:00:00+08:00"},
  {"kind": "INVOICEABLE_AMOUNT", "value": {"amount": {"currency": "CNY", "minor": 0}}, "observedAt": "2026-03-05T10:00:00+08:00"},
  {"kind": "POSTPAID", "value": {"enabled": false}, "observedAt": "2026-03-05T10:00:00+08:00"},
  {"kind": "DESIGNATED_CONTRACT", "subject": "OFFLINE_DIRECT", "value": {"signed": false}, "observedAt": "2026-03-05T10:00:00+08:00"},
  {"kind": "DESIGNATED_CONTRACT", "subject": "TELESALES_AUTHORISED_DISCOUNT", "value": {"signed": false}, "observedAt": "2026-03-05T10:00:00+08:00"},
  {"kind": "DESIGNATED_CONTRACT", "subject": "DIRECT_SPECIAL_PRICE", "value": {"signed": false}, "observedAt": "2026-03-05T10:00:00+08:00"},
  {"kind": "VOUCHER", "subject": "V-1", "value": {"issuer": "marketing", "amount": {"currency": "CNY", "minor": 5000}, "state": "ACTIVE"}, "observedAt": "2026-03-05T10:00:00+08:00"},
  {"kind": "VOUCHER", "subject": "V-2", "value": {"issuer": "marketing", "amount": {"currency": "CNY", "minor": 3000}, "state": "USED"}, "observedAt": "2026-03-05T10:00:00+08:00"},
  {"kind": "COUPON", "subject": "C-1", "value": {"issuer": "sales", "amount": {"currency": "CNY", "minor": 2000}, "state": "ACTIVE"}, "observedAt": "2026-03-05T10:00:00+08:00"},
  {"kind": "STORED_VALUE_CARD", "subject": "S-1", "value": {"issuer": "marketing", "amount": {"currency": "CNY", "minor": 10000}, "state": "ACTIVE"}, "observedAt": "2026-03-05T10:00:00+08:00"}]}' 3
eligibility RESELLER
expect_eq eligible 'b.eligible' true

step '7. reseller: request → vendor review → preview → confirm'
call POST "/v1/partners/$P/enrollments" "$ADMIN" '{"program": "RESELLER"}'
expect_status 201
expect_eq status 'b.status' IN_REVIEW
RS=$(js 'b.id')
call POST "/v1/enrollments/$RS/review" "$REVIEWER" '{"decision": "APPROVE"}'
expect_status 200
expect_eq status 'b.status' AWAITING_CONFIRMATION
call GET "/v1/enrollments/$RS/voided-instruments-preview" "$ADMIN"
expect_status 200
instruments='b.instruments.map((i) => `${i.kind}/${i.id}`).join(" ")'
expect_eq 'joining voids (the used voucher is left alone)' "$instruments" 'COUPON/C-1 STORED_VALUE_CARD/S-1 VOUCHER/V-1'
HASH=$(js 'b.instrumentsHash')
call POST "/v1/enrollments/$RS/confirm" "$ADMIN" "{\"instrumentsHash\": \"$HASH\"}"
expect_status 200
expect_eq status 'b.status' JOINED
voided='b.voided.map((i) => `${i.kind}/${i.id}`).join(" ")'
expect_eq voided "$voided" 'COUPON/C-1 STORED_VALUE_CARD/S-1 VOUCHER/V-1'

step '8. voided exactly once: confirming again, and another reseller enrollment, void nothing more'
call POST "/v1/enrollments/$RS/confirm" "$ADMIN" "{\"instrumentsHash\": \"$HASH\"}"
expect_status 409 enrollment-closed
call POST "/v1/partners/$P/enrollments" "$ADMIN" '{"program": "RESELLER"}'
expect_status 422 enrollment-not-eligible
expect_eq codes "$codes" program-joined
call GET "/v1/enrollments/$RS/voided-instruments-preview" "$ADMIN"
expect_status 200
expect_eq 'left to void' 'b.instruments.length' 0
call GET "/v1/enrollments/$RS" "$ADMIN"
expect_status 200
expect_eq 'voided by the enrollment, still' "$voided" 'COUPON/C-1 STORED_VALUE_CARD/S-1 VOUCHER/V-1'
call GET "/v1/partners/$P/account" "$ADMIN"
expect_status 200
expect_eq 'instruments on the account' 'b.facts.instruments.map((i) => `${i.kind}/${i.id}=${i.state}`).sort().join(" ")' \
  'COUPON/C-1=VOIDED STORED_VALUE_CARD/S-1=VOIDED VOUCHER/V-1=VOIDED VOUCHER/V-2=USED'

source "$(dirname "${BASH_SOURCE[0]}")/partner-programs-processes.sh"

printf '\nWALKTHROUGH PASSED for partner %s\n' "$P"

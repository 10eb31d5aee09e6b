# The customers and money walkthrough, the unlink (sourced by customers-and-money.sh, after the customer spent part of
# its allocation): preview → request → silence approves after the objection window (the clock moves) → what the
# customer left unspent reclaimed, and a refund of what it consumed while associated lands on the partner.
# Uses $P, $C, $RUN, $FEED, $ADMIN, $CUSTOMER, $SPENT_AT (the spend's instant), $balance and `advance` of the main script.

# ─── 5. Unlink (解除关联) ──────────────────────────────────────────────────────────────────────────────────────────
step '13. the partner previews the unlink: exactly what it would do, nothing refused'
call GET "/v1/partners/$P/customers/$C/unlink-preview" "$ADMIN" -H 'Accept-Language: en'
expect_status 200
expect_eq unlinkable 'b.unlinkable' true
expect_eq 'reasons it would be refused' 'b.unmet.length' 0
expect_eq 'returns to the partner' 'b.reclaim.map((r) => `${r.currency} unspent ${r.unspent} = credit ${r.toCredit} + recharge ${r.toRecharge}`).join("; ")' \
  'CNY unspent 8000 = credit 2000 + recharge 6000'
expect_eq 'the customer may object for (days)' '`${b.objectingSide} ${b.objectionDays}`' 'CUSTOMER 10'
show vouchers 'b.consequences.vouchers'
show refunds 'b.consequences.refunds'
PREVIEW_HASH=$(js 'b.previewHash')

step '14. the partner asks to unlink, confirming the preview; the customer stays silent: the clock moves 11 days, the unlink executes'
call POST "/v1/partners/$P/customers/$C/unlinks" "$ADMIN" "{\"previewHash\": \"$PREVIEW_HASH\"}" -H "Idempotency-Key: unlink-$RUN"
expect_status 201
expect_eq status 'b.status' OBJECTION_WINDOW
UNLINK=$(js 'b.id')
show 'the customer may object until (the partner’s zone)' 'b.local.objectionDeadline'
call GET "/v1/customer/unlinks/$UNLINK" "$CUSTOMER"
expect_status 200
expect_eq 'the customer sees it (its own token)' '`${b.status}, asked by the ${b.requestedSide}`' 'OBJECTION_WINDOW, asked by the PARTNER'
advance P11D
poll 'unlink UNLINKED' "b.status === 'UNLINKED'" 30 GET "/v1/unlinks/$UNLINK" "$ADMIN"
expect_eq reclaimed 'b.reclaimed.map((r) => `${r.currency} ${r.minor} = credit ${r.toCredit} + recharge ${r.toRecharge}`).join("; ")' \
  'CNY 8000 = credit 2000 + recharge 6000'
call GET "/v1/partners/$P/customers" "$ADMIN"
expect_status 200
expect_eq "the partner's customers" 'b.items.length' 0
call GET "/v1/partners/$P/account" "$ADMIN"
expect_status 200
expect_eq 'the unspent back' "$balance" 'recharge 6000 + credit 5000 = balance 11000'

step '15. billing refunds ¥15.00 of what the customer consumed while associated: it lands on the partner, after the unlink too'
call POST "/v1/customers/$C/refunds" "$FEED" "{\"source\": \"billing\", \"refunds\": [
  {\"key\": \"$RUN-refund-1\", \"consumedAt\": \"$SPENT_AT\", \"amount\": {\"currency\": \"CNY\", \"minor\": 1500}, \"memo\": \"instance released early\"}]}" \
  -H "Idempotency-Key: refund-$RUN"
expect_status 201
expect_eq 'routed to' '`${b.items[0].routedTo} ${b.items[0].partnerId}`' "PARTNER $P"
REFUND_TRANSFER=$(js 'b.items[0].transferId')
call GET "/v1/partners/$P/account" "$ADMIN"
expect_status 200
expect_eq 'the refund on the recharge' "$balance" 'recharge 7500 + credit 5000 = balance 12500'

# The customers and money walkthrough, its last part (sourced by customers-and-money.sh): a marketplace order's price
# adjusted by its salesperson partner within its bounds, with If-Match from the ETag its GET answered, and refused
# outside them (422 naming the bound). Uses $P, $C, $RUN, $FEED and $ADMIN of the main script; sets $ORDER.

# ─── 6. Marketplace order price adjustment (交易调价) ───────────────────────────────────────────────────────────────
ORDER="MO-cm-$RUN"

step '16. the marketplace feeds an order sold by the partner: 3 units listed at ¥100.00, floor ¥80.00, waiting for payment'
call POST /v1/marketplace-orders "$FEED" "{\"orders\": [{\"id\": \"$ORDER\", \"partnerId\": \"$P\", \"customerId\": \"$C\", \"productId\": \"ecs.g7.large\",
  \"quantity\": 3, \"listUnitPrice\": {\"currency\": \"CNY\", \"minor\": 10000}, \"floorUnitPrice\": {\"currency\": \"CNY\", \"minor\": 8000},
  \"state\": \"PENDING_PAYMENT\", \"placedAt\": \"$(node -e 'process.stdout.write(new Date().toISOString())')\"}]}" -H "Idempotency-Key: order-$RUN"
expect_status 201
expect_eq outcome 'b.items[0].outcome' CREATED

step '17. the salesperson partner reads it (its ETag) and adjusts the unit price to ¥90.00, If-Match that ETag'
call_headers GET "/v1/marketplace-orders/$ORDER" "$ADMIN"
expect_status 200
ETAG=$(header ETag)
[[ -n $ETAG ]] || fail 'the order was answered without an ETag'
printf '← ETag: %s\n' "$ETAG"
expect_eq 'unit price / total' '`${b.unitPrice.minor} / ${b.total.minor}`' '10000 / 30000'
echo "   sends If-Match: $ETAG"
call_headers POST "/v1/marketplace-orders/$ORDER/price-adjustments" "$ADMIN" '{"unitPrice": {"currency": "CNY", "minor": 9000}, "reason": "volume discount"}' \
  -H "If-Match: $ETAG"
expect_status 201
expect_eq 'unit price / total' '`${b.unitPrice.minor} / ${b.total.minor}`' '9000 / 27000'
expect_eq 'last in its history' '(({type, fromUnitPrice, toUnitPrice}) => `${type} ${fromUnitPrice.minor} → ${toUnitPrice.minor}`)(b.history.at(-1))' 'PRICE_ADJUSTED 10000 → 9000'
ETAG=$(header ETag)
printf '← new ETag: %s\n' "$ETAG"

step '18. outside the bounds: below the floor and above the list price, each 422 naming the bound'
echo "   sends If-Match: $ETAG (the current version: only the price is wrong)"
call POST "/v1/marketplace-orders/$ORDER/price-adjustments" "$ADMIN" '{"unitPrice": {"currency": "CNY", "minor": 7999}, "reason": "too low"}' -H "If-Match: $ETAG"
expect_status 422 order-price-out-of-bounds
expect_eq 'field / bound / limit' '`${b.errors[0].field} / ${b.bound} / ${b.limit.minor}`' 'unitPrice / floor / 8000'
call POST "/v1/marketplace-orders/$ORDER/price-adjustments" "$ADMIN" '{"unitPrice": {"currency": "CNY", "minor": 10001}, "reason": "too high"}' -H "If-Match: $ETAG"
expect_status 422 order-price-out-of-bounds
expect_eq 'field / bound / limit' '`${b.errors[0].field} / ${b.bound} / ${b.limit.minor}`' 'unitPrice / list / 10000'
call GET "/v1/marketplace-orders/$ORDER" "$ADMIN"
expect_status 200
expect_eq 'the price the refusals left' '`${b.unitPrice.minor} (version ${b.version})`' '9000 (version 2)'

# The partner programs walkthrough, second half (sourced by partner-programs.sh, after the partner signed the agreement
# in force and joined the solution-provider plan and the reseller program): a project specialist, a level raise.

# Two small PDFs to upload as materials: the uploads check the bytes are what Content-Type says (a PDF's magic bytes).
pdf() { printf '%%PDF-1.4\n%% %s\n1 0 obj<<>>endobj\ntrailer<<>>\n%%%%EOF\n' "$2" >"$WALKTHROUGH_TMP/$1"; echo "$WALKTHROUGH_TMP/$1"; }

# ─── 4. A project specialist: approved, cancelled, applied for again ───────────────────────────────────────────────
step '9. a member with a work residence; a project specialist application (SOFTWARE path) with its materials'
call POST "/v1/partners/$P/members" "$ADMIN" '{"sub": "li-lei", "displayName": "Li Lei", "workResidence": "Shanghai"}'
expect_status 201
MEMBER=$(js 'b.id')
call GET "/v1/partners/$P/eligibility?program=PROJECT_SPECIALIST&memberId=$MEMBER" "$ADMIN"
expect_status 200
expect_eq 'eligible (a reseller now, the member has a work residence)' 'b.eligible' true
call POST /v1/specialist-applications "$ADMIN" "{\"memberId\": \"$MEMBER\", \"pathId\": \"SOFTWARE\"}"
expect_status 201
expect_eq status 'b.status' SUBMITTED
APPLICATION=$(js 'b.id')
upload "/v1/specialist-applications/$APPLICATION/files" "$ADMIN" "$(pdf resume.pdf 'Li Lei, resume')" application/pdf
expect_status 201
RESUME=$(js 'b.id')
upload "/v1/specialist-applications/$APPLICATION/files" "$ADMIN" "$(pdf qualification.pdf 'Li Lei, qualification')" application/pdf
expect_status 201
QUALIFICATION=$(js 'b.id')
call PUT "/v1/specialist-applications/$APPLICATION/materials" "$ADMIN" \
  "{\"materials\": [{\"kind\": \"RESUME\", \"materialId\": \"$RESUME\"}, {\"kind\": \"QUALIFICATION\", \"materialId\": \"$QUALIFICATION\"}]}"
expect_status 200

step '10. the vendor approves; the partner cancels the specialist; the member applies again'
call POST "/v1/specialist-applications/$APPLICATION/review" "$REVIEWER" '{"decision": "APPROVE"}'
expect_status 200
expect_eq status 'b.status' APPROVED
call POST "/v1/specialist-applications/$APPLICATION/cancel" "$ADMIN" '{"reason": "Li Lei moves to another team"}'
expect_status 200
expect_eq status 'b.status' CANCELLED
expect_eq 'cancelled by' 'b.history.at(-1).data.by' PARTNER
call POST /v1/specialist-applications "$ADMIN" "{\"memberId\": \"$MEMBER\", \"pathId\": \"SOFTWARE\"}"
expect_status 201
expect_eq status 'b.status' SUBMITTED
expect_eq 'a new application' "b.id !== '$APPLICATION'" true

# ─── 5. A level raise: refused with its reasons, then approved, the level changed once ─────────────────────────────
step '11. a level raise on the SOFTWARE path refused with every unmet requirement'
call POST "/v1/partners/$P/level-raises" "$ADMIN" '{"pathId": "SOFTWARE"}' -H 'Accept-Language: en'
expect_status 422 level-raise-not-eligible
expect_eq codes "$codes" 'level-requirement-unmet level-requirement-unmet'
expect_eq 'required / actual' 'b.unmet.map((u) => `${u.evidence.description}: ${u.evidence.actual}/${u.evidence.required}`).join("; ")' \
  'at least 1 active ADVANCED_CLOUD_SOFTWARE certificate: 0/1; at least 2 full-time experts registered: 0/2'

step '12. the requirements met: two full-time CLOUD_PROFESSIONAL experts attested by the vendor, a software certificate'
for n in 1 2; do
  call POST "/v1/partners/$P/experts" "$ADMIN" "{\"employeeId\": \"E$n\", \"name\": \"Expert $n\", \"fullTime\": true, \"fullTimeSince\": \"2025-01-01\",
    \"certifications\": [{\"type\": \"CLOUD_PROFESSIONAL\", \"validFrom\": \"2025-01-01\", \"validTo\": \"2099-12-31\"}]}"
  expect_status 201
  call POST "/v1/partners/$P/experts/$(js 'b.id')/attestation" "$MANAGER" \
    '{"fullTimeSince": "2025-01-01", "certifications": [{"type": "CLOUD_PROFESSIONAL", "validFrom": "2025-01-01", "validTo": "2099-12-31"}]}'
  expect_status 200
done
call POST /v1/certifications "$ADMIN" '{"type": "ADVANCED_CLOUD_SOFTWARE", "solutionName": "Walkthrough ERP"}'
expect_status 201
CERTIFICATION=$(js 'b.id')
upload "/v1/certifications/$CERTIFICATION/files" "$ADMIN" "$(pdf solution.pdf 'Walkthrough ERP, architecture')" application/pdf
expect_status 201
DESCRIPTION=$(js 'b.id')
upload "/v1/certifications/$CERTIFICATION/files" "$ADMIN" "$(pdf tests.pdf 'Walkthrough ERP, test report')" application/pdf
expect_status 201
REPORT=$(js 'b.id')
call PUT "/v1/certifications/$CERTIFICATION/materials" "$ADMIN" \
  "{\"materials\": [{\"kind\": \"SOLUTION_DESCRIPTION\", \"materialId\": \"$DESCRIPTION\"}, {\"kind\": \"TEST_REPORT\", \"materialId\": \"$REPORT\"}]}"
expect_status 200
call POST "/v1/certifications/$CERTIFICATION/submit" "$ADMIN"
expect_status 200
expect_eq status 'b.status' IN_REVIEW
call POST "/v1/certifications/$CERTIFICATION/review" "$REVIEWER" '{"decision": "APPROVE"}'
expect_status 200
expect_eq certificate 'b.certificate.status' ACTIVE

step '13. the level raise requested and approved: the level changes once'
call POST "/v1/partners/$P/level-raises" "$ADMIN" '{"pathId": "SOFTWARE"}'
expect_status 201
expect_eq 'from → to' '`${b.fromLevel} → ${b.toLevel}`' 'null → CERTIFIED'
RAISE=$(js 'b.id')
call POST "/v1/level-raises/$RAISE/review" "$REVIEWER" '{"decision": "APPROVE"}'
expect_status 200
expect_eq status 'b.status' APPROVED
call POST "/v1/level-raises/$RAISE/review" "$REVIEWER" '{"decision": "APPROVE"}'
[[ $STATUS == 409 ]] || fail "a second approval: expected HTTP 409, got $STATUS"
show problem 'b.type'
expect_eq 'a second approval is refused' "['not-in-review', 'level-raise-closed'].map((c) => 'urn:partnerflow:problem:' + c).includes(b.type)" true
call GET "/v1/partners/$P/paths" "$ADMIN"
expect_status 200
expect_eq 'level on SOFTWARE' "b.items.find((m) => m.pathId === 'SOFTWARE').level" CERTIFIED
expect_eq 'level changes recorded' "b.items.find((m) => m.pathId === 'SOFTWARE').history.map((h) => \`\${h.fromLevel} → \${h.toLevel} (\${h.reason})\`).join('; ')" \
  'null → CERTIFIED (LEVEL_RAISED)'

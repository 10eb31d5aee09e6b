# Helpers of the curl walkthroughs (sourced, not run): a request that prints what it sends and remembers what came
# back, checks that stop the walkthrough at the first unexpected answer, and tokens from the project's token script.
#
# JSON is read with the project's own Node (node_modules/.bin, there after `npm install`) rather than jq: jq is not
# something `npm install` brings, and a walkthrough that needs an extra system package fails on a fresh clone.

WALKTHROUGH_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export PATH="$WALKTHROUGH_ROOT/node_modules/.bin:$PATH"
BASE_URL="${BASE_URL:-http://localhost:3000}"
BASE_URL="${BASE_URL%/}"

STATUS=''
BODY=''
STEP=''
WALKTHROUGH_TMP="$(mktemp -d)"
trap 'rm -rf "$WALKTHROUGH_TMP"' EXIT

step() {
  STEP="$*"
  printf '\n== %s\n' "$STEP"
}

fail() {
  printf '\nWALKTHROUGH FAILED at "%s": %s\n' "$STEP" "$*" >&2
  printf 'last answer: HTTP %s %s\n' "$STATUS" "$(short "$BODY" 2000)" >&2
  exit 1
}

# A token minted by scripts/token.ts (AUTH_JWT_SECRET, AUTH_ISSUER, AUTH_AUDIENCE as the API has them), written to
# $WALKTHROUGH_TMP/<name>. Several are minted side by side (`&`, then `wait_tokens`): each costs a Node start.
mint() {
  local name=$1
  shift
  (cd "$WALKTHROUGH_ROOT" && tsx scripts/token.ts "$@") >"$WALKTHROUGH_TMP/token-$name" 2>"$WALKTHROUGH_TMP/token-$name.err" || {
    cat "$WALKTHROUGH_TMP/token-$name.err" >&2
    return 1
  }
}
token() { cat "$WALKTHROUGH_TMP/token-$1"; }

# js EXPRESSION: the value of a JavaScript expression over the last answer's body `b` (strings bare, the rest as JSON).
js() {
  node -e '
    const b = JSON.parse(process.argv[2] || "null");
    const v = (0, eval)(`(b) => (${process.argv[1]})`)(b);
    process.stdout.write(v === undefined ? "" : typeof v === "string" ? v : JSON.stringify(v));
  ' "$1" "$BODY" || fail "could not read $1 from the answer"
}

# short TEXT [MAX]: TEXT as one line of at most MAX characters (400), for the transcript.
short() {
  local text=${1//$'\n'/ } max=${2:-400}
  text=$(printf '%s' "$text" | tr -s ' ')
  if ((${#text} > max)); then printf '%s…' "${text:0:max}"; else printf '%s' "$text"; fi
}

# call METHOD PATH TOKEN [JSON] [curl options…]: sends it, prints it, and sets STATUS and BODY.
call() {
  local method=$1 path=$2 bearer=$3
  shift 3
  local args=(-sS -X "$method" "$BASE_URL$path" -H "Authorization: Bearer $bearer" -o "$WALKTHROUGH_TMP/body" -w '%{http_code}')
  if (($# > 0)) && [[ $1 != -* ]]; then
    printf '→ %s %s %s\n' "$method" "$path" "$(short "$1")"
    args+=(-H 'Content-Type: application/json' --data-binary "$1")
    shift
  else
    printf '→ %s %s\n' "$method" "$path"
  fi
  STATUS=$(curl "${args[@]}" "$@") || fail "curl could not reach $BASE_URL$path (is the stack running? BASE_URL=$BASE_URL)"
  BODY=$(cat "$WALKTHROUGH_TMP/body")
}

# upload PATH TOKEN FILE CONTENT_TYPE: a file's bytes as the body (materials).
upload() {
  local path=$1 bearer=$2 file=$3 type=$4
  printf '→ POST %s <%s, %s>\n' "$path" "$(basename "$file")" "$type"
  STATUS=$(curl -sS -X POST "$BASE_URL$path" -H "Authorization: Bearer $bearer" -H "Content-Type: $type" \
    -H "Content-Disposition: attachment; filename=\"$(basename "$file")\"" --data-binary "@$file" \
    -o "$WALKTHROUGH_TMP/body" -w '%{http_code}') || fail "curl could not reach $BASE_URL$path"
  BODY=$(cat "$WALKTHROUGH_TMP/body")
}

# expect_status CODE [PROBLEM]: the answer's status, and for a problem+json its type (urn:partnerflow:problem:PROBLEM);
# prints the status, and the id of what was created or read.
expect_status() {
  [[ $STATUS == "$1" ]] || fail "expected HTTP $1, got $STATUS"
  if (($# > 1)); then
    local type
    type=$(js 'b.type')
    [[ $type == "urn:partnerflow:problem:$2" ]] || fail "expected problem $2, got ${type:-none}"
    printf '← %s %s\n' "$STATUS" "$2"
  else
    printf '← %s %s\n' "$STATUS" "$(js 'b !== null && typeof b === "object" && typeof b.id === "string" ? `id ${b.id}` : ""')"
  fi
}

# expect_eq LABEL EXPRESSION EXPECTED: a field of the answer (js EXPRESSION) is exactly EXPECTED; prints it.
expect_eq() {
  local actual
  actual=$(js "$2")
  [[ $actual == "$3" ]] || fail "$1: expected $3, got ${actual:-nothing}"
  printf '← %s: %s\n' "$1" "$actual"
}

# show LABEL EXPRESSION: prints a field of the answer without checking it (ids, instants).
show() { printf '← %s: %s\n' "$1" "$(js "$2")"; }

# ─── Added for the customers-and-money walkthrough (issue 18) ───────────────────────────────────────────────────────

# send_file METHOD PATH TOKEN FILE CONTENT_TYPE [curl options…]: a file's bytes as the body (an NDJSON import), headers
# such as Idempotency-Key after it.
send_file() {
  local method=$1 path=$2 bearer=$3 file=$4 type=$5
  shift 5
  printf '→ %s %s <%s, %s, %s lines>\n' "$method" "$path" "$(basename "$file")" "$type" "$(wc -l <"$file" | tr -d ' ')"
  STATUS=$(curl -sS -X "$method" "$BASE_URL$path" -H "Authorization: Bearer $bearer" -H "Content-Type: $type" \
    --data-binary "@$file" -o "$WALKTHROUGH_TMP/body" -w '%{http_code}' "$@") || fail "curl could not reach $BASE_URL$path"
  BODY=$(cat "$WALKTHROUGH_TMP/body")
}

# call_headers METHOD PATH TOKEN [JSON] [curl options…]: `call`, keeping the answer's headers for `header`.
call_headers() {
  rm -f "$WALKTHROUGH_TMP/headers"
  call "$@" -D "$WALKTHROUGH_TMP/headers"
}

# header NAME: a header of the last answer of `call_headers` (the last one of that name), without its line end; nothing
# when the answer had none (the caller says what that means).
header() {
  [[ -f $WALKTHROUGH_TMP/headers ]] || fail "no headers kept (call_headers)"
  { grep -i "^$1:" "$WALKTHROUGH_TMP/headers" || true; } | tail -n 1 | cut -d: -f2- | sed 's/^ *//' | tr -d '\r'
}

# urlencode TEXT: TEXT as one percent-encoded query value (Chinese names in a search).
urlencode() { node -e 'process.stdout.write(encodeURIComponent(process.argv[1]))' "$1"; }

# poll LABEL EXPRESSION SECONDS METHOD PATH TOKEN [curl options…]: sends the request again, every half second for at
# most SECONDS, until EXPRESSION over its answer is true. What a workflow writes after the clock moved (a timer fired,
# an activity ran) lands a moment after the clock route answers: read until it is there, never assume it already is.
poll() {
  local label=$1 expression=$2 seconds=$3 first=1 value
  shift 3
  local deadline=$((SECONDS + seconds))
  while :; do
    if ((first)); then call "$@"; else call "$@" >/dev/null; fi
    first=0
    if [[ $STATUS == 2* ]]; then
      value=$(js "$expression") # an assignment, so that a failure to read it stops the walkthrough (set -e)
      [[ $value == true ]] && break
    fi
    ((SECONDS < deadline)) || fail "$label: still not so after ${seconds} s ($expression)"
    sleep 0.5
  done
  printf '← %s\n' "$label"
}

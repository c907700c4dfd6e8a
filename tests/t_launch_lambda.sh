#!/usr/bin/env bash
# The lambda launcher (excam encode --chunk --launcher lambda), against tests/fake_lambda.py:
# a loopback fake of Lambda's Invoke API that recomputes every request's SigV4 signature
# (refusing a wrong one with 403, as AWS does) and runs each accepted invocation through
# the real custom runtime, tools/lambda/bootstrap, which starts `excam worker`:
#  - 2 invocations (with a session token) give the local run's bytes; both were signed
#    right, both events name the coordinator and the storage, and each bootstrap posts its
#    worker's end back to the runtime API once the coordinator is gone;
#  - with S3 storage (tests/fake_s3.py, the same account's credentials in the workers'
#    environment, as a function role gives them): the same bytes, the blobs in the bucket;
#  - a wrong secret: 403 named, exit 1, no output; a missing session token and an unknown
#    function likewise; no credentials or no region: a clear error before any request;
#  - `excam launch --launcher lambda` invokes and returns.
set -euo pipefail
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

need_excam
need_tool python3
need_tool curl # the bootstrap's HTTP client, as in Lambda's Amazon Linux images
CLIP=$(camera_clip)

passed=0 failed=0
ok() { echo "ok   $*"; passed=$((passed + 1)); }
fail() { echo "FAIL $*"; failed=$((failed + 1)); }

TASK=$SCRATCH/task # the function's "zip": the bootstrap and excam, as README.md packs them
mkdir -p "$TASK" "$SCRATCH/tmp" "$SCRATCH/blobs"
cp "$ROOT/tools/lambda/bootstrap" "$TASK/bootstrap"
ln -s "$EXCAM" "$TASK/excam"
export TMPDIR=$SCRATCH/tmp

FAKE_PID= S3_PID=
cleanup() {
    local f
    for f in $FAKE_PID $S3_PID; do
        kill "$f" 2>/dev/null || true
        wait "$f" 2>/dev/null || true # (dead of that SIGTERM: no failure of ours)
    done
    local p
    for p in $(pgrep -f "^$TASK/excam worker" || true); do kill -9 "$p" 2>/dev/null || true; done
    rm -rf "$SCRATCH"
}
trap cleanup EXIT

# The credentials of "the account": the fake Lambda and the fake S3 (tests/fake_s3.py, for
# the Lambda workers' storage) check signatures with them; the workers the fake Lambda
# starts find them in their environment, as in Lambda (the function role's).
export AWS_ACCESS_KEY_ID=AKIDEXCAMTEST AWS_SECRET_ACCESS_KEY='se/cr+et' AWS_SESSION_TOKEN='tok/en='
export AWS_REGION=eu-west-3
unset AWS_DEFAULT_REGION AWS_ENDPOINT_URL AWS_ENDPOINT_URL_LAMBDA AWS_PROFILE
export AWS_SHARED_CREDENTIALS_FILE=$SCRATCH/none AWS_CONFIG_FILE=$SCRATCH/none
python3 "$ROOT/tests/fake_s3.py" --root "$SCRATCH/s3" --bucket excam-test --region eu-west-3 \
    --access-key AKIDEXCAMTEST --secret-key 'se/cr+et' --session-token 'tok/en=' \
    --port-file "$SCRATCH/s3.port" 2>"$SCRATCH/s3.err" &
S3_PID=$!
for _ in $(seq 100); do [[ -s $SCRATCH/s3.port ]] && break; sleep 0.1; done
[[ -s $SCRATCH/s3.port ]] || die "fake_s3.py did not start: $(cat "$SCRATCH/s3.err")"
export AWS_ENDPOINT_URL_S3=http://127.0.0.1:$(cat "$SCRATCH/s3.port")

python3 "$ROOT/tests/fake_lambda.py" --port-file "$SCRATCH/port" --log "$SCRATCH/fake.log" \
    --function excam-worker --region eu-west-3 --access-key AKIDEXCAMTEST --secret 'se/cr+et' \
    --session-token 'tok/en=' --bootstrap "$TASK/bootstrap" --task-root "$TASK" \
    2>"$SCRATCH/fake.err" &
FAKE_PID=$!
for _ in $(seq 100); do [[ -s $SCRATCH/port ]] && break; sleep 0.1; done
[[ -s $SCRATCH/port ]] || die "fake_lambda.py did not start: $(cat "$SCRATCH/fake.err")"
ENDPOINT=http://127.0.0.1:$(cat "$SCRATCH/port")
: >"$SCRATCH/fake.log"

"$EXCAM" encode "$CLIP" --chunk 6 --rebase 16 -q -o "$SCRATCH/local.ivf"

# usage: run NAME [encode args...]; status in $rc, stderr in NAME.log
run() {
    local name=$1
    shift
    rc=0
    timeout 120 "$EXCAM" encode "$CLIP" --chunk 6 --rebase 16 -q --launcher lambda \
        --storage "$SCRATCH/blobs" -o "$SCRATCH/$name.ivf" "$@" 2>"$SCRATCH/$name.log" || rc=$?
}
count() { grep -c "$1" "$SCRATCH/fake.log" || true; }

# 1. Two workers through the fake Lambda.
run good --workers 2 --lambda-function excam-worker --lambda-region eu-west-3 --lambda-endpoint "$ENDPOINT"
if ((rc == 0)) && cmp -s "$SCRATCH/local.ivf" "$SCRATCH/good.ivf"; then
    ok "2 Lambda workers: the local run's bytes"
else
    fail "2 Lambda workers: status $rc"
    sed 's/^/  /' "$SCRATCH/good.log" "$SCRATCH/fake.log"
fi
if (($(count '^invoke ') == 2 && $(count '^refused') == 0)) &&
    (($(grep -cE "\"coordinator\": \"127.0.0.1:[0-9]+\", \"insecure\": false, \"key\": \"[0-9a-f]{64}\", \"name\": \"lambda-[12]\", \"retry_for\": 5, \"storage\": \"$SCRATCH/blobs\"" "$SCRATCH/fake.log") == 2)); then
    ok "2 invocations, signatures verified, events name the coordinator, storage and job key"
else
    fail "the fake saw: $(cat "$SCRATCH/fake.log")"
fi
# The workers leave 5 s (retry_for) after their coordinator; each bootstrap reports it.
for _ in $(seq 200); do (($(count '^response ') == 2)) && break; sleep 0.1; done
if (($(count '^response .* {"exit": 1}') == 2)) && [[ -z $(pgrep -f "^$TASK/excam worker") ]]; then
    ok "both runtimes posted their worker's end ({\"exit\": 1}: the coordinator is gone), no worker left"
else
    fail "runtime responses: $(grep '^response' "$SCRATCH/fake.log"), workers: $(pgrep -f "^$TASK/excam worker" | wc -l)"
fi

# 1b. The realistic storage for Lambda workers: S3 (the fake one), where they find the
#     input chunks and leave the outputs; the same bytes.
: >"$SCRATCH/fake.log"
run s3 --workers 2 --lambda-function excam-worker --lambda-endpoint "$ENDPOINT" \
    --storage s3://excam-test/lambda-jobs
blobs=$(find "$SCRATCH/s3/excam-test/lambda-jobs" -type f 2>/dev/null | wc -l)
if ((rc == 0 && blobs > 10)) && cmp -s "$SCRATCH/local.ivf" "$SCRATCH/s3.ivf" &&
    (($(count '^invoke .*"storage": "s3://excam-test/lambda-jobs"') == 2)); then
    ok "2 Lambda workers on S3 storage ($blobs blobs in the fake S3): the local run's bytes"
else
    fail "Lambda workers on S3 storage: status $rc, $blobs blobs"
    sed 's/^/  /' "$SCRATCH/s3.log" "$SCRATCH/fake.log"
fi

# 2. Refusals.
refused() { # NAME PATTERN [env...] -- encode args
    local name=$1 pat=$2
    shift 2
    local envs=()
    while [[ $1 != -- ]]; do envs+=("$1"); shift; done
    shift
    : >"$SCRATCH/fake.log"
    rc=0
    env "${envs[@]}" timeout 60 "$EXCAM" encode "$CLIP" --chunk 6 -q --launcher lambda \
        --storage "$SCRATCH/blobs" -o "$SCRATCH/$name.ivf" "$@" 2>"$SCRATCH/$name.log" || rc=$?
    if ((rc == 1)) && grep -q -- "$pat" "$SCRATCH/$name.log" && [[ ! -e $SCRATCH/$name.ivf ]] &&
        (($(count '^invoke ') == 0)); then
        ok "$name: $(grep -m1 -- "$pat" "$SCRATCH/$name.log"), exit 1, no output"
    else
        fail "$name: status $rc"
        sed 's/^/  /' "$SCRATCH/$name.log" "$SCRATCH/fake.log"
    fi
}
L=(--workers 2 --lambda-function excam-worker --lambda-region eu-west-3 --lambda-endpoint "$ENDPOINT")
refused "a wrong secret" "invocation 1: HTTP 403: .*signature mismatch" AWS_SECRET_ACCESS_KEY=wrong -- "${L[@]}"
(($(count 'refused 403 signature mismatch') == 1)) && ok "  ...one request, refused by the signature check" ||
    fail "a wrong secret: the fake saw $(cat "$SCRATCH/fake.log")"
refused "no session token" "HTTP 403: .*x-amz-security-token is not signed" -u AWS_SESSION_TOKEN -- "${L[@]}"
refused "a wrong region" "HTTP 403: .*credential scope for us-east-1/lambda" -- --workers 1 \
    --lambda-function excam-worker --lambda-region us-east-1 --lambda-endpoint "$ENDPOINT"
refused "an unknown function" "lambda nosuch at .*: invocation 1: HTTP 404: .*Function not found" -- \
    --workers 2 --lambda-function nosuch --lambda-region eu-west-3 --lambda-endpoint "$ENDPOINT"
refused "no credentials" "no AWS credentials" -u AWS_ACCESS_KEY_ID -- "${L[@]}"
refused "no region" "no region" -u AWS_REGION -- --lambda-function excam-worker --lambda-endpoint "$ENDPOINT"
refused "nothing listening" "invocation 1: .*Couldn't connect" -- --workers 1 \
    --lambda-function excam-worker --lambda-region eu-west-3 --lambda-endpoint "http://127.0.0.1:1"
# The region and endpoint from the environment, as the AWS tools take them.
: >"$SCRATCH/fake.log"
rc=0
AWS_ENDPOINT_URL=$ENDPOINT timeout 30 "$EXCAM" launch --launcher lambda \
    --lambda-function excam-worker --workers 1 --retry-for 1 --coordinator 127.0.0.1:1 \
    --storage "$SCRATCH/blobs" 2>"$SCRATCH/launch.log" || rc=$?
if ((rc == 0)) && (($(count '^invoke .*"retry_for": 1') == 1)); then
    ok "excam launch --launcher lambda, region and endpoint from AWS_REGION/AWS_ENDPOINT_URL"
else
    fail "excam launch --launcher lambda: status $rc"
    sed 's/^/  /' "$SCRATCH/launch.log" "$SCRATCH/fake.log"
fi

# 3. The packaging recipe: a zip Lambda can run (an executable bootstrap at the top, excam,
#    and its libraries, among them libcurl's and libsodium's, under lib/).
rc=0
bash "$ROOT/tools/lambda/package.sh" "$EXCAM" "$SCRATCH/fn.zip" >"$SCRATCH/pkg.log" 2>&1 || rc=$?
if ((rc == 0)) && python3 - "$SCRATCH/fn.zip" <<'EOF'
import sys, zipfile
z = {i.filename: i.external_attr >> 16 for i in zipfile.ZipFile(sys.argv[1]).infolist()}
assert z.get("bootstrap") == 0o100755 and z.get("excam") == 0o100755, z
libs = [n for n in z if n.startswith("lib/")]
assert any("libcurl" in n for n in libs) and any("libsodium" in n for n in libs), libs
assert not any(n.startswith("lib/libc.so") for n in libs), "glibc packed"
EOF
then
    ok "tools/lambda/package.sh: $(cat "$SCRATCH/pkg.log")"
else
    fail "tools/lambda/package.sh: status $rc"
    sed 's/^/  /' "$SCRATCH/pkg.log"
fi

echo "t_launch_lambda: $passed passed, $failed failed"
((failed == 0))

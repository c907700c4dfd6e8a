#!/usr/bin/env bash
# Blob storage over the network, on loopback: nginx with WebDAV (http://), a small S3
# server that checks every SigV4 signature (tests/fake_s3.py, s3://), and a proxy in
# front of nginx that fails 30% of requests (tests/flaky_proxy.py).
#  1. Blob level (build/tests/test_blobstore URI SERVER_DIR): round trips from 0 bytes
#     to 1 MiB, bytes flipped in the server's copy found corrupt and deleted, parallel
#     writers and readers never seeing a partial blob, an unreachable server failing
#     after bounded retries; the same through the flaky proxy (retries logged).
#     The same over https (nginx with a self-signed certificate, CURL_CA_BUNDLE).
#  2. Refusals: S3 with a wrong secret (SignatureDoesNotMatch), no session token, an
#     unknown key; https with a certificate not trusted (no CURL_CA_BUNDLE).
#  3. Jobs: the same clip encoded with excam coordinator + workers + excam encode
#     --coordinator on http://, https://, s3:// and the flaky proxy gives the bytes of
#     the local `excam encode --chunk` run.
#     A server that takes 6 s to answer the coordinator's first GET (longer than
#     --dead-after): the job finishes, the coordinator notes its stalled loop and gives
#     up no worker. (With 2 workers the old loop dropped none either: their heartbeats
#     were read before its timer ran; the drops it prevents need more ready connections
#     than one epoll_wait returns, 256.)
#  4. Decoder states flipped on the server while a job runs: found corrupt by the
#     worker, made again by the coordinator; the same bytes. An input chunk flipped:
#     the job fails saying to submit it again, and submitted again gives the same bytes.
set -euo pipefail
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

need_excam
need_tool python3
need_tool ffmpeg
need_tool openssl
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[[ -x $NGINX ]] || skip "nginx not installed (scripts/deps.sh installs it)"
BLOBTEST=$(dirname "$EXCAM")/tests/test_blobstore # beside the excam under test
[[ -x $BLOBTEST ]] || die "$BLOBTEST is not built (run make tests)"

# libcurl honours proxy variables (as it should for users); loopback stays direct here.
export no_proxy=127.0.0.1,localhost,::1 NO_PROXY=127.0.0.1,localhost,::1

passed=0 failed=0
ok() { echo "ok   $*"; passed=$((passed + 1)); }
fail() { echo "FAIL $*"; failed=$((failed + 1)); }

PIDS=() NGINX_PID=""
cleanup() {
    local p
    for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
    [[ -n $NGINX_PID ]] && kill -QUIT "$NGINX_PID" 2>/dev/null || true
    for p in "${PIDS[@]}" $NGINX_PID; do
        for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$p" 2>/dev/null || true
    done
    wait 2>/dev/null || true
    [[ -n ${EXCAM_KEEP_SCRATCH:-} ]] && echo "scratch kept: $SCRATCH" || rm -rf "$SCRATCH"
}
trap cleanup EXIT

# usage: wait_port_file FILE PID WHAT: the port a server wrote, once it has.
wait_port_file() {
    for _ in $(seq 200); do
        [[ -s $1 ]] && { cat "$1"; return 0; }
        kill -0 "$2" 2>/dev/null || break
        sleep 0.05
    done
    die "$3 did not start"
}

# nginx cannot report a port it picked: take two free ones (http, https) and retry if
# someone else takes them first. The https side has a self-signed certificate for
# 127.0.0.1 (its own CA: $SCRATCH/tls/cert.pem).
start_nginx() {
    local dir=$SCRATCH/nginx port tls_port try
    WWW=$SCRATCH/www
    mkdir -p "$dir/tmp" "$WWW/blobs" "$SCRATCH/tls"
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
        -addext subjectAltName=IP:127.0.0.1 -keyout "$SCRATCH/tls/key.pem" \
        -out "$SCRATCH/tls/cert.pem" 2>"$SCRATCH/tls/openssl.log" ||
        die "openssl cannot make a certificate: $(tail -n 2 "$SCRATCH/tls/openssl.log")"
    for try in 1 2 3 4 5; do
        read -r port tls_port < <(python3 -c 'import socket
s = [socket.socket() for _ in range(2)]
for x in s: x.bind(("127.0.0.1", 0))
print(*(x.getsockname()[1] for x in s))')
        # As root, nginx's workers would run as nobody, who cannot enter the scratch dir.
        cat >"$dir/nginx.conf" <<CONF
$( ((EUID == 0)) && echo "user root;")
worker_processes 2;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 512; }
http {
    access_log $dir/access.log;
    client_body_temp_path $dir/tmp;
    proxy_temp_path $dir/tmp;
    fastcgi_temp_path $dir/tmp;
    uwsgi_temp_path $dir/tmp;
    scgi_temp_path $dir/tmp;
    server {
        listen 127.0.0.1:$port;
        listen 127.0.0.1:$tls_port ssl;
        ssl_certificate $SCRATCH/tls/cert.pem;
        ssl_certificate_key $SCRATCH/tls/key.pem;
        root $WWW;
        location /blobs/ {
            dav_methods PUT DELETE;
            create_full_put_path on;
            dav_access user:rw group:r all:r;
            client_max_body_size 1g;
        }
    }
}
CONF
        "$NGINX" -c "$dir/nginx.conf" -g 'daemon off;' 2>>"$dir/start.log" &
        NGINX_PID=$!
        for _ in $(seq 100); do
            if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null &&
                (exec 3<>"/dev/tcp/127.0.0.1/$tls_port") 2>/dev/null; then
                NGINX_PORT=$port TLS_PORT=$tls_port
                return 0
            fi
            kill -0 "$NGINX_PID" 2>/dev/null || break
            sleep 0.05
        done
        kill -KILL "$NGINX_PID" 2>/dev/null || true
        wait "$NGINX_PID" 2>/dev/null || true
        NGINX_PID=""
    done
    die "nginx did not start: $(tail -n 3 "$dir/start.log" "$dir/error.log" 2>/dev/null)"
}

# The S3 server: bucket excam-test in region eu-west-3, with a session token; the
# clients find the credentials in a profile of an AWS credentials file.
S3_BUCKET=excam-test S3_KEY=AKIAEXCAMTEST S3_SECRET=excam-secret-key S3_TOKEN=excam-session
start_s3() {
    S3_ROOT=$SCRATCH/s3
    python3 "$ROOT/tests/fake_s3.py" --root "$S3_ROOT" --bucket "$S3_BUCKET" \
        --access-key "$S3_KEY" --secret-key "$S3_SECRET" --session-token "$S3_TOKEN" \
        --region eu-west-3 --port-file "$SCRATCH/s3.port" 2>>"$SCRATCH/s3.log" &
    PIDS+=($!)
    S3_PORT=$(wait_port_file "$SCRATCH/s3.port" $! "the S3 server")
    mkdir -p "$SCRATCH/aws"
    cat >"$SCRATCH/aws/credentials" <<CRED
[default]
aws_access_key_id = AKIANOTTHISONE
aws_secret_access_key = wrong

[excam]
aws_access_key_id = $S3_KEY
aws_secret_access_key = $S3_SECRET
aws_session_token = $S3_TOKEN
CRED
    printf '[profile excam]\nregion = eu-west-3\n' >"$SCRATCH/aws/config"
    unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_REGION AWS_DEFAULT_REGION
    export AWS_SHARED_CREDENTIALS_FILE=$SCRATCH/aws/credentials AWS_CONFIG_FILE=$SCRATCH/aws/config
    export AWS_PROFILE=excam AWS_ENDPOINT_URL=http://127.0.0.1:$S3_PORT
    unset AWS_ENDPOINT_URL_S3
}

# usage: start_proxy NAME OPTION...: a proxy in front of nginx; its port in PROXY_PORT.
start_proxy() {
    local name=$1
    shift
    python3 "$ROOT/tests/flaky_proxy.py" --upstream "127.0.0.1:$NGINX_PORT" "$@" \
        --port-file "$SCRATCH/$name.port" 2>>"$SCRATCH/$name.log" &
    PIDS+=($!)
    PROXY_PORT=$(wait_port_file "$SCRATCH/$name.port" $! "the proxy $name")
}

start_nginx
start_s3
start_proxy flaky --fail 0.3 --seed 7
HTTP=http://127.0.0.1:$NGINX_PORT/blobs
HTTPS=https://127.0.0.1:$TLS_PORT/blobs
FLAKY=http://127.0.0.1:$PROXY_PORT/blobs
# The first GET (a job's manifest, which the coordinator reads inside its event loop)
# takes 6 s: longer than --dead-after.
start_proxy slow --fail 0 --slow-gets 1 --slow-ms 6000
SLOW=http://127.0.0.1:$PROXY_PORT/blobs

# ------------------------------------------------------------ 1. blob level
# usage: blob_test NAME URI SERVER_DIR [MIN_RETRIES]
blob_test() {
    local log=$SCRATCH/blob-$1.log summary retries
    if "$BLOBTEST" "$2" "$3" >"$log" 2>&1; then
        summary=$(tail -n 1 "$log")
        retries=$(sed -nE 's/.* ([0-9]+) retries$/\1/p' <<<"$summary")
        # The unreachable-server check makes 9 retries of its own.
        if ((${4:-0} > 0 && retries - 9 < ${4:-0})); then
            fail "$1: only $((retries - 9)) retries through a server failing 30%: $summary"
        else
            ok "$1: $summary"
        fi
    else
        fail "$1: $(grep -m 3 'check failed' "$log" || tail -n 3 "$log")"
    fi
}
blob_test http "$HTTP/unit/" "$WWW/blobs/unit"
blob_test s3 "s3://$S3_BUCKET/unit" "$S3_ROOT/$S3_BUCKET/unit"
blob_test flaky-http "$FLAKY/flaky/" "$WWW/blobs/flaky" 10
CURL_CA_BUNDLE=$SCRATCH/tls/cert.pem blob_test https "$HTTPS/tls/" "$WWW/blobs/tls"
grep -m 2 '^retry: ' "$SCRATCH/blob-flaky-http.log" || true


# ------------------------------------------------------------ 3. jobs (and 2.)
CAMERA=$DATA/clips/camera/bus_352x288_17f.y4m
if [[ -f $CAMERA ]]; then
    input=(-stream_loop 1 -i "$CAMERA")
else
    input=(-f lavfi -i "testsrc2=size=352x288:rate=30,noise=alls=20:allf=t")
fi
ffmpeg -v error -nostdin -y "${input[@]}" -frames:v 24 -vf "scale=176:144" -pix_fmt yuv420p \
    -f yuv4mpegpipe "$SCRATCH/clip.y4m"
ENC=(--chunk 2 --rebase 4 --cpu-used 4)
"$EXCAM" encode "$SCRATCH/clip.y4m" -q "${ENC[@]}" --workers 2 -o "$SCRATCH/local.ivf"

LOG=$SCRATCH/coord.log WLOG=$SCRATCH/workers.log
export CURL_CA_BUNDLE=$SCRATCH/tls/cert.pem # everyone trusts the test's https server
"$EXCAM" coordinator --listen 127.0.0.1:0 --port-file "$SCRATCH/coord.port" \
    --storage "$HTTP/jobs/" --heartbeat 0.2 --dead-after 5 -v >>"$LOG" 2>&1 &
PIDS+=($!)
COORD_PORT=$(wait_port_file "$SCRATCH/coord.port" $! "the coordinator")
WORKERS=()
WARGS=() # more worker options
# usage: start_workers N [ENV=VALUE...]
start_workers() {
    local n=$1 i
    shift
    for ((i = 0; i < n; i++)); do
        env "$@" "$EXCAM" worker --coordinator "127.0.0.1:$COORD_PORT" --retry-for 60 \
            "${WARGS[@]}" 2>>"$WLOG" &
        WORKERS+=($!)
        PIDS+=($!)
    done
}
stop_workers() {
    kill -TERM "${WORKERS[@]}" 2>/dev/null || true
    wait "${WORKERS[@]}" 2>/dev/null || true
    WORKERS=()
}
start_workers 2

# usage: job NAME STORAGE [ENV=VALUE...]: encode the clip on the coordinator's workers.
job() {
    local name=$1 storage=$2
    shift 2
    if env "$@" "$EXCAM" encode "$SCRATCH/clip.y4m" -q "${ENC[@]}" --coordinator \
        "127.0.0.1:$COORD_PORT" --storage "$storage" -o "$SCRATCH/$name.ivf" \
        2>"$SCRATCH/client-$name.log"; then
        if cmp -s "$SCRATCH/$name.ivf" "$SCRATCH/local.ivf"; then
            ok "$name: job on $storage: the same bytes as the local pipeline"
        else
            fail "$name: job on $storage: the output differs from the local pipeline's"
        fi
    else
        fail "$name: job on $storage failed: $(tail -n 3 "$SCRATCH/client-$name.log")"
    fi
}
job http "$HTTP/jobs/"
job https "$HTTPS/jobs-tls/"
job s3 "s3://$S3_BUCKET/jobs"
# Credentials from the environment (they win over the profile) work as well.
job s3-env "s3://$S3_BUCKET/jobs-env" AWS_ACCESS_KEY_ID=$S3_KEY AWS_SECRET_ACCESS_KEY=$S3_SECRET \
    AWS_SESSION_TOKEN=$S3_TOKEN AWS_REGION=eu-west-3

# 2. Refusals: the server rejects the signature, the client says so in one line and
# leaves no output behind.
# usage: refused NAME WANT ENV=VALUE...
refused() {
    local name=$1 want=$2 log=$SCRATCH/client-$1.log
    shift 2
    rm -f "$SCRATCH/$name.ivf"
    if env "$@" "$EXCAM" encode "$SCRATCH/clip.y4m" -q "${ENC[@]}" --coordinator \
        "127.0.0.1:$COORD_PORT" --storage "s3://$S3_BUCKET/refused" -o "$SCRATCH/$name.ivf" \
        2>"$log"; then
        fail "$name: the encode worked"
    elif [[ -e $SCRATCH/$name.ivf ]]; then
        fail "$name: an output file was left behind"
    elif grep -q "$want" "$log" && grep -q "HTTP 403" "$log" && (($(grep -vc '^excam encode: storage: .*retry' "$log") == 1)); then
        ok "$name: refused: $(head -c 300 "$log")"
    else
        fail "$name: not the error wanted ($want): $(head -c 500 "$log")"
    fi
}
refused wrong-secret SignatureDoesNotMatch AWS_ACCESS_KEY_ID=$S3_KEY \
    AWS_SECRET_ACCESS_KEY=not-the-secret AWS_SESSION_TOKEN=$S3_TOKEN
refused no-token InvalidToken AWS_ACCESS_KEY_ID=$S3_KEY AWS_SECRET_ACCESS_KEY=$S3_SECRET
refused wrong-key InvalidAccessKeyId AWS_PROFILE=default
# https with a certificate the client cannot check: refused at once (no retries).
log=$SCRATCH/client-untrusted.log
if env -u CURL_CA_BUNDLE "$EXCAM" encode "$SCRATCH/clip.y4m" -q "${ENC[@]}" --coordinator \
    "127.0.0.1:$COORD_PORT" --storage "$HTTPS/untrusted/" -o "$SCRATCH/untrusted.ivf" 2>"$log"; then
    fail "untrusted: the encode worked"
elif (($(wc -l <"$log") == 1)) && grep -q "127.0.0.1:$TLS_PORT.*certificate" "$log" &&
    [[ ! -e $SCRATCH/untrusted.ivf ]]; then
    ok "untrusted: refused: $(head -c 250 "$log")"
else
    fail "untrusted: not the error wanted: $(head -c 500 "$log")"
fi

# A storage server failing 30% of requests (503 or a dropped connection): the job
# finishes, and the logs show the retries.
job flaky "$FLAKY/jobs-flaky/"
retried=$(cat "$WLOG" "$LOG" "$SCRATCH/client-flaky.log" | grep -c 'storage: .*retry [0-9]' || true)
if ((retried >= 5)); then
    ok "flaky: $retried retries logged ($(grep -h -m 1 'storage: .*retry [0-9]' "$WLOG"))"
else
    fail "flaky: only $retried retries logged"
fi

# A storage server slow to answer the coordinator (6 s, --dead-after 5 s): the workers
# kept sending heartbeats meanwhile, so none is given up for silence.
from=$(($(wc -l <"$LOG") + 1))
job slow "$SLOW/jobs-slow/"
silent=$(tail -n +"$from" "$LOG" | grep -c 'silent for' || true)
busy=$(tail -n +"$from" "$LOG" | grep -c 'event loop was busy' || true)
if ((silent == 0 && busy >= 1)); then
    ok "slow: no worker given up while the coordinator waited for storage ($(tail -n +"$from" "$LOG" | grep -m 1 -o 'the event loop was busy for [0-9.]* s'))"
else
    fail "slow: $silent workers given up for silence while the coordinator waited for storage"
fi

# 4. Blobs flipped on the server while a job runs: slow workers (1 s before each task)
# give a watcher time to damage blobs as they appear, before any task reads them.
# Their blob caches are off: a worker that reads back a state it has just stored would
# take its own copy from memory, which is right, and never see the server's damage.
stop_workers
WARGS=(--cache-mb 0)
start_workers 2 EXCAM_WORKER_SLOW=1

# usage: watch DIR MAGIC N LIST: in the background (pid in WATCHER), flip a byte in the
# middle of each of the first N blobs of DIR starting with MAGIC as they appear, and
# list them in LIST.
watch() {
    local dir=$1 magic=$2 n=$3 list=$4
    (
        flipped=0
        declare -A seen
        for _ in $(seq 3000); do
            for f in "$dir"/*; do
                [[ -f $f && -z ${seen[$f]:-} ]] || continue
                seen[$f]=1
                [[ $(head -c 8 "$f" | tr -d '\0') == "$magic" ]] || continue
                python3 -c 'import sys
f = open(sys.argv[1], "r+b"); data = f.read(); f.seek(len(data) // 2)
f.write(bytes([data[len(data) // 2] ^ 0x5a])); f.close()' "$f"
                echo "$f" >>"$list"
                flipped=$((flipped + 1))
                ((flipped < n)) || exit 0
            done
            sleep 0.02
        done
    ) &
    WATCHER=$!
    PIDS+=($WATCHER)
}

# The first 3 decoder states: their readers find them corrupt, the coordinator has them
# made again, and the output is the same.
from=$(($(wc -l <"$LOG") + 1))
wfrom=$(($(wc -l <"$WLOG") + 1))
watch "$WWW/blobs/jobs-corrupt" EXCAMVP8 3 "$SCRATCH/flipped"
job corrupt "$HTTP/jobs-corrupt/"
wait "$WATCHER" 2>/dev/null || true
nflipped=$(wc -l <"$SCRATCH/flipped" 2>/dev/null || echo 0)
found=$(tail -n +"$wfrom" "$WLOG" | grep -c 'corrupt' || true)
remade=$(tail -n +"$from" "$LOG" | grep -c 'storage lost the .* runs again' || true)
if ((nflipped == 3 && found >= 3 && remade >= 3)); then
    ok "corrupt: $nflipped states flipped on the server, $found found corrupt by workers, $remade made again"
else
    fail "corrupt: $nflipped states flipped, $found found corrupt, $remade made again"
fi
tail -n +"$wfrom" "$WLOG" | grep -m 1 corrupt || true
tail -n +"$from" "$LOG" | grep -m 1 'storage lost' || true

# An input chunk (only the client has those): the job fails saying so, with no output
# left behind; submitted again (the client puts its chunks again), it gives the same bytes.
watch "$WWW/blobs/jobs-source" EXCAMSRC 1 "$SCRATCH/flipped-source"
log=$SCRATCH/client-source.log
if "$EXCAM" encode "$SCRATCH/clip.y4m" -q "${ENC[@]}" --coordinator "127.0.0.1:$COORD_PORT" \
    --storage "$HTTP/jobs-source/" -o "$SCRATCH/source.ivf" 2>"$log"; then
    fail "source: the job worked with an input chunk flipped ($(cat "$SCRATCH/flipped-source" 2>/dev/null))"
elif grep -q 'storage lost input chunk .*corrupt.*submit the job again' "$log" &&
    (($(wc -l <"$log") == 1)) && [[ ! -e $SCRATCH/source.ivf ]]; then
    ok "source: $(head -c 250 "$log")"
else
    fail "source: not the error wanted: $(head -c 400 "$log")"
fi
wait "$WATCHER" 2>/dev/null || true
job source-again "$HTTP/jobs-source/"
stop_workers

for log in "$LOG" "$WLOG" "$SCRATCH"/client-*.log "$SCRATCH"/blob-*.log; do
    if crashed 0 "$log"; then fail "a sanitizer report in $log"; fi
done
echo "$TEST_NAME: $passed passed, $failed failed"
((failed == 0))

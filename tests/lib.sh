# shellcheck shell=bash
# Shared helpers for the shell tests (tests/t_*.sh); sourced, not run.
#
# Exit status convention (tests/run.sh): 0 pass, 77 skip, anything else fail.
# A test that cannot find its test data skips; a test that cannot find the program
# under test fails (a missing binary is a broken build, not a reason to skip).
#
# Environment:
#   EXCAM_DATA  the test data folder (default: <repo>/../shared/data)
#   EXCAM_BIN   the excam CLI to test (default: <repo>/build/excam); t_asan.sh points it
#               at build-asan/excam to rerun the same tests under the sanitizers.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DATA=${EXCAM_DATA:-$ROOT/../shared/data}
EXCAM=${EXCAM_BIN:-$ROOT/build/excam}
# shellcheck disable=SC2034 # used by the tests that source this file
VECTORS=$DATA/vp8-test-vectors

# The name the test reports under.
TEST_NAME=$(basename "$0" .sh)

skip() {
    echo "SKIP: $*"
    exit 77
}

die() {
    echo "$TEST_NAME: $*" >&2
    exit 1
}

need_data() {
    local p
    for p in "$@"; do
        [[ -e $DATA/$p ]] || skip "test data $DATA/$p not found (set EXCAM_DATA)"
    done
}

need_excam() {
    [[ -x $EXCAM ]] || die "$EXCAM is not built (run make)"
}

need_tool() {
    command -v "$1" >/dev/null 2>&1 || skip "$1 not installed"
}

# A scratch directory, removed on exit.
SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/excam-$TEST_NAME.XXXXXX")
trap 'rm -rf "$SCRATCH"' EXIT

# True if a command's exit status or log shows a crash or a sanitizer report.
# usage: crashed STATUS LOGFILE
crashed() {
    (($1 >= 128)) && return 0
    grep -qE 'ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:|SUMMARY: UndefinedBehaviorSanitizer' "$2"
}

# Little-endian unsigned integer of WIDTH (1, 2, 4) bytes at OFFSET of FILE.
# usage: le_uint FILE OFFSET WIDTH
le_uint() {
    od -An -tu"$3" -j "$2" -N "$3" "$1" | tr -d ' \n'
}

# Number of frames of an IVF file, counted by walking its frame headers (the
# header's own count is not trusted).
ivf_frame_count() {
    local file=$1 size off n=0 len
    size=$(stat -c %s "$file")
    off=$(le_uint "$file" 6 2)
    while ((off + 12 <= size)); do
        len=$(le_uint "$file" "$off" 4)
        off=$((off + 12 + len))
        ((off <= size)) || break
        n=$((n + 1))
    done
    echo "$n"
}

# Byte offset of the end of frame N (0-based) of an IVF file: keeping that many bytes
# keeps frames 0..N.
ivf_frame_end() {
    local file=$1 want=$2 off i len
    off=$(le_uint "$file" 6 2)
    for ((i = 0; i <= want; i++)); do
        len=$(le_uint "$file" "$off" 4)
        off=$((off + 12 + len))
    done
    echo "$off"
}

# Compare two `--md5` listings line by line.
# usage: md5_compare EXPECTED ACTUAL
# Prints nothing and returns 0 when equal; otherwise prints where they first differ
# and returns 1.
md5_compare() {
    cmp -s "$1" "$2" && return 0
    awk '
        FILENAME == ARGV[1] { want[FNR] = $0; n = FNR; next }
        { got[FNR] = $0; m = FNR }
        END {
            for (i = 1; i <= (n > m ? n : m); i++) {
                if (i > n || i > m || want[i] != got[i]) {
                    printf "first difference at line %d:\n  expected: %s\n  got:      %s\n",
                           i, (i <= n) ? want[i] : "(end)", (i <= m) ? got[i] : "(end)"
                    break
                }
            }
            printf "  (%d lines expected, %d got)\n", n, m
        }' "$1" "$2"
    return 1
}

# A short camera clip (bus, 352x288, 17 frames) from the test data, or, without it, a
# synthetic one of the same size made in the scratch directory: tests that need only
# some real-looking video run either way. Prints its path.
camera_clip() {
    local clip=$DATA/clips/camera/bus_352x288_17f.y4m
    if [[ ! -f $clip ]]; then
        clip=$SCRATCH/synthetic_352x288_17f.y4m
        [[ -f $clip ]] || ffmpeg -v error -nostdin -f lavfi \
            -i "testsrc2=size=352x288:rate=30,noise=alls=16:allf=t" -frames:v 17 \
            -pix_fmt yuv420p -f yuv4mpegpipe "$clip" || die "ffmpeg cannot make a test clip"
    fi
    echo "$clip"
}

# A free TCP port on 127.0.0.1 (it may be taken by the time it is used: retry).
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# A throwaway sshd for the ssh launcher's tests, on a free loopback port, with a host key
# and a user key of its own in $SCRATCH (root logs in with that key only); its log is
# $SCRATCH/sshd.log. Skips the test where sshd cannot run (not installed, not root).
# Sets SSHD_PID (the caller kills it on exit), SSHD_PORT, SSH_OPTS (ssh's options to log
# in) and SSH_OPT_ARGS (the same as excam's --ssh-opt=... arguments).
start_sshd() {
    local sshd=/usr/sbin/sshd o
    need_tool ssh
    need_tool ssh-keygen
    need_tool python3
    [[ -x $sshd ]] || skip "$sshd not installed (Debian package openssh-server)"
    # sshd insists on its privilege separation directory, even when it runs on its own.
    if [[ ! -d /run/sshd ]]; then
        mkdir -p /run/sshd 2>/dev/null || skip "/run/sshd is missing and cannot be made (not root)"
    fi
    [[ $(id -u) == 0 ]] || skip "sshd must run as root to log in as root (the throwaway key's user)"
    ssh-keygen -q -t ed25519 -N '' -f "$SCRATCH/host_key"
    ssh-keygen -q -t ed25519 -N '' -f "$SCRATCH/user_key"
    cp "$SCRATCH/user_key.pub" "$SCRATCH/authorized_keys"
    cat >"$SCRATCH/sshd_config" <<CONF
ListenAddress 127.0.0.1
HostKey $SCRATCH/host_key
PidFile $SCRATCH/sshd.pid
AuthorizedKeysFile $SCRATCH/authorized_keys
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
X11Forwarding no
PrintMotd no
CONF
    SSH_OPTS=(-i "$SCRATCH/user_key" -o IdentitiesOnly=yes -o UserKnownHostsFile=/dev/null
              -o StrictHostKeyChecking=no -o LogLevel=ERROR)
    SSH_OPT_ARGS=()
    for o in "${SSH_OPTS[@]}"; do SSH_OPT_ARGS+=("--ssh-opt=$o"); done
    SSHD_PID=
    for _ in 1 2 3 4 5; do # a free port can be taken between the check and the bind
        SSHD_PORT=$(free_port)
        "$sshd" -D -e -f "$SCRATCH/sshd_config" -p "$SSHD_PORT" 2>>"$SCRATCH/sshd.log" &
        SSHD_PID=$!
        for _ in $(seq 50); do # up to 5 s
            ssh "${SSH_OPTS[@]}" -o BatchMode=yes -p "$SSHD_PORT" root@127.0.0.1 true 2>/dev/null && return 0
            kill -0 "$SSHD_PID" 2>/dev/null || break
            sleep 0.1
        done
        kill "$SSHD_PID" 2>/dev/null || true
        wait "$SSHD_PID" 2>/dev/null || true
        SSHD_PID=
    done
    sed 's/^/  /' "$SCRATCH/sshd.log"
    die "sshd did not start on 127.0.0.1 (see above)"
}

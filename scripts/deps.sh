#!/usr/bin/env bash
# Install the Debian packages excam needs, if any is missing (Debian 12 or later).
# Runs `apt-get update` once, and only when something must be installed.
# usage: scripts/deps.sh [--check]   (--check: list what is missing, install nothing;
#                                     exit status 1 if something is)
set -euo pipefail

# What each package is for:
#   build-essential pkg-config   the compiler, make and pkg-config
#   libsodium-dev                BLAKE2b state hashes, authentication
#   libssl-dev                   MD5 listings (libcrypto), TLS
#   libprotobuf-c-dev protobuf-c-compiler   the coordinator/worker wire format
#   libcurl4-openssl-dev         blob storage over http/S3
#   libvpx-dev vpx-tools         libvpx: test oracle (vpxdec/vpxenc), benchmark baseline
#   libavformat-dev              WebM output and input (tools/webm.c)
#   mkvtoolnix                   mkvinfo, to check the WebM files in the tests
#   ffmpeg                       test and benchmark inputs (camera clips to Y4M, WebM to IVF)
#   clang libclang-rt-dev        libFuzzer targets (make fuzz)
#   gnuplot-nox                  RD plots (PNG) in make bench
#   nginx                        http:// blob storage tests: WebDAV PUT/DELETE on loopback
#                                (the core dav module; the dav-ext package is not needed)
#   python3                      test helpers: fake S3 server, flaky proxy, hostile peer,
#                                the fake Lambda of t_launch_lambda (tests/fake_lambda.py)
#   openssl                      a self-signed certificate for the https storage test
#   python3-yaml                 the Kubernetes manifest check (t_launch_k8s)
#   openssh-client openssh-server   the ssh launcher (t_launch_ssh, t_burst start their own sshd on loopback)
#   slurmctld slurmd slurm-client munge   the slurm launcher (t_launch_slurm runs a one-node
#                                Slurm with its own munged on localhost)
#   curl                         tools/lambda/bootstrap's HTTP client, run by t_launch_lambda
PACKAGES=(
    build-essential pkg-config
    libsodium-dev libssl-dev
    libprotobuf-c-dev protobuf-c-compiler
    libcurl4-openssl-dev
    libvpx-dev vpx-tools
    libavformat-dev mkvtoolnix
    ffmpeg
    clang libclang-rt-dev
    gnuplot-nox
    nginx
    python3 openssl
    python3-yaml
    openssh-client openssh-server
    slurmctld slurmd slurm-client munge
    curl
)

missing=()
for p in "${PACKAGES[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    [[ $status == "install ok installed" ]] || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
    echo "deps: all ${#PACKAGES[@]} packages are installed"
    exit 0
fi
if [[ ${1:-} == --check ]]; then
    echo "deps: missing: ${missing[*]}"
    exit 1
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "deps: apt-get not found; install these packages by hand: ${missing[*]}" >&2
    exit 1
fi
SUDO=()
if (($(id -u) != 0)); then
    command -v sudo >/dev/null 2>&1 || {
        echo "deps: not root and no sudo; as root run: apt-get install ${missing[*]}" >&2
        exit 1
    }
    SUDO=(sudo)
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -q
"${SUDO[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"

#!/usr/bin/env bash
# Write the man page (doc/excam.1) from the CLI's own --help texts, so that the page
# and the program cannot disagree: the commands come from `excam --help`, each one's
# options from `excam CMD --help` (word for word, as a preformatted block); the rest
# (exit status, environment, examples) is written here. tests/t_doc.sh checks that
# doc/excam.1 is what this script makes of the current build.
#
# usage: scripts/mkman.sh [EXCAM] > doc/excam.1     (EXCAM: default build/excam)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
EXCAM=${1:-$ROOT/build/excam}
[[ -x $EXCAM ]] || { echo "mkman.sh: $EXCAM is not built (run make)" >&2; exit 1; }
export LC_ALL=C

# roff-safe text: backslashes doubled, a leading . or ' protected.
esc() { sed -e 's/\\/\\e/g' -e "s/^\\([.']\\)/\\\\\\&\\1/"; }

version=$("$EXCAM" --version | awk 'NR == 1 { print $NF }')
mapfile -t cmds < <("$EXCAM" --help | awk '/^Commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 } on && /^$/ { on = 0 }')

cat <<ROFF
.\\" Made by scripts/mkman.sh from the --help texts of excam $version; do not edit.
.TH EXCAM 1 "" "excam $version" "User Commands"
.SH NAME
excam \\- a massively parallel VP8 encoder (ExCamera) and an explicit-state VP8 codec
.SH SYNOPSIS
.B excam
.I command
.RI [ options ]
.br
.B excam encode
.I IN.y4m
.B \\-\\-chunk 6 \\-\\-rebase 16 \\-o
.I out.ivf
.SH DESCRIPTION
.B excam
encodes video to VP8 (RFC 6386) in parallel, as ExCamera does ("Encoding, Fast and
Slow", NSDI '17): the video is cut into chunks of
.I n
frames encoded at once by many workers, each chunk's first frame is encoded again on the
state the previous chunk ends in, and the chunks are then rebased one onto the other, so
that one stream with a key frame every
.I x
chunks comes out. The workers are local processes, or run on other hosts and dial a
coordinator; they share a content-addressed blob store. The codec's whole decoder state
is an explicit value that can be saved, hashed and sent to another process.
.PP
Frames are numbered from 1 in messages. Bad input gives one error line naming the file
(and the frame), and no output file: outputs are written to a temporary file and renamed
into place only when complete.
.SH COMMANDS
ROFF
for c in "${cmds[@]}"; do
    echo ".SS excam $c"
    echo ".nf"
    "$EXCAM" "$c" --help | esc
    echo ".fi"
done
cat <<'ROFF'
.SH EXIT STATUS
.TP
.B 0
Success.
.TP
.B 1
An error: unreadable, malformed or truncated input, a write error, a failed or cancelled
job, a coordinator that cannot be reached; one line on standard error names the file or
peer and the problem, and no partial output is left.
.TP
.B 2
A usage error: an unknown option, a bad value, a missing argument; followed by a hint
to run
.BR "excam \fIcommand\fB \-\-help" .
.TP
.B 128+N
Stopped by signal N (130 for Ctrl-C, 143 for SIGTERM) after stopping the workers it
started and removing its temporary files.
.SH ENVIRONMENT
.TP
.B EXCAM_STORAGE
The blob store of
.B excam encode \-\-coordinator
when
.B \-\-storage
is not given.
.TP
.B TMPDIR
Where local runs keep their work directory (removed at the end).
.TP
.B EXCAM_SSH
Extra arguments for ssh (words) of the ssh launcher.
.TP
.B EXCAM_CPU
The highest instruction set the codec's SIMD kernels may use:
.BR c ,
.BR sse2 ,
.BR ssse3 ,
.B sse4.1
or
.B avx2
(default: the best this CPU has; every level gives the same bytes).
.TP
.B AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_REGION, AWS_ENDPOINT_URL
The credentials, region and endpoint of the lambda launcher.
.SH EXAMPLES
.nf
excam encode in.y4m \-o out.ivf                      # serial, constant quality
excam encode in.y4m \-\-chunk 6 \-\-rebase 16 \-o out.webm # ExCamera[6,16] on all CPUs
excam decode in.ivf \-\-threads 0 \-\-md5                # on every CPU
excam plan in.y4m \-\-deadline 60                     # the cheapest plan done in a minute
excam coordinator \-\-listen 0.0.0.0:7700 \-\-storage /shared/blobs
excam worker \-\-coordinator host:7700                # on every host, one per core
excam encode in.y4m \-\-chunk 6 \-\-coordinator host:7700 \-\-storage /shared/blobs \-o out.ivf
excam encode in.y4m \-\-chunk 6 \-\-launcher ssh \-\-hosts hosts.txt \-\-key job.key \-\-storage /nfs/b \-o out.ivf
excam decode out.ivf \-\-md5                          # as vpxdec \-\-md5 \-\-i420 prints
.fi
.SH SEE ALSO
.BR vpxenc (1),
.BR vpxdec (1),
.BR ffmpeg (1)
ROFF

/* Shared by the excam subcommands: messages, number parsing, the subcommand table. */
#ifndef EXCAM_TOOLS_CLI_H
#define EXCAM_TOOLS_CLI_H

#include <stdint.h>

/* Exit statuses: 0 success, 1 failure (bad input, I/O), 2 usage error. */
enum { EXIT_USAGE = 2 };

/* "excam: <message>\n" on stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Set by a command while its "\r" progress line is the last thing on stderr: cli_error
 * and cli_progress_break then end that line first. */
extern int cli_progress_shown;
/* Before a message on stderr: end the progress line, if one is showing. */
void cli_progress_break(void);
/* "excam <cmd>: <message>\nTry 'excam <cmd> --help'.\n" on stderr; returns EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Parse a non-negative decimal integer no larger than max; 0 on success, -1 if not. */
int cli_parse_uint(const char *s, unsigned long max, unsigned long *out);

/* The encoder speed 0..9 of a preset (--good, --best, --rt) and --cpu-used (vpxenc's
 * -16..16, -1 when not given): shared by encode and plan. */
enum { CLI_GOOD, CLI_BEST, CLI_RT };
int cli_speed(int preset, int cpu);

/* Keep big buffers (pictures of megabytes) in the heap once freed, instead of glibc's
 * default of mapping each afresh and unmapping it on free: a new mapping's pages fault
 * in zeroed every time, which cost a 1080p decode a sixth of its time (sys). For
 * commands whose working set is steady: decode, encode, worker. */
void cli_keep_buffers(void);

/* --threads N: N in [0, 64], 0 meaning one per online CPU. Returns 0 or, after a
 * usage message, EXIT_USAGE. */
int cli_parse_threads(const char *cmd, const char *arg, int *threads);

/* Lowercase hex of n bytes into out (2n+1 chars). */
void cli_hex(const uint8_t *p, int n, char *out);

#include <stddef.h>

/* A whole file into a malloc'd buffer; NULL with errno set if it cannot be read. */
uint8_t *cli_read_file(const char *path, size_t *len);

struct excam_vp8_state;
/* Read a state written by `excam state dump` (or excam_vp8_state_serialize).
 * 0 on success; -1 with "excam: PATH: ..." printed. */
int cli_load_state(const char *path, struct excam_vp8_state **out);

/* Print "excam: FILE: frame N: <what the decoder said>" for a decode error. */
void cli_decode_error(const char *file, unsigned frame, int err);

/* The last path component without its extension ("a/b/x.ivf" -> "x"), allocated. */
char *cli_stem(const char *path);

/* The subcommands: main-like, argv[0] is the subcommand's name. */
int cmd_decode(int argc, char **argv);
int cmd_encode(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_state(int argc, char **argv);
int cmd_coordinator(int argc, char **argv);
int cmd_worker(int argc, char **argv);
int cmd_jobs(int argc, char **argv);
int cmd_cancel(int argc, char **argv);
int cmd_plan(int argc, char **argv);
int cmd_keygen(int argc, char **argv);
int cmd_launch(int argc, char **argv);
int cmd_k8s_manifest(int argc, char **argv);

#endif

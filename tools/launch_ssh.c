/*
 * The ssh launcher: `ssh HOST excam worker --coordinator ...` for each slot of a hosts
 * file, through OpenSSH (so ~/.ssh/config, agents and keys work as the user has them).
 *
 * A worker must not outlive its launcher, yet sshd does not stop a command without a
 * terminal when the connection goes (and a terminal mangles the output). So the remote
 * side is a small sh wrapper: it runs the worker in the background and reads its own
 * stdin, which is a pipe held open by the launcher; EOF there (we close the pipe to stop
 * it, or we died, or the connection broke) kills the worker. Ending the session when the
 * worker ends by itself needs the reader to hold nothing sshd waits for.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "launch_int.h"

/* $1 excam, $2 HOST:PORT, $3 name, $4 retry-for, then more worker options (--key FILE,
 * --insecure). A background list's stdin is /dev/null unless redirected, hence fd 3. */
static const char wrapper[] =
    "exec 3<&0 </dev/null; e=$1 c=$2 n=$3 r=$4; shift 4; "
    "\"$e\" worker --coordinator \"$c\" --name \"$n\" --retry-for \"$r\" \"$@\" 3<&- & w=$!; "
    "{ cat <&3; kill $w; } >/dev/null 2>&1 & "
    "exec 3<&-; wait $w";

typedef struct ssh_worker {
    launch_proc proc;
    char host[300];  /* as in the hosts file, for messages */
    char dest[300];  /* [user@]host */
    char log[4300];  /* ssh's stderr, with the remote worker's ("": inherited) */
    char port_opt[24];
    char *command;   /* the remote command line (allocated) */
    char *argv[80];
} ssh_worker;

typedef struct ssh_state {
    ssh_worker *w;
    int n;
    char *env_words; /* $EXCAM_SSH, split in place into the argvs */
} ssh_state;

/* One host of the file. */
typedef struct ssh_host {
    char dest[300];   /* [user@]host for ssh */
    char port[24];    /* "" or the port */
    char spec[300];   /* as written */
    int slots;
} ssh_host;

/* 'text' quoted for a POSIX shell. */
static char *shell_quote(const char *s)
{
    size_t n = 3;
    for (const char *p = s; *p; p++) n += *p == '\'' ? 4 : 1;
    char *q = malloc(n), *o = q;
    if (!q) return NULL;
    *o++ = '\'';
    for (const char *p = s; *p; p++) {
        if (*p == '\'') {
            memcpy(o, "'\\''", 4);
            o += 4;
        } else {
            *o++ = *p;
        }
    }
    *o++ = '\'';
    *o = '\0';
    return q;
}

/* "[user@]host[:port]" (an IPv6 address with a port in brackets). 0, or -1 with why. */
static int parse_dest(const char *spec, ssh_host *h, const char **why)
{
    const char *at = strchr(spec, '@');
    const char *host = at ? at + 1 : spec, *port = NULL;
    size_t user_len = at ? (size_t)(at - spec) + 1 : 0, host_len;
    if (at && at == spec) return *why = "an empty user name", -1;
    if (*host == '[') {
        const char *end = strchr(host, ']');
        if (!end) return *why = "a '[' without ']'", -1;
        host_len = (size_t)(end - host) - 1;
        host++;
        if (end[1] == ':') port = end + 2;
        else if (end[1]) return *why = "text after ']'", -1;
    } else {
        const char *colon = strchr(host, ':');
        if (colon && !strchr(colon + 1, ':')) {
            host_len = (size_t)(colon - host);
            port = colon + 1;
        } else {
            host_len = strlen(host); /* an IPv6 address without a port */
        }
    }
    if (!host_len) return *why = "no host name", -1;
    if (port) {
        unsigned long v;
        if (cli_parse_uint(port, 65535, &v) || !v) return *why = "the port is not 1..65535", -1;
        snprintf(h->port, sizeof(h->port), "%lu", v);
    } else {
        h->port[0] = '\0';
    }
    if (user_len + host_len >= sizeof(h->dest)) return *why = "too long", -1;
    memcpy(h->dest, spec, user_len);
    memcpy(h->dest + user_len, host, host_len);
    h->dest[user_len + host_len] = '\0';
    snprintf(h->spec, sizeof(h->spec), "%s", spec);
    return 0;
}

/* The hosts file into *hosts; 0, or 1 after printing FILE:LINE and the problem. */
static int read_hosts(const char *path, ssh_host **hosts, int *n)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        cli_error("%s: %s", path, strerror(errno));
        return 1;
    }
    char line[1024];
    int lineno = 0, cap = 0;
    *hosts = NULL;
    *n = 0;
    while (fgets(line, sizeof(line), f)) {
        lineno++;
        line[strcspn(line, "#\r\n")] = '\0';
        char *save, *dest = strtok_r(line, " \t", &save);
        if (!dest) continue;
        char *slots = strtok_r(NULL, " \t", &save), *extra = strtok_r(NULL, " \t", &save);
        const char *why = NULL;
        ssh_host h;
        unsigned long v = 1;
        if (extra) why = "more than \"[user@]host[:port] [slots]\"";
        else if (slots && (cli_parse_uint(slots, 4096, &v) || !v)) why = "slots must be 1..4096";
        else parse_dest(dest, &h, &why);
        if (why) {
            cli_error("%s:%d: '%s': %s", path, lineno, dest, why);
            goto fail;
        }
        h.slots = (int)v;
        if (*n == cap) {
            cap = cap ? 2 * cap : 16;
            ssh_host *p = realloc(*hosts, (size_t)cap * sizeof(*p));
            if (!p) {
                cli_error("out of memory");
                goto fail;
            }
            *hosts = p;
        }
        (*hosts)[(*n)++] = h;
    }
    if (ferror(f)) {
        cli_error("%s: read error", path);
        goto fail;
    }
    fclose(f);
    if (!*n) {
        cli_error("%s: no hosts in it", path);
        free(*hosts);
        return 1;
    }
    return 0;
fail:
    fclose(f);
    free(*hosts);
    *hosts = NULL;
    return 1;
}

static void exec_ssh(void *arg)
{
    ssh_worker *w = arg;
    execvp("ssh", w->argv);
    fprintf(stderr, "ssh: cannot run ssh: %s\n", strerror(errno));
}

static void free_state(ssh_state *s)
{
    if (!s) return;
    for (int i = 0; i < s->n; i++) free(s->w[i].command);
    free(s->w);
    free(s->env_words);
    free(s);
}

/* Report the workers that ended since the last call; the number still running. */
static int check_workers(ssh_state *s, int quiet_if_none)
{
    int alive = 0;
    for (int i = 0; i < s->n; i++) {
        ssh_worker *w = &s->w[i];
        if (!launch_proc_exited(&w->proc)) {
            alive++;
            continue;
        }
        if (w->proc.reported) continue;
        w->proc.reported = 1;
        char how[64], last[512];
        launch_proc_describe(w->proc.status, how, sizeof(how));
        launch_last_line(w->log, last, sizeof(last));
        cli_error("ssh %s: the worker stopped (%s)%s%s", w->host, how, *last ? ": " : "", last);
    }
    if (!alive && !quiet_if_none) cli_error("no ssh worker is left");
    return alive;
}

static int ssh_check(void *state)
{
    return check_workers(state, 0);
}

static void ssh_stop(void *state)
{
    ssh_state *s = state;
    if (!s) return;
    check_workers(s, 1); /* those that failed before we stop them */
    for (int i = 0; i < s->n; i++) s->w[i].proc.reported = 1;
    double end = launch_now() + 10;
    for (int i = 0; i < s->n; i++)
        if (s->w[i].proc.stdin_fd >= 0) {
            close(s->w[i].proc.stdin_fd); /* EOF: the remote wrapper kills its worker */
            s->w[i].proc.stdin_fd = -1;
        }
    for (int i = 0; i < s->n; i++) {
        launch_proc *p = &s->w[i].proc;
        while (!launch_proc_exited(p) && launch_now() < end) usleep(20000);
        if (p->pid) launch_proc_stop_all(p, 1, 0, 1); /* a stuck session: SIGTERM, SIGKILL */
    }
    free_state(s);
}

static int ssh_start(const launch_opts *o, void **state)
{
    ssh_host *hosts = NULL;
    int nhosts = 0;
    if (read_hosts(o->hosts_file, &hosts, &nhosts)) return 1;
    ssh_state *s = calloc(1, sizeof(*s));
    int total = 0;
    for (int i = 0; i < nhosts; i++) total += o->per_host ? o->per_host : hosts[i].slots;
    char self[4096], retry[32];
    const char *excam = o->remote_excam;
    if (!excam) {
        if (launch_self_path(self, sizeof(self))) {
            cli_error("cannot tell where this excam is (/proc/self/exe): give --remote-excam PATH");
            goto fail;
        }
        excam = self;
    }
    snprintf(retry, sizeof(retry), "%g", o->retry_for ? o->retry_for : 60);
    const char *env = getenv("EXCAM_SSH");
    if (!s || !(s->w = calloc((size_t)total, sizeof(*s->w))) ||
        (env && !(s->env_words = strdup(env)))) {
        cli_error("out of memory");
        goto fail;
    }
    char *env_argv[32];
    int n_env = 0;
    if (s->env_words)
        for (char *save, *t = strtok_r(s->env_words, " \t\n", &save); t;
             t = strtok_r(NULL, " \t\n", &save)) {
            if (n_env == 32) {
                cli_error("EXCAM_SSH: more than 32 words");
                goto fail;
            }
            env_argv[n_env++] = t;
        }
    char *q_script = shell_quote(wrapper), *q_excam = shell_quote(excam);
    char *q_coord = shell_quote(o->coordinator), *q_retry = shell_quote(retry);
    char *q_key = shell_quote(o->key_file ? o->key_file : "");
    char *q_ca = shell_quote(o->tls_ca ? o->tls_ca : "");
    int started = 0, failed = 0;
    for (int h = 0; h < nhosts && !(o->at_most && s->n >= o->at_most); h++) {
        int count = o->per_host ? o->per_host : hosts[h].slots;
        for (int k = 0; k < count && !(o->at_most && s->n >= o->at_most); k++) {
            ssh_worker *w = &s->w[s->n];
            char name[65];
            snprintf(name, sizeof(name), "ssh-%d-%.40s", s->n + 1, hosts[h].dest); /* unique */
            char *q_name = shell_quote(name);
            size_t len = 64 + (q_script ? strlen(q_script) : 0) + (q_excam ? strlen(q_excam) : 0) +
                         (q_coord ? strlen(q_coord) : 0) + (q_name ? strlen(q_name) : 0) +
                         (q_retry ? strlen(q_retry) : 0) + (q_key ? strlen(q_key) : 0) +
                         (q_ca ? strlen(q_ca) : 0) + 16;
            w->command = q_script && q_excam && q_coord && q_retry && q_name && q_key && q_ca
                             ? malloc(len) : NULL;
            if (!w->command) {
                free(q_name);
                cli_error("out of memory");
                failed = -1;
                break;
            }
            snprintf(w->command, len, "exec sh -c %s excam-worker %s %s %s %s%s%s%s%s%s", q_script,
                     q_excam, q_coord, q_name, q_retry, o->key_file ? " --key " : "",
                     o->key_file ? q_key : "", o->tls_ca ? " --tls-ca " : "", o->tls_ca ? q_ca : "",
                     o->insecure ? " --insecure" : "");
            free(q_name);
            snprintf(w->host, sizeof(w->host), "%s", hosts[h].spec);
            snprintf(w->dest, sizeof(w->dest), "%s", hosts[h].dest);
            w->log[0] = '\0';
            if (o->log_dir) snprintf(w->log, sizeof(w->log), "%s/ssh-%d.log", o->log_dir, s->n + 1);
            int a = 0;
            w->argv[a++] = "ssh";
            for (int i = 0; i < n_env; i++) w->argv[a++] = env_argv[i];
            for (int i = 0; i < o->n_ssh_opts; i++) w->argv[a++] = (char *)o->ssh_opts[i];
            /* After the user's: for ssh the first value of an option wins. */
            w->argv[a++] = "-T";
            w->argv[a++] = "-o";
            w->argv[a++] = "BatchMode=yes";
            w->argv[a++] = "-o";
            w->argv[a++] = "ConnectTimeout=10";
            w->argv[a++] = "-o";
            w->argv[a++] = "ServerAliveInterval=15";
            if (hosts[h].port[0]) {
                snprintf(w->port_opt, sizeof(w->port_opt), "%s", hosts[h].port);
                w->argv[a++] = "-p";
                w->argv[a++] = w->port_opt;
            }
            w->argv[a++] = "--";
            w->argv[a++] = w->dest;
            w->argv[a++] = w->command;
            w->argv[a] = NULL;
            s->n++;
            if (launch_proc_spawn(&w->proc, *w->log ? w->log : NULL, 1, 1, exec_ssh, w)) {
                cli_error("ssh %s: cannot start ssh: %s", w->host, strerror(errno));
                w->proc.reported = 1;
                continue;
            }
            started++;
        }
        if (failed) break;
    }
    free(q_script);
    free(q_excam);
    free(q_coord);
    free(q_retry);
    free(q_key);
    free(q_ca);
    free(hosts);
    hosts = NULL;
    if (failed || !started) {
        if (!failed) cli_error("%s: no ssh worker could be started", o->hosts_file);
        ssh_stop(s);
        return 1;
    }
    *state = s;
    return 0;
fail:
    free(hosts);
    free_state(s);
    return 1;
}

static int ssh_capacity(const launch_opts *o)
{
    ssh_host *hosts;
    int n, slots = 0;
    if (read_hosts(o->hosts_file, &hosts, &n)) return -1;
    for (int i = 0; i < n; i++) slots += o->per_host ? o->per_host : hosts[i].slots;
    free(hosts);
    return slots;
}

const launch_ops launch_ssh_ops = {"ssh", ssh_start, ssh_check, ssh_stop, ssh_capacity};

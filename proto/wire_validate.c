/*
 * wire_validate (proto/wire.h): every field of every message checked against the
 * rules written beside it in proto/excam.proto, so that the code handling a message
 * can trust it. The first problem found is reported as "path: what", the path naming
 * the field as in the .proto ("job_submit.input_manifest.hash").
 */
#include "wire.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Where a problem is reported, and the path of the field being checked. */
typedef struct check {
    char *why;
    size_t whylen;
    char path[96];
} check;

static int fail(check *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(check *c, const char *fmt, ...)
{
    va_list ap;
    int n;
    if (c->why && c->whylen) {
        n = snprintf(c->why, c->whylen, "%s: ", c->path);
        if (n >= 0 && (size_t)n < c->whylen) {
            va_start(ap, fmt);
            vsnprintf(c->why + n, c->whylen - (size_t)n, fmt, ap);
            va_end(ap);
        }
    }
    return WIRE_EMALFORMED;
}

/* Descend into a field: the current path gets ".name" (or "name" at the top) or
 * "[index]" (name NULL); returns the old length, to give back to leave(). */
static size_t enter(check *c, const char *name, size_t index)
{
    size_t old = strlen(c->path);
    if (name)
        snprintf(c->path + old, sizeof(c->path) - old, "%s%s", old ? "." : "", name);
    else
        snprintf(c->path + old, sizeof(c->path) - old, "[%zu]", index);
    return old;
}

static void leave(check *c, size_t old) { c->path[old] = '\0'; }

/* Descend into entry i of the repeated field `name`. */
static size_t enter_entry(check *c, const char *name, size_t i)
{
    size_t old = enter(c, name, 0);
    enter(c, NULL, i);
    return old;
}

/* Run the check `expr` with the path extended by `descend` (an enter() call); return
 * its error if it fails. FIELD descends into a named field, ITEM into entry i of a
 * repeated one (the path is at the field already), ENTRY into entry i of a named one. */
#define SCOPED(c, descend, expr)                                                             \
    do {                                                                                     \
        size_t old_ = (descend);                                                             \
        int err_ = (expr);                                                                   \
        leave((c), old_);                                                                    \
        if (err_)                                                                            \
            return err_;                                                                     \
    } while (0)
#define FIELD(c, name, expr) SCOPED(c, enter((c), (name), 0), expr)
#define ITEM(c, i, expr) SCOPED(c, enter((c), NULL, (i)), expr)
#define ENTRY(c, name, i, expr) SCOPED(c, enter_entry((c), (name), (i)), expr)

/* ------------------------------------------------------------ scalars */

/* Length of a well-formed UTF-8 sequence starting at s (RFC 3629: no overlong forms,
 * no surrogates, nothing above U+10FFFF), or 0. */
static size_t utf8_sequence(const unsigned char *s, size_t left)
{
    unsigned c = s[0], min, cp;
    size_t n;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        n = 2, min = 0x80, cp = c & 0x1f;
    else if (c >= 0xe0 && c <= 0xef)
        n = 3, min = 0x800, cp = c & 0x0f;
    else if (c >= 0xf0 && c <= 0xf4)
        n = 4, min = 0x10000, cp = c & 0x07;
    else
        return 0;
    if (left < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return n;
}

/* Text: min..max bytes of UTF-8 without control characters (they would let a peer
 * forge lines in our logs). NULL counts as "" (a message built by hand). */
static int text(check *c, const char *s, size_t min, size_t max)
{
    size_t len = s ? strnlen(s, max + 1) : 0, n;
    if (len < min)
        return fail(c, len ? "%zu bytes, fewer than %zu" : "empty", len, min);
    if (len > max)
        return fail(c, "longer than %zu bytes", max);
    for (size_t i = 0; i < len; i += n) {
        const unsigned char *u = (const unsigned char *)s + i;
        if (*u < 0x20 || *u == 0x7f)
            return fail(c, "control character 0x%02x at byte %zu", *u, i);
        if (!(n = utf8_sequence(u, len - i)))
            return fail(c, "not UTF-8 at byte %zu", i);
    }
    return WIRE_OK;
}

static int range(check *c, uint64_t v, uint64_t min, uint64_t max)
{
    if (v < min || v > max)
        return fail(c, "%llu is outside %llu..%llu", (unsigned long long)v,
                    (unsigned long long)min, (unsigned long long)max);
    return WIRE_OK;
}

static int nonzero(check *c, uint64_t v) { return v ? WIRE_OK : fail(c, "%s", "0 (required)"); }

static int bytes_exactly(check *c, const ProtobufCBinaryData *b, size_t n)
{
    if (b->len != n || (n && !b->data))
        return fail(c, "%zu bytes, not %zu", b->len, n);
    return WIRE_OK;
}

/* An enum value the descriptor knows; UNSPECIFIED (0) only if allow_zero. */
static int known(check *c, const ProtobufCEnumDescriptor *d, int v, int allow_zero)
{
    if (!protobuf_c_enum_descriptor_get_value(d, v))
        return fail(c, "%d is not a %s", v, d->short_name);
    if (v == 0 && !allow_zero)
        return fail(c, "%s unspecified", d->short_name);
    return WIRE_OK;
}

/* A submessage: present (if required) and of the expected type. */
static int present(check *c, const void *msg, const ProtobufCMessageDescriptor *d)
{
    const ProtobufCMessage *m = msg;
    if (!m)
        return fail(c, "%s", "missing");
    if (m->descriptor != d)
        return fail(c, "not a %s", d->short_name);
    return WIRE_OK;
}

/* ------------------------------------------------------------ submessages */

static int blob_ref(check *c, const Excam__BlobRef *b)
{
    int err = present(c, b, &excam__blob_ref__descriptor);
    if (err)
        return err;
    FIELD(c, "name", text(c, b->name, 1, WIRE_MAX_NAME));
    FIELD(c, "hash", bytes_exactly(c, &b->hash, WIRE_HASH_BYTES));
    return WIRE_OK;
}

/* A repeated field's length: at most max, and an array behind it. */
static int count(check *c, size_t n, const void *list, size_t max)
{
    if (n > max)
        return fail(c, "%zu entries, more than %zu", n, max);
    if (n && !list)
        return fail(c, "%s", "missing");
    return WIRE_OK;
}

/* A list of blobs: at most max, each valid, names unique (they are what the receiver
 * looks them up by). n <= WIRE_MAX_BLOBS, so the quadratic check is cheap. */
static int blob_list(check *c, size_t n, Excam__BlobRef *const *list, size_t max)
{
    int err = count(c, n, list, max);
    if (err)
        return err;
    for (size_t i = 0; i < n; i++) {
        ITEM(c, i, blob_ref(c, list[i]));
        for (size_t j = 0; j < i; j++)
            ITEM(c, i, strcmp(list[i]->name, list[j]->name)
                           ? WIRE_OK
                           : fail(c, "name \"%s\" repeats entry %zu", list[i]->name, j));
    }
    return WIRE_OK;
}

static int task_ref(check *c, const Excam__TaskRef *t)
{
    int err = present(c, t, &excam__task_ref__descriptor);
    if (err)
        return err;
    FIELD(c, "job_id", nonzero(c, t->job_id));
    FIELD(c, "task_id", nonzero(c, t->task_id));
    FIELD(c, "attempt", range(c, t->attempt, 1, WIRE_MAX_ATTEMPT));
    return WIRE_OK;
}

static int encode_params(check *c, const Excam__EncodeParams *p)
{
    int err = present(c, p, &excam__encode_params__descriptor);
    if (err)
        return err;
    FIELD(c, "q_key", range(c, p->q_key, 0, 127));
    FIELD(c, "q_inter", range(c, p->q_inter, 0, 127));
    FIELD(c, "speed", range(c, p->speed, 0, 9));
    FIELD(c, "token_partitions", range(c, p->token_partitions, 0, 3));
    FIELD(c, "sharpness", range(c, p->sharpness, 0, 7));
    FIELD(c, "stage1", range(c, p->stage1, 0, 1));
    FIELD(c, "first_boost", range(c, p->first_boost, 0, p->q_key));
    return WIRE_OK;
}

/* Text that must be empty unless `allowed` (and then min..max bytes). */
static int text_if(check *c, const char *s, int allowed, size_t min, size_t max)
{
    if (!allowed && s && *s)
        return fail(c, "%s", "must be empty here");
    return allowed ? text(c, s, min, max) : WIRE_OK;
}

/* ------------------------------------------------------------ bodies */

static int hello(check *c, const Excam__Hello *h)
{
    FIELD(c, "protocol_version", nonzero(c, h->protocol_version));
    FIELD(c, "role", known(c, &excam__role__descriptor, h->role, 0));
    FIELD(c, "name", text(c, h->name, 1, WIRE_MAX_NAME));
    FIELD(c, "host", text(c, h->host, 0, WIRE_MAX_HOST));
    if (h->role == EXCAM__ROLE__WORKER)
        FIELD(c, "slots", range(c, h->slots, 1, WIRE_MAX_SLOTS));
    else
        FIELD(c, "slots", range(c, h->slots, 0, 0));
    return WIRE_OK;
}

static int hello_ack(check *c, const Excam__HelloAck *a)
{
    FIELD(c, "protocol_version", nonzero(c, a->protocol_version));
    FIELD(c, "refusal_code", known(c, &excam__error_code__descriptor, a->refusal_code, 1));
    FIELD(c, "refusal_reason", text_if(c, a->refusal_reason, !a->accepted, 1, WIRE_MAX_TEXT));
    if (a->accepted) {
        FIELD(c, "session_id", nonzero(c, a->session_id));
        FIELD(c, "heartbeat_interval_ms", range(c, a->heartbeat_interval_ms, 100, 600000));
        FIELD(c, "refusal_code", range(c, (uint64_t)a->refusal_code, 0, 0));
        if (a->server_mac.len) FIELD(c, "server_mac", bytes_exactly(c, &a->server_mac, 32));
    } else {
        FIELD(c, "session_id", range(c, a->session_id, 0, 0));
        FIELD(c, "refusal_code", nonzero(c, (uint64_t)a->refusal_code));
        FIELD(c, "server_mac", bytes_exactly(c, &a->server_mac, 0));
    }
    return WIRE_OK;
}

static int heartbeat(check *c, const Excam__Heartbeat *h)
{
    FIELD(c, "sequence", nonzero(c, h->sequence));
    FIELD(c, "running", count(c, h->n_running, h->running, WIRE_MAX_SLOTS));
    for (size_t i = 0; i < h->n_running; i++)
        ENTRY(c, "running", i, task_ref(c, h->running[i]));
    return WIRE_OK;
}

static int task_assign(check *c, const Excam__TaskAssign *t)
{
    int encodes = t->kind != EXCAM__TASK_KIND__NOOP;
    FIELD(c, "task", task_ref(c, t->task));
    FIELD(c, "kind", known(c, &excam__task_kind__descriptor, t->kind, 0));
    if (encodes || t->params)
        FIELD(c, "params", encode_params(c, t->params));
    FIELD(c, "frame_count", range(c, t->frame_count, encodes, WIRE_MAX_CHUNK_FRAMES));
    FIELD(c, "first_frame",
          range(c, (uint64_t)t->first_frame + t->frame_count, 0, WIRE_MAX_JOB_FRAMES));
    FIELD(c, "inputs", blob_list(c, t->n_inputs, t->inputs, WIRE_MAX_BLOBS));
    FIELD(c, "storage_uri", text(c, t->storage_uri, 1, WIRE_MAX_TEXT));
    return WIRE_OK;
}

static int seconds(check *c, double s)
{
    if (!isfinite(s) || s < 0 || s > 1e9)
        return fail(c, "%g is outside 0..1e9", s);
    return WIRE_OK;
}

static int task_result(check *c, const Excam__TaskResult *t)
{
    int ok = t->code == EXCAM__ERROR_CODE__ERR_NONE;
    FIELD(c, "task", task_ref(c, t->task));
    FIELD(c, "code", known(c, &excam__error_code__descriptor, t->code, 1));
    FIELD(c, "message", text_if(c, t->message, !ok, 1, WIRE_MAX_TEXT));
    FIELD(c, "outputs", blob_list(c, t->n_outputs, t->outputs, ok ? WIRE_MAX_BLOBS : 0));
    FIELD(c, "cpu_seconds", seconds(c, t->cpu_seconds));
    FIELD(c, "lost_inputs", count(c, t->n_lost_inputs, t->lost_inputs,
                                  t->code == EXCAM__ERROR_CODE__ERR_NOT_FOUND ? WIRE_MAX_BLOBS : 0));
    for (size_t i = 0; i < t->n_lost_inputs; i++)
        ENTRY(c, "lost_inputs", i, text(c, t->lost_inputs[i], 1, WIRE_MAX_NAME));
    return WIRE_OK;
}

static int state_transfer(check *c, const Excam__StateTransfer *s)
{
    FIELD(c, "job_id", nonzero(c, s->job_id));
    FIELD(c, "chunk", range(c, s->chunk, 0, WIRE_MAX_JOB_FRAMES - 1));
    FIELD(c, "state", blob_ref(c, s->state));
    FIELD(c, "peer_address", text(c, s->peer_address, 0, WIRE_MAX_HOST));
    return WIRE_OK;
}

/* The manifest holds one 32-byte hash per chunk. */
static int manifest_size(check *c, uint64_t size, uint64_t frames, uint64_t chunk_frames)
{
    uint64_t chunks = (frames + chunk_frames - 1) / chunk_frames;
    if (size != chunks * WIRE_HASH_BYTES)
        return fail(c, "%llu bytes for %llu chunks, not %llu", (unsigned long long)size,
                    (unsigned long long)chunks, (unsigned long long)(chunks * WIRE_HASH_BYTES));
    return WIRE_OK;
}

/* The per-chunk quantizers: 3 bytes per chunk. */
static int quantizers_size(check *c, uint64_t size, uint64_t frames, uint64_t chunk_frames)
{
    uint64_t chunks = (frames + chunk_frames - 1) / chunk_frames;
    if (size != chunks * 3)
        return fail(c, "%llu bytes for %llu chunks, not %llu", (unsigned long long)size,
                    (unsigned long long)chunks, (unsigned long long)(chunks * 3));
    return WIRE_OK;
}

static int job_submit(check *c, const Excam__JobSubmit *j)
{
    FIELD(c, "name", text(c, j->name, 0, WIRE_MAX_NAME));
    FIELD(c, "width", range(c, j->width, 1, WIRE_MAX_DIMENSION));
    FIELD(c, "height", range(c, j->height, 1, WIRE_MAX_DIMENSION));
    FIELD(c, "frame_count", range(c, j->frame_count, 1, WIRE_MAX_JOB_FRAMES));
    FIELD(c, "fps_num", nonzero(c, j->fps_num));
    FIELD(c, "fps_den", nonzero(c, j->fps_den));
    FIELD(c, "chunk_frames", range(c, j->chunk_frames, 1, WIRE_MAX_CHUNK_FRAMES));
    FIELD(c, "rebase_chunks", range(c, j->rebase_chunks, 1, WIRE_MAX_JOB_FRAMES));
    FIELD(c, "params", encode_params(c, j->params));
    FIELD(c, "input_manifest", blob_ref(c, j->input_manifest));
    FIELD(c, "input_manifest.size",
          manifest_size(c, j->input_manifest->size, j->frame_count, j->chunk_frames));
    FIELD(c, "storage_uri", text(c, j->storage_uri, 0, WIRE_MAX_TEXT));
    if (j->chunk_quantizers) {
        FIELD(c, "chunk_quantizers", blob_ref(c, j->chunk_quantizers));
        FIELD(c, "chunk_quantizers.size",
              quantizers_size(c, j->chunk_quantizers->size, j->frame_count, j->chunk_frames));
    }
    return WIRE_OK;
}

static int job_accepted(check *c, const Excam__JobAccepted *j)
{
    FIELD(c, "job_id", nonzero(c, j->job_id));
    FIELD(c, "chunks", range(c, j->chunks, 1, WIRE_MAX_JOB_FRAMES));
    return WIRE_OK;
}

static int stage_progress(check *c, const Excam__StageProgress *s)
{
    int err = present(c, s, &excam__stage_progress__descriptor);
    if (err)
        return err;
    FIELD(c, "stage", known(c, &excam__task_kind__descriptor, s->stage, 0));
    if (s->stage == EXCAM__TASK_KIND__NOOP)
        FIELD(c, "stage", fail(c, "%s", "NOOP is not a stage"));
    FIELD(c, "total", range(c, s->total, 0, WIRE_MAX_JOB_FRAMES));
    FIELD(c, "done", range(c, s->done, 0, s->total));
    FIELD(c, "cpu_seconds", seconds(c, s->cpu_seconds));
    FIELD(c, "wall_seconds", seconds(c, s->wall_seconds));
    return WIRE_OK;
}

/* A JobStatus; `summary`: an item of JobListReply, which carries no outputs. */
static int job_status(check *c, const Excam__JobStatus *j, int summary)
{
    int failed = j->state == EXCAM__JOB_STATE__FAILED;
    int err = present(c, j, &excam__job_status__descriptor);
    if (err)
        return err;
    FIELD(c, "job_id", nonzero(c, j->job_id));
    FIELD(c, "name", text(c, j->name, 0, WIRE_MAX_NAME));
    FIELD(c, "state", known(c, &excam__job_state__descriptor, j->state, 0));
    FIELD(c, "stages", count(c, j->n_stages, j->stages, WIRE_MAX_STAGES));
    for (size_t i = 0; i < j->n_stages; i++) {
        ENTRY(c, "stages", i, stage_progress(c, j->stages[i]));
        for (size_t k = 0; k < i; k++)
            ENTRY(c, "stages", i, j->stages[k]->stage != j->stages[i]->stage
                                      ? WIRE_OK
                                      : fail(c, "stage repeats entry %zu", k));
    }
    FIELD(c, "outputs",
          blob_list(c, j->n_outputs, j->outputs,
                    j->state == EXCAM__JOB_STATE__DONE && !summary ? WIRE_MAX_BLOBS : 0));
    FIELD(c, "error", known(c, &excam__error_code__descriptor, j->error, 1));
    FIELD(c, "error", failed ? nonzero(c, (uint64_t)j->error) : range(c, (uint64_t)j->error, 0, 0));
    FIELD(c, "message", text_if(c, j->message, failed, 0, WIRE_MAX_TEXT));
    return WIRE_OK;
}

static int job_list(check *c, const Excam__JobList *j)
{
    FIELD(c, "limit", range(c, j->limit, 1, WIRE_MAX_LIST));
    return WIRE_OK;
}

static int job_list_reply(check *c, const Excam__JobListReply *j)
{
    FIELD(c, "jobs", count(c, j->n_jobs, j->jobs, WIRE_MAX_LIST));
    for (size_t i = 0; i < j->n_jobs; i++) {
        ENTRY(c, "jobs", i, job_status(c, j->jobs[i], 1));
        if (i > 0)
            ENTRY(c, "jobs", i, j->jobs[i]->job_id > j->jobs[i - 1]->job_id
                                    ? WIRE_OK
                                    : fail(c, "%s", "job ids not increasing"));
    }
    return WIRE_OK;
}

static int error(check *c, const Excam__Error *e)
{
    FIELD(c, "code", known(c, &excam__error_code__descriptor, e->code, 0));
    FIELD(c, "message", text(c, e->message, 1, WIRE_MAX_TEXT));
    return WIRE_OK;
}

static int auth_challenge(check *c, const Excam__AuthChallenge *a)
{
    FIELD(c, "nonce", bytes_exactly(c, &a->nonce, 32));
    return WIRE_OK;
}

static int auth_response(check *c, const Excam__AuthResponse *a)
{
    FIELD(c, "client_nonce", bytes_exactly(c, &a->client_nonce, 32));
    FIELD(c, "mac", bytes_exactly(c, &a->mac, 32));
    return WIRE_OK;
}

static int job_id_only(check *c, uint64_t job_id)
{
    FIELD(c, "job_id", nonzero(c, job_id));
    return WIRE_OK;
}

/* The body: present, of the type its case says, and valid. */
#define BODY(c, field, descriptor, expr)                                                     \
    do {                                                                                     \
        size_t old_ = enter((c), #field, 0);                                                 \
        int err_ = present((c), m->field, &(descriptor));                                    \
        if (!err_)                                                                           \
            err_ = (expr);                                                                   \
        leave((c), old_);                                                                    \
        return err_;                                                                         \
    } while (0)

int wire_validate(const Excam__Envelope *m, char *why, size_t whylen)
{
    check c = {why, whylen, ""};
    if (why && whylen)
        why[0] = '\0';
    if (!m || m->base.descriptor != &excam__envelope__descriptor)
        return fail(&c, "%s", "not an Envelope");
    switch (m->body_case) {
    case EXCAM__ENVELOPE__BODY_HELLO:
        BODY(&c, hello, excam__hello__descriptor, hello(&c, m->hello));
    case EXCAM__ENVELOPE__BODY_HELLO_ACK:
        BODY(&c, hello_ack, excam__hello_ack__descriptor, hello_ack(&c, m->hello_ack));
    case EXCAM__ENVELOPE__BODY_AUTH_CHALLENGE:
        BODY(&c, auth_challenge, excam__auth_challenge__descriptor,
             auth_challenge(&c, m->auth_challenge));
    case EXCAM__ENVELOPE__BODY_AUTH_RESPONSE:
        BODY(&c, auth_response, excam__auth_response__descriptor,
             auth_response(&c, m->auth_response));
    case EXCAM__ENVELOPE__BODY_HEARTBEAT:
        BODY(&c, heartbeat, excam__heartbeat__descriptor, heartbeat(&c, m->heartbeat));
    case EXCAM__ENVELOPE__BODY_TASK_ASSIGN:
        BODY(&c, task_assign, excam__task_assign__descriptor, task_assign(&c, m->task_assign));
    case EXCAM__ENVELOPE__BODY_TASK_RESULT:
        BODY(&c, task_result, excam__task_result__descriptor, task_result(&c, m->task_result));
    case EXCAM__ENVELOPE__BODY_STATE_TRANSFER:
        BODY(&c, state_transfer, excam__state_transfer__descriptor,
             state_transfer(&c, m->state_transfer));
    case EXCAM__ENVELOPE__BODY_JOB_SUBMIT:
        BODY(&c, job_submit, excam__job_submit__descriptor, job_submit(&c, m->job_submit));
    case EXCAM__ENVELOPE__BODY_JOB_ACCEPTED:
        BODY(&c, job_accepted, excam__job_accepted__descriptor,
             job_accepted(&c, m->job_accepted));
    case EXCAM__ENVELOPE__BODY_JOB_STATUS_REQUEST:
        BODY(&c, job_status_request, excam__job_status_request__descriptor,
             job_id_only(&c, m->job_status_request->job_id));
    case EXCAM__ENVELOPE__BODY_JOB_STATUS:
        BODY(&c, job_status, excam__job_status__descriptor, job_status(&c, m->job_status, 0));
    case EXCAM__ENVELOPE__BODY_JOB_CANCEL:
        BODY(&c, job_cancel, excam__job_cancel__descriptor,
             job_id_only(&c, m->job_cancel->job_id));
    case EXCAM__ENVELOPE__BODY_JOB_LIST:
        BODY(&c, job_list, excam__job_list__descriptor, job_list(&c, m->job_list));
    case EXCAM__ENVELOPE__BODY_JOB_LIST_REPLY:
        BODY(&c, job_list_reply, excam__job_list_reply__descriptor,
             job_list_reply(&c, m->job_list_reply));
    case EXCAM__ENVELOPE__BODY_ERROR:
        BODY(&c, error, excam__error__descriptor, error(&c, m->error));
    case EXCAM__ENVELOPE__BODY__NOT_SET:
        return fail(&c, "%s", "no body set");
    default:
        return fail(&c, "unknown body case %d", (int)m->body_case);
    }
}

/*
 * The wire protocol's framing and validation (proto/wire.h):
 *  - every message kind packs, arrives through the reader, validates and re-packs to
 *    the same bytes;
 *  - a stream of all of them gives the same messages whether its bytes arrive at once,
 *    one at a time, in random splits, or through a nonblocking socket;
 *  - hostile input: an oversized length prefix is refused without allocating it (and a
 *    large announced frame costs memory only as its bytes arrive); garbage, empty
 *    frames, two bodies, strings with embedded NULs and memory bombs are malformed (and
 *    the stream stays in sync); a frame cut by EOF is truncated;
 *  - wire_validate rejects wrong hash sizes, no body, too many repeated items, unknown
 *    enums, bad text and out-of-range numbers, naming the field;
 *  - the reader holds no heap memory between frames.
 *
 * usage: test_wire                     run the tests
 *        test_wire --write-seeds DIR   write one packed frame per message kind into DIR
 *                                      (the fuzz_wire corpus; fuzz/seed.sh)
 * Exit status: 0 all passed, 1 a check failed.
 */
#include "test_util.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <sys/socket.h>
#include <unistd.h>

#include "wire.h"

#define KINDS 16 /* body cases 1..16 of Envelope */

/* The bodies by case, as in proto/excam.proto. */
static const char *const body_names[KINDS + 1] = {
    "unset",        "hello",          "hello_ack",          "auth_challenge", "auth_response",
    "heartbeat",    "task_assign",    "task_result",        "state_transfer", "job_submit",
    "job_accepted", "job_status_request", "job_status",     "job_cancel",     "job_list",
    "job_list_reply", "error"};

/* ------------------------------------------------------------ sample messages */

/* Storage for one valid message of each kind (everything a body points to). */
typedef struct sample {
    Excam__Envelope env;
    Excam__Hello hello;
    Excam__HelloAck hello_ack;
    Excam__AuthChallenge challenge;
    Excam__AuthResponse response;
    Excam__Heartbeat heartbeat;
    Excam__TaskAssign assign;
    Excam__TaskResult result;
    Excam__StateTransfer transfer;
    Excam__JobSubmit submit;
    Excam__JobAccepted accepted;
    Excam__JobStatusRequest status_request;
    Excam__JobStatus status, list_items[2];
    Excam__JobCancel cancel;
    Excam__JobList list;
    Excam__JobListReply list_reply;
    Excam__Error error;
    Excam__EncodeParams params;
    Excam__TaskRef refs[3], *ref_ptrs[3];
    Excam__BlobRef blobs[3], *blob_ptrs[3];
    Excam__StageProgress stages[3], *stage_ptrs[3];
    Excam__JobStatus *item_ptrs[2];
    uint8_t hashes[3][32], nonce[32], mac[32];
} sample;

static void fill_bytes(uint8_t *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(seed * 31 + i * 7 + 1);
}

/* Three blobs ("frames", "state", "prev"), three task refs, three stages. */
static void sample_parts(sample *s)
{
    static const char *const names[3] = {"frames", "state", "prev-state"};
    for (int i = 0; i < 3; i++) {
        excam__blob_ref__init(&s->blobs[i]);
        fill_bytes(s->hashes[i], 32, (unsigned)i);
        s->blobs[i].name = (char *)names[i];
        s->blobs[i].hash.data = s->hashes[i];
        s->blobs[i].hash.len = 32;
        s->blobs[i].size = 1000u * (unsigned)(i + 1);
        s->blob_ptrs[i] = &s->blobs[i];

        excam__task_ref__init(&s->refs[i]);
        s->refs[i].job_id = 7;
        s->refs[i].task_id = 100 + (unsigned)i;
        s->refs[i].attempt = 1 + (unsigned)i;
        s->ref_ptrs[i] = &s->refs[i];

        excam__stage_progress__init(&s->stages[i]);
        s->stages[i].stage = (Excam__TaskKind)(EXCAM__TASK_KIND__ENCODE + i);
        s->stages[i].total = 40;
        s->stages[i].done = 40 - 10 * (unsigned)i;
        s->stages[i].wall_seconds = 2.5 * (double)s->stages[i].done;
        s->stage_ptrs[i] = &s->stages[i];
    }
    excam__encode_params__init(&s->params);
    s->params.q_key = 30;
    s->params.first_boost = 5;
    s->params.q_inter = 40;
    s->params.speed = 2;
    s->params.token_partitions = 1;
    s->params.sharpness = 3;
    s->params.verify = 1;
    fill_bytes(s->nonce, 32, 9);
    fill_bytes(s->mac, 32, 10);
}

/* A valid envelope whose body is `kind` (1..KINDS), in s->env. */
static Excam__Envelope *sample_make(sample *s, int kind)
{
    memset(s, 0, sizeof(*s));
    sample_parts(s);
    excam__envelope__init(&s->env);
    s->env.body_case = (Excam__Envelope__BodyCase)kind;
    switch (kind) {
    case EXCAM__ENVELOPE__BODY_HELLO:
        excam__hello__init(&s->hello);
        s->hello.protocol_version = WIRE_PROTOCOL_VERSION;
        s->hello.role = EXCAM__ROLE__WORKER;
        s->hello.name = "worker-1";
        s->hello.host = "h\xc3\xb4te.example"; /* UTF-8 is fine */
        s->hello.slots = 4;
        s->env.hello = &s->hello;
        break;
    case EXCAM__ENVELOPE__BODY_HELLO_ACK:
        excam__hello_ack__init(&s->hello_ack);
        s->hello_ack.protocol_version = WIRE_PROTOCOL_VERSION;
        s->hello_ack.accepted = 1;
        s->hello_ack.session_id = 12345;
        s->hello_ack.heartbeat_interval_ms = 2000;
        s->env.hello_ack = &s->hello_ack;
        break;
    case EXCAM__ENVELOPE__BODY_AUTH_CHALLENGE:
        excam__auth_challenge__init(&s->challenge);
        s->challenge.nonce.data = s->nonce;
        s->challenge.nonce.len = 32;
        s->env.auth_challenge = &s->challenge;
        break;
    case EXCAM__ENVELOPE__BODY_AUTH_RESPONSE:
        excam__auth_response__init(&s->response);
        s->response.client_nonce.data = s->nonce;
        s->response.client_nonce.len = 32;
        s->response.mac.data = s->mac;
        s->response.mac.len = 32;
        s->env.auth_response = &s->response;
        break;
    case EXCAM__ENVELOPE__BODY_HEARTBEAT:
        excam__heartbeat__init(&s->heartbeat);
        s->heartbeat.sequence = 17;
        s->heartbeat.n_running = 3;
        s->heartbeat.running = s->ref_ptrs;
        s->env.heartbeat = &s->heartbeat;
        break;
    case EXCAM__ENVELOPE__BODY_TASK_ASSIGN:
        excam__task_assign__init(&s->assign);
        s->assign.task = &s->refs[0];
        s->assign.kind = EXCAM__TASK_KIND__REBASE;
        s->assign.params = &s->params;
        s->assign.first_frame = 96;
        s->assign.frame_count = 24;
        s->assign.n_inputs = 3;
        s->assign.inputs = s->blob_ptrs;
        s->assign.storage_uri = "file:///srv/excam/blobs";
        s->env.task_assign = &s->assign;
        break;
    case EXCAM__ENVELOPE__BODY_TASK_RESULT:
        excam__task_result__init(&s->result);
        s->result.task = &s->refs[1];
        s->result.n_outputs = 2;
        s->result.outputs = s->blob_ptrs;
        s->result.cpu_seconds = 12.5;
        s->env.task_result = &s->result;
        break;
    case EXCAM__ENVELOPE__BODY_STATE_TRANSFER:
        excam__state_transfer__init(&s->transfer);
        s->transfer.job_id = 7;
        s->transfer.chunk = 3;
        s->transfer.state = &s->blobs[1];
        s->transfer.peer_address = "10.0.0.2:7000";
        s->env.state_transfer = &s->transfer;
        break;
    case EXCAM__ENVELOPE__BODY_JOB_SUBMIT:
        excam__job_submit__init(&s->submit);
        s->submit.name = "foreman";
        s->submit.width = 352;
        s->submit.height = 288;
        s->submit.frame_count = 100000;
        s->submit.fps_num = 30000;
        s->submit.fps_den = 1001;
        s->submit.chunk_frames = 16;
        s->submit.rebase_chunks = 4;
        s->submit.params = &s->params;
        s->blobs[0].size = 32 * 6250; /* 100000 frames in chunks of 16 */
        s->submit.input_manifest = &s->blobs[0];
        s->env.job_submit = &s->submit;
        break;
    case EXCAM__ENVELOPE__BODY_JOB_ACCEPTED:
        excam__job_accepted__init(&s->accepted);
        s->accepted.job_id = 7;
        s->accepted.chunks = 6250;
        s->env.job_accepted = &s->accepted;
        break;
    case EXCAM__ENVELOPE__BODY_JOB_STATUS_REQUEST:
        excam__job_status_request__init(&s->status_request);
        s->status_request.job_id = 7;
        s->env.job_status_request = &s->status_request;
        break;
    case EXCAM__ENVELOPE__BODY_JOB_STATUS:
        excam__job_status__init(&s->status);
        s->status.job_id = 7;
        s->status.name = "foreman";
        s->status.state = EXCAM__JOB_STATE__DONE;
        s->status.n_stages = 3;
        s->status.stages = s->stage_ptrs;
        s->status.n_outputs = 2;
        s->status.outputs = s->blob_ptrs;
        s->env.job_status = &s->status;
        break;
    case EXCAM__ENVELOPE__BODY_JOB_CANCEL:
        excam__job_cancel__init(&s->cancel);
        s->cancel.job_id = 7;
        s->env.job_cancel = &s->cancel;
        break;
    case EXCAM__ENVELOPE__BODY_JOB_LIST:
        excam__job_list__init(&s->list);
        s->list.after_job_id = 3;
        s->list.limit = 50;
        s->env.job_list = &s->list;
        break;
    case EXCAM__ENVELOPE__BODY_JOB_LIST_REPLY:
        excam__job_list_reply__init(&s->list_reply);
        for (int i = 0; i < 2; i++) {
            excam__job_status__init(&s->list_items[i]);
            s->list_items[i].job_id = 4 + (unsigned)i;
            s->list_items[i].state = i ? EXCAM__JOB_STATE__RUNNING : EXCAM__JOB_STATE__FAILED;
            s->list_items[i].error = i ? EXCAM__ERROR_CODE__ERR_NONE : EXCAM__ERROR_CODE__ERR_CODEC;
            s->list_items[i].message = i ? "" : "chunk 3: corrupt frame";
            s->list_items[i].n_stages = 1;
            s->list_items[i].stages = s->stage_ptrs + i;
            s->item_ptrs[i] = &s->list_items[i];
        }
        s->list_reply.n_jobs = 2;
        s->list_reply.jobs = s->item_ptrs;
        s->list_reply.more = 1;
        s->env.job_list_reply = &s->list_reply;
        break;
    case EXCAM__ENVELOPE__BODY_ERROR:
        excam__error__init(&s->error);
        s->error.code = EXCAM__ERROR_CODE__ERR_BAD_REQUEST;
        s->error.message = "chunk_frames must be at least 1";
        s->error.job_id = 0;
        s->env.error = &s->error;
        break;
    default:
        break;
    }
    return &s->env;
}

/* The frame of a sample (malloc'd; exits on failure: the tests need it). */
static uint8_t *sample_frame(int kind, size_t *len)
{
    sample s;
    uint8_t *out = NULL;
    int err = wire_pack(sample_make(&s, kind), &out, len);
    if (err != WIRE_OK) {
        char why[256];
        wire_validate(&s.env, why, sizeof(why));
        fprintf(stderr, "cannot pack sample %d: %s (%s)\n", kind, wire_strerror(err), why);
        exit(1);
    }
    return out;
}

/* A frame made without wire_pack's validation (to send invalid messages). */
static uint8_t *raw_frame(const Excam__Envelope *m, size_t *len)
{
    size_t body = excam__envelope__get_packed_size(m);
    uint8_t *out = malloc(body + 4);
    if (!out)
        exit(1);
    out[0] = (uint8_t)(body >> 24), out[1] = (uint8_t)(body >> 16);
    out[2] = (uint8_t)(body >> 8), out[3] = (uint8_t)body;
    excam__envelope__pack(m, out + 4);
    *len = body + 4;
    return out;
}

/* ------------------------------------------------------------ decoding helpers */

typedef struct frames {
    uint8_t *bytes; /* all frames, concatenated (re-packed, for comparison) */
    size_t len, count;
    int last;       /* the result that ended decoding */
    size_t peak;    /* the reader's largest heap footprint */
    char why[256];
} frames;

static void frames_add(frames *f, const Excam__Envelope *m)
{
    uint8_t *p = NULL, *grown;
    size_t n = 0;
    if (!CHECK(wire_pack(m, &p, &n) == WIRE_OK, "a received message does not re-pack"))
        return;
    grown = realloc(f->bytes, f->len + n);
    if (grown) {
        memcpy(grown + f->len, p, n);
        f->bytes = grown;
        f->len += n;
        f->count++;
    }
    free(p);
}

/* Take every message the reader has; stop at the first non-OK result. */
static int drain(wire_reader *r, frames *f)
{
    Excam__Envelope *m;
    int rc;
    while ((rc = wire_next(r, &m, f->why, sizeof(f->why))) == WIRE_OK) {
        frames_add(f, m);
        wire_free(m);
    }
    if (wire_reader_memory(r) > f->peak)
        f->peak = wire_reader_memory(r);
    return rc;
}

/* Feed `stream` in pieces (split: 0 all at once, 1 byte by byte, else random sizes up
 * to `split` from the seed), then EOF. f->last gets the final result. */
static void decode_stream(const uint8_t *stream, size_t len, size_t split, uint64_t seed,
                          size_t max_frame, frames *f)
{
    wire_reader r;
    size_t pos = 0;
    memset(f, 0, sizeof(*f));
    wire_reader_init(&r, max_frame);
    f->last = WIRE_AGAIN;
    while (pos < len) {
        size_t piece = split == 0 ? len - pos : split == 1 ? 1 : 1 + tu_rand_below(&seed, split);
        size_t taken, off = 0;
        if (piece > len - pos)
            piece = len - pos;
        while (off < piece) {
            int rc = wire_reader_feed(&r, stream + pos + off, piece - off, &taken);
            off += taken;
            f->last = drain(&r, f);
            if (rc != WIRE_OK || (f->last != WIRE_AGAIN && f->last != WIRE_OK) ||
                (taken == 0 && f->last == WIRE_AGAIN)) {
                if (rc != WIRE_OK)
                    f->last = rc;
                wire_reader_free(&r);
                return;
            }
        }
        pos += piece;
    }
    wire_reader_eof(&r);
    f->last = drain(&r, f);
    wire_reader_free(&r);
}

/* ------------------------------------------------------------ tests */

/* Every kind round-trips byte for byte, and its body arrives under the right name. */
static void test_round_trip(void)
{
    for (int kind = 1; kind <= KINDS; kind++) {
        size_t len;
        uint8_t *frame = sample_frame(kind, &len);
        wire_reader r;
        Excam__Envelope *m = NULL;
        uint8_t *again = NULL;
        size_t again_len = 0, taken = 0;
        char why[256] = "";
        int rc;

        wire_reader_init(&r, 0);
        CHECK(wire_reader_feed(&r, frame, len, &taken) == WIRE_OK && taken == len,
              "kind %d: feed took %zu of %zu", kind, taken, len);
        rc = wire_next(&r, &m, why, sizeof(why));
        if (CHECK(rc == WIRE_OK && m, "kind %d: wire_next %s (%s)", kind, wire_strerror(rc), why)) {
            CHECK((int)m->body_case == kind && !strcmp(wire_body_name(m), body_names[kind]),
                  "kind %d arrived as %s", kind, wire_body_name(m));
            CHECK(wire_pack(m, &again, &again_len) == WIRE_OK && again_len == len &&
                      !memcmp(again, frame, len),
                  "kind %s: re-packed bytes differ", body_names[kind]);
        }
        wire_free(m);
        CHECK(wire_next(&r, &m, NULL, 0) == WIRE_AGAIN && !m, "kind %d: a second message", kind);
        wire_reader_eof(&r);
        CHECK(wire_next(&r, &m, NULL, 0) == WIRE_EOF && !m, "kind %d: no clean EOF", kind);
        CHECK(wire_reader_memory(&r) == 0, "kind %d: %zu heap bytes held", kind,
              wire_reader_memory(&r));
        free(again);
        free(frame);
        wire_reader_free(&r);
    }
    /* Spot checks of decoded fields (a re-pack that matches could hide nothing else,
     * but make the meaning explicit). */
    {
        size_t len, taken;
        uint8_t *frame = sample_frame(EXCAM__ENVELOPE__BODY_TASK_ASSIGN, &len);
        wire_reader r;
        Excam__Envelope *m = NULL;
        wire_reader_init(&r, 0);
        wire_reader_feed(&r, frame, len, &taken);
        if (CHECK(wire_next(&r, &m, NULL, 0) == WIRE_OK, "task_assign")) {
            const Excam__TaskAssign *t = m->task_assign;
            uint8_t want[32];
            fill_bytes(want, 32, 2);
            CHECK(t->task->task_id == 100 && t->kind == EXCAM__TASK_KIND__REBASE &&
                      t->params->q_inter == 40 && t->params->verify && t->first_frame == 96 &&
                      t->frame_count == 24 && t->n_inputs == 3 &&
                      !strcmp(t->inputs[2]->name, "prev-state") && t->inputs[2]->size == 3000 &&
                      !memcmp(t->inputs[2]->hash.data, want, 32) &&
                      !strcmp(t->storage_uri, "file:///srv/excam/blobs"),
                  "task_assign fields changed on the way");
        }
        wire_free(m);
        wire_reader_free(&r);
        free(frame);
    }
}

/* All kinds in one stream (plus a large heartbeat); the same messages for any split. */
static uint8_t *make_stream(size_t *len, size_t *count)
{
    uint8_t *stream = NULL;
    *len = *count = 0;
    for (int round = 0; round < 2; round++)
        for (int kind = 1; kind <= KINDS; kind++) {
            size_t n;
            uint8_t *frame = sample_frame(kind, &n), *grown = realloc(stream, *len + n);
            if (!grown)
                exit(1);
            memcpy(grown + *len, frame, n);
            stream = grown;
            *len += n;
            (*count)++;
            free(frame);
        }
    return stream;
}

static void test_splits(void)
{
    size_t len, count;
    uint8_t *stream = make_stream(&len, &count);
    frames f;
    uint64_t seed = 1;

    decode_stream(stream, len, 0, 0, 0, &f);
    CHECK(f.last == WIRE_EOF && f.count == count && f.len == len && !memcmp(f.bytes, stream, len),
          "all at once: %zu of %zu messages, ended with %s (%s)", f.count, count,
          wire_strerror(f.last), f.why);
    CHECK(f.peak == 0, "small frames used %zu heap bytes", f.peak);
    free(f.bytes);

    decode_stream(stream, len, 1, 0, 0, &f);
    CHECK(f.last == WIRE_EOF && f.count == count && f.len == len && !memcmp(f.bytes, stream, len),
          "byte by byte: %zu of %zu messages, ended with %s (%s)", f.count, count,
          wire_strerror(f.last), f.why);
    free(f.bytes);

    for (int i = 0; i < 200; i++) {
        size_t split = 2 + tu_rand_below(&seed, i < 100 ? 40 : 2000);
        decode_stream(stream, len, split, tu_rand(&seed), 0, &f);
        CHECK(f.last == WIRE_EOF && f.count == count && f.len == len &&
                  !memcmp(f.bytes, stream, len),
              "random splits up to %zu: %zu of %zu messages, ended with %s", split, f.count,
              count, wire_strerror(f.last));
        free(f.bytes);
    }
    free(stream);
}

/* A heartbeat of 1024 running tasks: ~28 KB, far above the inline buffer. */
static uint8_t *big_frame(size_t *len)
{
    sample s;
    Excam__TaskRef refs[WIRE_MAX_SLOTS], *ptrs[WIRE_MAX_SLOTS];
    uint8_t *out = NULL;
    Excam__Envelope *m = sample_make(&s, EXCAM__ENVELOPE__BODY_HEARTBEAT);
    for (size_t i = 0; i < WIRE_MAX_SLOTS; i++) {
        refs[i] = s.refs[0];
        refs[i].job_id = (uint64_t)1 << 40;
        refs[i].task_id = (1u << 30) + i;
        ptrs[i] = &refs[i];
    }
    m->heartbeat->n_running = WIRE_MAX_SLOTS;
    m->heartbeat->running = ptrs;
    if (wire_pack(m, &out, len) != WIRE_OK)
        exit(1);
    return out;
}

/* Memory: nothing for small frames, growth with the bytes of a large one, nothing
 * after it. */
static void test_memory(void)
{
    size_t big_len, small_len, taken, half;
    uint8_t *big = big_frame(&big_len), *small = sample_frame(EXCAM__ENVELOPE__BODY_HELLO, &small_len);
    wire_reader r;
    Excam__Envelope *m = NULL;
    int rc;

    CHECK(big_len > 8 * WIRE_INLINE_BYTES, "the big frame is only %zu bytes", big_len);
    wire_reader_init(&r, 0);
    CHECK(sizeof(r) < 1024, "a reader is %zu bytes", sizeof(r));
    wire_reader_feed(&r, small, small_len, &taken);
    rc = wire_next(&r, &m, NULL, 0);
    CHECK(rc == WIRE_OK && wire_reader_memory(&r) == 0, "a small frame: %s, %zu heap bytes",
          wire_strerror(rc), wire_reader_memory(&r));
    wire_free(m);

    /* The first 1000 bytes of the big frame (more than the inline buffer): the first
     * growth step only, not the announced size. */
    wire_reader_feed(&r, big, 1000, &taken);
    CHECK(taken == 1000 && wire_next(&r, &m, NULL, 0) == WIRE_AGAIN, "partial big frame");
    CHECK(wire_reader_memory(&r) > 0 && wire_reader_memory(&r) <= 4096,
          "1000 bytes of a %zu-byte frame hold %zu bytes", big_len, wire_reader_memory(&r));
    half = big_len / 2;
    wire_reader_feed(&r, big + 1000, half - 1000, &taken);
    CHECK(taken == half - 1000 && wire_reader_memory(&r) <= 2 * half &&
              wire_reader_memory(&r) >= half,
          "half the frame (%zu bytes) holds %zu bytes", half, wire_reader_memory(&r));
    wire_reader_feed(&r, big + half, big_len - half, &taken);
    CHECK(wire_reader_memory(&r) == big_len, "the whole frame holds %zu bytes, not %zu",
          wire_reader_memory(&r), big_len);
    rc = wire_next(&r, &m, NULL, 0);
    CHECK(rc == WIRE_OK && m && m->heartbeat->n_running == WIRE_MAX_SLOTS &&
              m->heartbeat->running[1023]->task_id == (1u << 30) + 1023,
          "the big frame: %s", wire_strerror(rc));
    CHECK(wire_reader_memory(&r) == 0, "after the big frame the reader holds %zu bytes",
          wire_reader_memory(&r));
    wire_free(m);

    /* A big frame followed by small ones in the same feed: all arrive, memory freed. */
    {
        uint8_t both[64 << 10];
        size_t n = 0;
        memcpy(both, big, big_len), n += big_len;
        memcpy(both + n, small, small_len), n += small_len;
        memcpy(both + n, small, small_len), n += small_len;
        frames f;
        decode_stream(both, n, 0, 0, 0, &f);
        CHECK(f.last == WIRE_EOF && f.count == 3 && f.len == n && !memcmp(f.bytes, both, n),
              "big then small: %zu messages, %s", f.count, wire_strerror(f.last));
        CHECK(f.peak == 0, "after the last frame %zu heap bytes", f.peak);
        free(f.bytes);
    }
    wire_reader_free(&r);
    free(big);
    free(small);
}

/* Oversized length prefixes are refused before anything is allocated for them. */
static void test_too_big(void)
{
    static const uint8_t huge[4] = {0x7f, 0xff, 0xff, 0xff}, over[4] = {0x00, 0x10, 0x00, 0x01};
    size_t taken, len;
    wire_reader r;
    Excam__Envelope *m = (Excam__Envelope *)&r;
    char why[256] = "";
    uint8_t *frame;
    frames f;

    for (int i = 0; i < 2; i++) {
        wire_reader_init(&r, 0);
        CHECK(wire_reader_feed(&r, i ? over : huge, 4, &taken) == WIRE_OK && taken == 4,
              "feed of a length prefix");
        CHECK(wire_next(&r, &m, why, sizeof(why)) == WIRE_ETOOBIG && !m,
              "length prefix %s: not ETOOBIG", i ? "2^20+1" : "2^31-1");
        CHECK(strstr(why, "maximum") != NULL, "no reason given: \"%s\"", why);
        CHECK(wire_reader_memory(&r) == 0, "%zu bytes allocated for an oversized frame",
              wire_reader_memory(&r));
        /* Sticky: the stream cannot be resynchronized. */
        CHECK(wire_reader_feed(&r, "abcd", 4, &taken) == WIRE_ETOOBIG && taken == 0,
              "feed after ETOOBIG");
        CHECK(wire_next(&r, &m, NULL, 0) == WIRE_ETOOBIG, "ETOOBIG is not sticky");
        wire_reader_free(&r);
    }
    /* 2^20 exactly is allowed: the reader waits for it. */
    wire_reader_init(&r, 0);
    wire_reader_feed(&r, "\x00\x10\x00\x00", 4, &taken);
    CHECK(wire_next(&r, &m, NULL, 0) == WIRE_AGAIN, "a 2^20-byte frame is refused");
    wire_reader_free(&r);

    /* The maximum is the reader's parameter: a valid 60-byte message over a 40-byte max. */
    frame = sample_frame(EXCAM__ENVELOPE__BODY_TASK_RESULT, &len);
    decode_stream(frame, len, 1, 0, 40, &f);
    CHECK(len - 4 > 40 && f.last == WIRE_ETOOBIG && f.count == 0,
          "a %zu-byte frame with max 40: %s", len - 4, wire_strerror(f.last));
    free(f.bytes);
    decode_stream(frame, len, 1, 0, len - 4, &f);
    CHECK(f.last == WIRE_EOF && f.count == 1, "a %zu-byte frame with max %zu: %s", len - 4,
          len - 4, wire_strerror(f.last));
    free(f.bytes);
    free(frame);
}

/* Malformed frames are consumed: the next valid frame still arrives. */
static void expect_malformed(const uint8_t *bad, size_t bad_len, const char *what,
                             const char *reason)
{
    size_t good_len, len;
    uint8_t *good = sample_frame(EXCAM__ENVELOPE__BODY_HELLO, &good_len);
    uint8_t *stream = malloc(bad_len + good_len);
    wire_reader r;
    Excam__Envelope *m = NULL;
    char why[256] = "";
    size_t taken, off = 0;
    int rc;

    if (!stream)
        exit(1);
    memcpy(stream, bad, bad_len);
    memcpy(stream + bad_len, good, good_len);
    len = bad_len + good_len;
    wire_reader_init(&r, 0);
    while (off < len && wire_reader_feed(&r, stream + off, len - off, &taken) == WIRE_OK && taken)
        off += taken;
    rc = wire_next(&r, &m, why, sizeof(why));
    CHECK(rc == WIRE_EMALFORMED && !m, "%s: %s, not malformed", what, wire_strerror(rc));
    CHECK(!reason || strstr(why, reason), "%s: reason \"%s\" lacks \"%s\"", what, why, reason);
    wire_free(m);
    while (off < len && wire_reader_feed(&r, stream + off, len - off, &taken) == WIRE_OK && taken)
        off += taken;
    rc = wire_next(&r, &m, why, sizeof(why));
    CHECK(rc == WIRE_OK && m && m->body_case == EXCAM__ENVELOPE__BODY_HELLO,
          "%s: the next frame: %s (%s)", what, wire_strerror(rc), why);
    wire_free(m);
    wire_reader_free(&r);
    free(stream);
    free(good);
}

static void test_malformed(void)
{
    uint64_t seed = 42;
    uint8_t buf[4 + 300];
    sample s;
    size_t len;
    uint8_t *frame;

    /* Garbage bodies behind a valid length. */
    memset(buf, 0xff, sizeof(buf));
    buf[0] = buf[1] = 0, buf[2] = 1, buf[3] = 44; /* 300 */
    expect_malformed(buf, sizeof(buf), "0xff bytes", "no Envelope");
    for (int i = 0; i < 50; i++) {
        for (size_t k = 4; k < sizeof(buf); k++)
            buf[k] = (uint8_t)tu_rand(&seed);
        expect_malformed(buf, sizeof(buf), "random bytes", NULL);
    }
    /* An empty frame: an Envelope without a body. */
    expect_malformed((const uint8_t *)"\0\0\0\0", 4, "empty frame", "no body");

    /* Two bodies in one envelope: hello's field, then heartbeat's. */
    {
        size_t a_len, b_len;
        uint8_t *a = sample_frame(EXCAM__ENVELOPE__BODY_HELLO, &a_len);
        uint8_t *b = sample_frame(EXCAM__ENVELOPE__BODY_JOB_CANCEL, &b_len);
        uint8_t *two = malloc(a_len + b_len);
        size_t body = a_len + b_len - 8;
        if (!two)
            exit(1);
        two[0] = 0, two[1] = 0, two[2] = (uint8_t)(body >> 8), two[3] = (uint8_t)body;
        memcpy(two + 4, a + 4, a_len - 4);
        memcpy(two + a_len, b + 4, b_len - 4);
        expect_malformed(two, body + 4, "two bodies", "canonical");
        free(two);
        free(a);
        free(b);
    }

    /* A string with an embedded NUL ("work\0r-1"): protobuf-c would cut it. */
    frame = sample_frame(EXCAM__ENVELOPE__BODY_HELLO, &len);
    {
        uint8_t *p = memmem(frame, len, "worker-1", 8);
        if (CHECK(p != NULL, "sample hello has no name"))
            p[4] = 0;
        expect_malformed(frame, len, "embedded NUL", "canonical");
    }
    free(frame);

    /* Well-formed but invalid (a 31-byte hash), made without wire_pack's check. */
    sample_make(&s, EXCAM__ENVELOPE__BODY_TASK_ASSIGN);
    s.blobs[1].hash.len = 31;
    frame = raw_frame(&s.env, &len);
    expect_malformed(frame, len, "31-byte hash", "task_assign.inputs[1].hash");
    free(frame);

    /* A memory bomb: a frame of empty JobStatus items (2 bytes each, ~100 in memory). */
    {
        size_t items = 400000, body_inner = 2 * items, n = 0;
        size_t lenlen = 3, body = 1 + lenlen + body_inner; /* field 15 tag, varint length */
        uint8_t *bomb = malloc(4 + body);
        if (!bomb)
            exit(1);
        bomb[n++] = (uint8_t)(body >> 24), bomb[n++] = (uint8_t)(body >> 16);
        bomb[n++] = (uint8_t)(body >> 8), bomb[n++] = (uint8_t)body;
        bomb[n++] = 15 << 3 | 2;
        bomb[n++] = (uint8_t)(0x80 | (body_inner & 0x7f));
        bomb[n++] = (uint8_t)(0x80 | ((body_inner >> 7) & 0x7f));
        bomb[n++] = (uint8_t)(body_inner >> 14);
        for (size_t i = 0; i < items; i++)
            bomb[n++] = 1 << 3 | 2, bomb[n++] = 0;
        CHECK(body <= WIRE_MAX_FRAME && n == 4 + body, "bomb of %zu bytes", body);
        expect_malformed(bomb, n, "memory bomb", "memory");
        free(bomb);
    }
}

/* EOF inside a frame is ETRUNC; between frames it is EOF. */
static void test_truncated(void)
{
    size_t len;
    uint8_t *frame = sample_frame(EXCAM__ENVELOPE__BODY_JOB_SUBMIT, &len);
    static const size_t cuts[] = {1, 2, 3, 4, 5, 20};
    frames f;

    for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
        decode_stream(frame, cuts[i], 1, 0, 0, &f);
        CHECK(f.last == WIRE_ETRUNC && f.count == 0, "cut after %zu bytes: %s", cuts[i],
              wire_strerror(f.last));
        free(f.bytes);
    }
    decode_stream(frame, len - 1, 0, 0, 0, &f);
    CHECK(f.last == WIRE_ETRUNC && strstr(f.why, "closed after"), "one byte short: %s (%s)",
          wire_strerror(f.last), f.why);
    free(f.bytes);
    decode_stream(frame, 0, 0, 0, 0, &f);
    CHECK(f.last == WIRE_EOF, "nothing at all: %s", wire_strerror(f.last));
    free(f.bytes);
    free(frame);
}

/* Each broken message must be rejected, with the field named in the reason. */
static void expect_invalid(const Excam__Envelope *m, const char *what, const char *field)
{
    char why[256] = "";
    uint8_t *out = (uint8_t *)&why;
    size_t len = 1;
    int rc = wire_validate(m, why, sizeof(why));
    CHECK(rc == WIRE_EMALFORMED, "%s: accepted", what);
    CHECK(strstr(why, field) != NULL, "%s: reason \"%s\" does not name %s", what, why, field);
    CHECK(wire_pack(m, &out, &len) == WIRE_EINVAL && !out && len == 0, "%s: packed", what);
}

static void test_validate(void)
{
    sample s;
    Excam__Envelope *m;
    Excam__BlobRef many[WIRE_MAX_BLOBS + 1], *many_ptrs[WIRE_MAX_BLOBS + 1];
    static Excam__TaskRef refs[WIRE_MAX_SLOTS + 1], *ref_ptrs[WIRE_MAX_SLOTS + 1];
    char names[WIRE_MAX_BLOBS + 1][8], longname[WIRE_MAX_NAME + 2];

    /* Every sample is valid (so that the rejections below are about the one change). */
    for (int kind = 1; kind <= KINDS; kind++) {
        char why[256] = "";
        CHECK(wire_validate(sample_make(&s, kind), why, sizeof(why)) == WIRE_OK,
              "sample %d invalid: %s", kind, why);
    }

    m = sample_make(&s, EXCAM__ENVELOPE__BODY_TASK_ASSIGN);
    m->body_case = EXCAM__ENVELOPE__BODY__NOT_SET;
    expect_invalid(m, "no body", "no body");
    m = sample_make(&s, EXCAM__ENVELOPE__BODY_TASK_ASSIGN);
    m->task_assign = NULL;
    expect_invalid(m, "body case without body", "task_assign: missing");
    m = sample_make(&s, EXCAM__ENVELOPE__BODY_TASK_ASSIGN);
    m->body_case = (Excam__Envelope__BodyCase)99;
    expect_invalid(m, "unknown body case", "unknown body");
    m = sample_make(&s, EXCAM__ENVELOPE__BODY_TASK_ASSIGN);
    m->body_case = EXCAM__ENVELOPE__BODY_HELLO; /* the union holds a TaskAssign */
    expect_invalid(m, "body of the wrong type", "not a Hello");

    /* Hash sizes. */
    for (size_t n = 0; n <= 64; n += 1) {
        if (n == 32)
            continue;
        uint8_t big[64] = {0};
        m = sample_make(&s, EXCAM__ENVELOPE__BODY_TASK_ASSIGN);
        s.blobs[2].hash.data = big;
        s.blobs[2].hash.len = n;
        expect_invalid(m, "input hash size", "task_assign.inputs[2].hash");
    }
    m = sample_make(&s, EXCAM__ENVELOPE__BODY_TASK_RESULT);
    s.blobs[0].hash.len = 33;
    expect_invalid(m, "output hash size", "task_result.outputs[0].hash");
    m = sample_make(&s, EXCAM__ENVELOPE__BODY_JOB_SUBMIT);
    s.blobs[0].hash.len = 0;
    expect_invalid(m, "manifest hash size", "job_submit.input_manifest.hash");
    m = sample_make(&s, EXCAM__ENVELOPE__BODY_AUTH_RESPONSE);
    s.response.mac.len = 16;
    expect_invalid(m, "MAC size", "auth_response.mac");

    /* Repeated fields: one too many. */
    m = sample_make(&s, EXCAM__ENVELOPE__BODY_TASK_ASSIGN);
    for (size_t i = 0; i <= WIRE_MAX_BLOBS; i++) {
        many[i] = s.blobs[0];
        snprintf(names[i], sizeof(names[i]), "in%zu", i);
        many[i].name = names[i];
        many_ptrs[i] = &many[i];
    }
    s.assign.inputs = many_ptrs;
    s.assign.n_inputs = WIRE_MAX_BLOBS;
    CHECK(wire_validate(m, NULL, 0) == WIRE_OK, "%u inputs refused", WIRE_MAX_BLOBS);
    s.assign.n_inputs = WIRE_MAX_BLOBS + 1;
    expect_invalid(m, "too many inputs", "task_assign.inputs");
    m = sample_make(&s, EXCAM__ENVELOPE__BODY_HEARTBEAT);
    for (size_t i = 0; i <= WIRE_MAX_SLOTS; i++) {
        refs[i] = s.refs[0];
        ref_ptrs[i] = &refs[i];
    }
    s.heartbeat.running = ref_ptrs;
    s.heartbeat.n_running = WIRE_MAX_SLOTS + 1;
    expect_invalid(m, "too many running", "heartbeat.running");
    m = sample_make(&s, EXCAM__ENVELOPE__BODY_TASK_ASSIGN);
    s.blobs[2].name = "frames";
    expect_invalid(m, "duplicate input names", "repeats entry 0");
    m = sample_make(&s, EXCAM__ENVELOPE__BODY_HEARTBEAT);
    s.refs[2].attempt = 0;
    expect_invalid(m, "attempt 0", "heartbeat.running[2].attempt");

    /* Enums. */
    m = sample_make(&s, EXCAM__ENVELOPE__BODY_TASK_ASSIGN);
    s.assign.kind = (Excam__TaskKind)99;
    expect_invalid(m, "unknown task kind", "task_assign.kind");
    m = sample_make(&s, EXCAM__ENVELOPE__BODY_TASK_ASSIGN);
    s.assign.kind = EXCAM__TASK_KIND__TASK_KIND_UNSPECIFIED;
    expect_invalid(m, "unspecified task kind", "task_assign.kind");
    m = sample_make(&s, EXCAM__ENVELOPE__BODY_HELLO);
    s.hello.role = (Excam__Role)-1;
    expect_invalid(m, "unknown role", "hello.role");
    m = sample_make(&s, EXCAM__ENVELOPE__BODY_JOB_STATUS);
    s.status.state = (Excam__JobState)6;
    expect_invalid(m, "unknown job state", "job_status.state");
    m = sample_make(&s, EXCAM__ENVELOPE__BODY_ERROR);
    s.error.code = (Excam__ErrorCode)11;
    expect_invalid(m, "unknown error code", "error.code");
    m = sample_make(&s, EXCAM__ENVELOPE__BODY_JOB_STATUS);
    s.stages[1].stage = EXCAM__TASK_KIND__NOOP;
    expect_invalid(m, "NOOP stage", "job_status.stages[1].stage");

    /* Text. */
    m = sample_make(&s, EXCAM__ENVELOPE__BODY_HELLO);
    s.hello.name = "bad\xc3(utf8";
    expect_invalid(m, "bad UTF-8", "hello.name");
    m = sample_make(&s, EXCAM__ENVELOPE__BODY_HELLO);
    s.hello.name = "\xed\xa0\x80"; /* a UTF-16 surrogate */
    expect_invalid(m, "surrogate", "hello.name");
    m = sample_make(&s, EXCAM__ENVELOPE__BODY_HELLO);
    s.hello.name = "\xc0\xaf"; /* overlong '/' */
    expect_invalid(m, "overlong UTF-8", "hello.name");
    m = sample_make(&s, EXCAM__ENVELOPE__BODY_ERROR);
    s.error.message = "line\nforged log line";
    expect_invalid(m, "control character", "error.message");
    m = sample_make(&s, EXCAM__ENVELOPE__BODY_HELLO);
    memset(longname, 'a', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    s.hello.name = longname;
    expect_invalid(m, "long name", "hello.name");
    longname[WIRE_MAX_NAME] = '\0';
    CHECK(wire_validate(m, NULL, 0) == WIRE_OK, "a %u-byte name refused", WIRE_MAX_NAME);
    m = sample_make(&s, EXCAM__ENVELOPE__BODY_HELLO);
    s.hello.name = "";
    expect_invalid(m, "empty name", "hello.name");
    m = sample_make(&s, EXCAM__ENVELOPE__BODY_TASK_ASSIGN);
    s.assign.storage_uri = NULL;
    expect_invalid(m, "no storage URI", "task_assign.storage_uri");

    /* Numbers and the rules that tie fields together. */
    m = sample_make(&s, EXCAM__ENVELOPE__BODY_TASK_ASSIGN);
    s.params.q_key = 128;
    expect_invalid(m, "q_key 128", "task_assign.params.q_key");
    m = sample_make(&s, EXCAM__ENVELOPE__BODY_TASK_ASSIGN);
    s.params.first_boost = s.params.q_key + 1; /* a first frame below quantizer 0 */
    expect_invalid(m, "first_boost above q_key", "task_assign.params.first_boost");
    m = sample_make(&s, EXCAM__ENVELOPE__BODY_TASK_ASSIGN);
    s.params.token_partitions = 4;
    expect_invalid(m, "token partitions", "task_assign.params.token_partitions");
    m = sample_make(&s, EXCAM__ENVELOPE__BODY_TASK_ASSIGN);
    s.assign.params = NULL;
    expect_invalid(m, "REBASE without params", "task_assign.params");
    s.assign.kind = EXCAM__TASK_KIND__NOOP;
    s.assign.frame_count = 0;
    CHECK(wire_validate(m, NULL, 0) == WIRE_OK, "NOOP without params refused");
    m = sample_make(&s, EXCAM__ENVELOPE__BODY_TASK_ASSIGN);
    s.assign.frame_count = 0;
    expect_invalid(m, "no frames", "task_assign.frame_count");
    m = sample_make(&s, EXCAM__ENVELOPE__BODY_TASK_ASSIGN);
    s.assign.first_frame = UINT32_MAX;
    expect_invalid(m, "frames past the end", "task_assign.first_frame");
    m = sample_make(&s, EXCAM__ENVELOPE__BODY_JOB_SUBMIT);
    s.submit.width = 16384;
    expect_invalid(m, "width", "job_submit.width");
    m = sample_make(&s, EXCAM__ENVELOPE__BODY_JOB_SUBMIT);
    s.blobs[0].size -= 32;
    expect_invalid(m, "manifest size", "job_submit.input_manifest.size");
    /* Per-chunk quantizers: 3 bytes a chunk, a proper blob reference. */
    m = sample_make(&s, EXCAM__ENVELOPE__BODY_JOB_SUBMIT);
    s.blobs[1].size = 3 * 6250;
    s.submit.chunk_quantizers = &s.blobs[1];
    {
        char why[256] = "";
        CHECK(wire_validate(m, why, sizeof(why)) == WIRE_OK, "chunk quantizers: refused: %s", why);
    }
    s.blobs[1].size = 3 * 6250 - 1;
    expect_invalid(m, "chunk quantizers size", "job_submit.chunk_quantizers.size");
    s.blobs[1].size = 3 * 6250;
    s.blobs[1].hash.len = 31;
    expect_invalid(m, "chunk quantizers hash", "job_submit.chunk_quantizers.hash");
    m = sample_make(&s, EXCAM__ENVELOPE__BODY_TASK_RESULT);
    s.result.code = EXCAM__ERROR_CODE__ERR_CODEC;
    expect_invalid(m, "failure without message", "task_result.message");
    s.result.message = "frame 3: corrupt";
    expect_invalid(m, "failure with outputs", "task_result.outputs");
    s.result.n_outputs = 0;
    CHECK(wire_validate(m, NULL, 0) == WIRE_OK, "a failed result refused");
    {
        /* Lost inputs: named, only with ERR_NOT_FOUND. */
        char *lost[2] = {"prev-state", ""};
        s.result.n_lost_inputs = 1;
        s.result.lost_inputs = lost;
        expect_invalid(m, "lost inputs with another error", "task_result.lost_inputs");
        s.result.code = EXCAM__ERROR_CODE__ERR_NOT_FOUND;
        CHECK(wire_validate(m, NULL, 0) == WIRE_OK, "a result with a lost input refused");
        s.result.n_lost_inputs = 2;
        expect_invalid(m, "an empty lost input name", "task_result.lost_inputs[1]");
        s.result.n_lost_inputs = 0;
        s.result.lost_inputs = NULL;
    }
    m = sample_make(&s, EXCAM__ENVELOPE__BODY_TASK_RESULT);
    s.result.cpu_seconds = -1;
    expect_invalid(m, "negative CPU time", "task_result.cpu_seconds");
    s.result.cpu_seconds = NAN;
    expect_invalid(m, "NaN CPU time", "task_result.cpu_seconds");
    m = sample_make(&s, EXCAM__ENVELOPE__BODY_HELLO_ACK);
    s.hello_ack.accepted = 0;
    expect_invalid(m, "refusal without reason", "hello_ack.refusal_reason");
    {
        static uint8_t mac[33];
        m = sample_make(&s, EXCAM__ENVELOPE__BODY_HELLO_ACK);
        s.hello_ack.server_mac.data = mac;
        s.hello_ack.server_mac.len = 32;
        CHECK(wire_validate(m, NULL, 0) == WIRE_OK, "an acceptance with a 32-byte server_mac refused");
        s.hello_ack.server_mac.len = 31;
        expect_invalid(m, "server_mac size", "hello_ack.server_mac");
        s.hello_ack.server_mac.len = 33;
        expect_invalid(m, "server_mac size", "hello_ack.server_mac");
        s.hello_ack.server_mac.len = 32;
        s.hello_ack.accepted = 0;
        s.hello_ack.session_id = 0;
        s.hello_ack.refusal_code = EXCAM__ERROR_CODE__ERR_AUTH;
        s.hello_ack.refusal_reason = "authentication failed";
        expect_invalid(m, "a refusal with a server_mac", "hello_ack.server_mac");
    }
    m = sample_make(&s, EXCAM__ENVELOPE__BODY_HELLO);
    s.hello.slots = 0;
    expect_invalid(m, "worker without slots", "hello.slots");
    m = sample_make(&s, EXCAM__ENVELOPE__BODY_JOB_STATUS);
    s.stages[0].done = 41;
    expect_invalid(m, "done > total", "job_status.stages[0].done");
    m = sample_make(&s, EXCAM__ENVELOPE__BODY_JOB_STATUS);
    s.stages[1].wall_seconds = INFINITY;
    expect_invalid(m, "infinite wall time", "job_status.stages[1].wall_seconds");
    s.stages[1].wall_seconds = -0.5;
    expect_invalid(m, "negative wall time", "job_status.stages[1].wall_seconds");
    m = sample_make(&s, EXCAM__ENVELOPE__BODY_JOB_STATUS);
    s.stages[2].stage = EXCAM__TASK_KIND__ENCODE;
    expect_invalid(m, "stage twice", "job_status.stages[2]");
    m = sample_make(&s, EXCAM__ENVELOPE__BODY_JOB_STATUS);
    s.status.state = EXCAM__JOB_STATE__RUNNING;
    expect_invalid(m, "outputs before DONE", "job_status.outputs");
    m = sample_make(&s, EXCAM__ENVELOPE__BODY_JOB_LIST_REPLY);
    s.list_items[1].job_id = 4;
    expect_invalid(m, "job ids not increasing", "job_list_reply.jobs[1]");
    m = sample_make(&s, EXCAM__ENVELOPE__BODY_JOB_LIST);
    s.list.limit = 0;
    expect_invalid(m, "limit 0", "job_list.limit");
    m = sample_make(&s, EXCAM__ENVELOPE__BODY_JOB_CANCEL);
    s.cancel.job_id = 0;
    expect_invalid(m, "job id 0", "job_cancel.job_id");
    CHECK(wire_validate(NULL, NULL, 0) == WIRE_EMALFORMED, "NULL accepted");
}

/* wire_pack_to, wire_strerror, wire_body_name. */
static void test_api(void)
{
    sample s;
    uint8_t buf[4096], *heap = NULL;
    size_t len = 0, need = 0, heap_len = 0;
    Excam__Envelope *m = sample_make(&s, EXCAM__ENVELOPE__BODY_JOB_SUBMIT);
    static const int codes[] = {WIRE_OK,         WIRE_AGAIN,  WIRE_EOF,    WIRE_ETOOBIG,
                                WIRE_EMALFORMED, WIRE_ETRUNC, WIRE_ENOMEM, WIRE_EIO,
                                WIRE_EINVAL,     WIRE_ENOSPC};

    CHECK(wire_pack_to(m, buf, 10, &need) == WIRE_ENOSPC && need > 10, "ENOSPC, need %zu", need);
    CHECK(wire_pack_to(m, buf, need, &len) == WIRE_OK && len == need, "pack_to exact size");
    CHECK(wire_pack(m, &heap, &heap_len) == WIRE_OK && heap_len == len && !memcmp(heap, buf, len),
          "pack and pack_to differ");
    CHECK(((size_t)buf[0] << 24 | (size_t)buf[1] << 16 | (size_t)buf[2] << 8 | buf[3]) == len - 4,
          "the length prefix is not big-endian body length");
    free(heap);
    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
        for (size_t j = 0; j < i; j++)
            CHECK(strcmp(wire_strerror(codes[i]), wire_strerror(codes[j])),
                  "codes %d and %d read the same", codes[i], codes[j]);
    CHECK(!strcmp(wire_strerror(-99), "unknown wire error"), "unknown code");
    CHECK(!strcmp(wire_body_name(m), "job_submit"), "body name %s", wire_body_name(m));
    CHECK(!strcmp(wire_body_name(NULL), "unset"), "body name of NULL");
}

/* Reading from a nonblocking socket: pieces arrive between reads; then EOF. */
static void test_socket(void)
{
    size_t len, count, sent = 0;
    uint8_t *stream = make_stream(&len, &count);
    int sv[2];
    wire_reader r;
    frames f;
    uint64_t seed = 7;
    int rc = WIRE_OK, reads = 0;

    memset(&f, 0, sizeof(f));
    if (!CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "socketpair: %s", strerror(errno)))
        return;
    CHECK(fcntl(sv[0], F_SETFL, O_NONBLOCK) == 0, "O_NONBLOCK");
    wire_reader_init(&r, 0);
    CHECK(wire_reader_read(&r, sv[0]) == WIRE_AGAIN, "an empty socket is not AGAIN");
    while (sent < len) {
        size_t piece = 1 + tu_rand_below(&seed, 700);
        if (piece > len - sent)
            piece = len - sent;
        if (write(sv[1], stream + sent, piece) != (ssize_t)piece)
            break;
        sent += piece;
        while ((rc = wire_reader_read(&r, sv[0])) == WIRE_OK) {
            reads++;
            if ((rc = drain(&r, &f)) != WIRE_AGAIN)
                break;
        }
        if (rc != WIRE_AGAIN)
            break;
    }
    CHECK(sent == len && rc == WIRE_AGAIN, "socket: stopped at %zu of %zu with %s", sent, len,
          wire_strerror(rc));
    shutdown(sv[1], SHUT_WR);
    while ((rc = wire_reader_read(&r, sv[0])) == WIRE_OK && (rc = drain(&r, &f)) == WIRE_AGAIN)
        ;
    CHECK(rc == WIRE_EOF && f.count == count && f.len == len && !memcmp(f.bytes, stream, len),
          "socket: %zu of %zu messages in %d reads, ended with %s", f.count, count, reads,
          wire_strerror(rc));
    CHECK(wire_reader_read(&r, -1) == WIRE_OK, "read after EOF must not touch the fd");
    close(sv[0]);
    close(sv[1]);
    wire_reader_free(&r);
    wire_reader_init(&r, 0);
    CHECK(wire_reader_read(&r, -1) == WIRE_EIO && errno == EBADF, "a bad fd is not EIO");
    wire_reader_free(&r);
    free(f.bytes);
    free(stream);
}

/* --write-seeds DIR: one frame per kind, plus the big heartbeat. */
static int write_seeds(const char *dir)
{
    char path[4096];
    for (int kind = 1; kind <= KINDS + 1; kind++) {
        size_t len;
        uint8_t *frame = kind <= KINDS ? sample_frame(kind, &len) : big_frame(&len);
        FILE *f;
        snprintf(path, sizeof(path), "%s/%s.frame", dir,
                 kind <= KINDS ? body_names[kind] : "heartbeat-1024");
        f = fopen(path, "wb");
        if (!f || fwrite(frame, 1, len, f) != len || fclose(f) != 0) {
            fprintf(stderr, "test_wire: cannot write %s\n", path);
            free(frame);
            return 1;
        }
        free(frame);
    }
    printf("test_wire: %d seeds in %s\n", KINDS + 1, dir);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "--write-seeds"))
        return write_seeds(argv[2]);
    test_round_trip();
    test_splits();
    test_memory();
    test_too_big();
    test_malformed();
    test_truncated();
    test_validate();
    test_api();
    test_socket();
    printf("wire: %d passed, %d failed\n", tu_passed, tu_failed);
    return tu_failed ? 1 : 0;
}

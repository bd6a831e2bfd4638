/* decode.c - sniffs bytes and hands them to the right decoder. Order: gzip is
 * inflated; legacy text/binary formats recognise themselves by their headers; folded
 * stacks recognise themselves as lines ending in counts; everything else must be a
 * profile.proto message. A failure names the format that was recognised. */
#include "decode.h"

#include <stdlib.h>
#include <string.h>

static enum hw_err
decode_plain(struct arena *a, const unsigned char *data, size_t len, struct profile **out,
             struct errbuf *eb)
{
    struct errbuf proto_eb = {{0}};
    bool recognized = false;
    enum hw_err err;

    if (len == 0)
        return errbuf_set(eb, HW_BADDATA, "empty input");
    err = legacy_parse(a, data, len, out, &recognized, eb);
    if (recognized || err == HW_TOOBIG || err == HW_NOMEM)
        return err;
    errbuf_clear(eb);
    err = folded_parse(a, data, len, out, &recognized, eb);
    if (recognized || err == HW_TOOBIG || err == HW_NOMEM)
        return err;
    errbuf_clear(eb);
    err = pprof_decode(a, data, len, out, &proto_eb);
    if (err == HW_OK)
        return profile_check(*out, eb);
    if (err == HW_TOOBIG || err == HW_NOMEM)
        return proto_eb.msg[0] ? errbuf_set(eb, err, "%s", proto_eb.msg) : err;
    /* Text that is none of the known formats says so rather than blaming protobuf. */
    if (len >= 1 && (data[0] == '<' || data[0] == '{'))
        return errbuf_set(eb, HW_BADDATA, "unrecognized profile format (looks like %s, not a "
                          "profile)", data[0] == '<' ? "HTML/XML" : "JSON");
    return errbuf_set(eb, HW_BADDATA, "unrecognized profile format: %s",
                      errbuf_msg(&proto_eb, err));
}

enum hw_err
profile_decode_in(struct arena *a, const unsigned char *data, size_t len, struct profile **out,
                  struct errbuf *eb)
{
    size_t limit = arena_limit(a);
    struct buf raw;
    enum hw_err err;

    *out = NULL;
    buf_init(&raw, limit ? limit : DECODE_DEFAULT_LIMIT);
    if (len >= 2 && data[0] == 0x1f && data[1] == 0x8b) {
        if ((err = inflate_gzip(data, len, &raw, eb)) != HW_OK)
            goto out;
        data = raw.data;
        len = raw.len;
    }
    err = decode_plain(a, data, len, out, eb);
    if (err == HW_TOOBIG)
        errbuf_set(eb, err, "decoded profile exceeds the limit of %zu bytes", limit);
out:
    buf_reset(&raw);
    if (err != HW_OK)
        *out = NULL;
    return err;
}

enum hw_err
profile_decode(const unsigned char *data, size_t len, size_t limit, struct profile **out,
               struct errbuf *eb)
{
    struct arena *a;
    enum hw_err err;

    *out = NULL;
    if ((a = arena_new(limit ? limit : DECODE_DEFAULT_LIMIT)) == NULL)
        return errbuf_set(eb, HW_NOMEM, "out of memory");
    if ((err = profile_decode_in(a, data, len, out, eb)) != HW_OK)
        arena_free(a);
    return err;
}

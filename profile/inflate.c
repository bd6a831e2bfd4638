/* inflate.c - gzip to bytes with zlib, into a capped buffer. Concatenated gzip
 * members (as `cat a.gz b.gz` makes) are read one after another, like gzip -dc. The
 * output cap is checked on every chunk, so a gzip bomb stops at the cap. */
#include "decode.h"

#include <zlib.h>

static enum hw_err
inflate_member(z_stream *zs, struct buf *out, struct errbuf *eb)
{
    unsigned char chunk[65536];
    enum hw_err err;
    int rc;

    do {
        zs->next_out = chunk;
        zs->avail_out = sizeof(chunk);
        rc = inflate(zs, Z_NO_FLUSH);
        if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR)
            return errbuf_set(eb, rc == Z_MEM_ERROR ? HW_NOMEM : HW_BADDATA,
                              "decompressing gzip: %s", zs->msg ? zs->msg : "corrupt data");
        if ((err = buf_append(out, chunk, sizeof(chunk) - zs->avail_out)) != HW_OK)
            return errbuf_set(eb, err, "decompressed profile exceeds the limit of %zu bytes",
                              out->max);
        if (rc == Z_BUF_ERROR && zs->avail_in == 0)
            return errbuf_set(eb, HW_BADDATA, "decompressing gzip: unexpected end of data");
    } while (rc != Z_STREAM_END);
    return HW_OK;
}

enum hw_err
inflate_gzip(const unsigned char *data, size_t len, struct buf *out, struct errbuf *eb)
{
    z_stream zs = {0};
    enum hw_err err = HW_OK;

    if (len > UINT32_MAX)
        return errbuf_set(eb, HW_TOOBIG, "compressed input larger than 4 GiB");
    if (inflateInit2(&zs, 15 + 16) != Z_OK)
        return errbuf_set(eb, HW_NOMEM, "decompressing gzip: cannot initialise zlib");
    /* The trailer's ISIZE is the (last member's) size mod 4 GiB: a hint that saves
     * the buffer's doubling, bounded by deflate's best ratio so a lie costs little. */
    if (len >= 18) {
        size_t isize = (size_t)data[len - 4] | (size_t)data[len - 3] << 8 |
                       (size_t)data[len - 2] << 16 | (size_t)data[len - 1] << 24;
        if (isize > 0 && isize / 1032 <= len && (out->max == 0 || isize <= out->max))
            buf_reserve(out, isize);
    }
    zs.next_in = (unsigned char *)(uintptr_t)data;
    zs.avail_in = (uInt)len;
    for (;;) {
        if ((err = inflate_member(&zs, out, eb)) != HW_OK)
            break;
        /* Another member follows only if it starts with the gzip magic; trailing
         * zero padding (some writers add it) is ignored as gzip -dc does. */
        if (zs.avail_in < 2 || zs.next_in[0] != 0x1f || zs.next_in[1] != 0x8b)
            break;
        if (inflateReset(&zs) != Z_OK) {
            err = errbuf_set(eb, HW_BADDATA, "decompressing gzip: bad member");
            break;
        }
    }
    inflateEnd(&zs);
    return err;
}

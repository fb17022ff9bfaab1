/* libFuzzer target: RTP packets through the receive path's pure parts: header parse,
 * RFC 3550 statistics, outbound-stream rewriting, RFC 3389 payloads and the jitter buffer.
 *   make -C native fuzz && native/build/fuzz/fuzz_rtp -max_total_time=600 native/fuzz/corpus/rtp */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "rtp/cn.h"
#include "rtp/jb.h"
#include "rtp/packet.h"
#include "rtp/rewrite.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static jb b;
    static int init;
    rtp_rx_stats st;
    rtp_out_stream out;
    rtp_header h;
    uint8_t copy[2048];
    const jb_slot *slot;
    size_t off = 0;
    uint64_t now = 1;

    if (!init) {
        if (jb_init(&b, 8000, 20, 20, 200) < 0)
            return 0;
        init = 1;
    }
    jb_reset(&b);
    memset(&st, 0, sizeof(st));
    out_stream_init(&out, 1, 1, 1, 8000);
    /* The input is a sequence of packets, each prefixed by a 2-byte length. */
    while (off + 2 <= size) {
        size_t len = (size_t)((data[off] << 8) | data[off + 1]);
        uint16_t seq;
        uint32_t ts;
        off += 2;
        if (len > size - off)
            len = size - off;
        if (len > sizeof(copy))
            len = sizeof(copy);
        memcpy(copy, data + off, len);
        off += len;
        now += 20000000ull;
        if (rtp_is_rtcp(copy, len) || rtp_parse(copy, len, &h) < 0)
            continue;
        if (h.header_len + h.payload_len + h.padding != len)
            __builtin_trap();
        if (!st.initialised || h.ssrc != st.ssrc)
            rtp_stats_init(&st, h.ssrc, h.seq);
        else if (rtp_stats_update_seq(&st, h.seq) < 0)
            rtp_stats_init(&st, h.ssrc, h.seq);
        rtp_stats_update_jitter(&st, h.ts, (uint32_t)(now / 125000ull));
        (void)rtp_stats_lost(&st);
        (void)rtp_stats_fraction_lost(&st);
        if (h.pt == 13) {
            cn_payload cn;
            (void)cn_parse(copy + h.header_len, h.payload_len, &cn);
        }
        (void)out_stream_map(&out, h.ssrc, h.seq, h.ts, now, &seq, &ts);
        rtp_rewrite(copy, h.pt, h.marker, seq, ts, out.ssrc);
        out_stream_sent(&out, ts, now, h.payload_len);
        (void)jb_put(&b, h.ts, h.pt, h.pt == 13 ? JB_CN : JB_AUDIO, copy + h.header_len, h.payload_len);
        (void)jb_pull(&b, rtp_stats_jitter(&st), &slot);
        if (slot != NULL && slot->len > JB_SLOT_BYTES)
            __builtin_trap();
    }
    return 0;
}

/* libFuzzer target: RTCP compound packets (SR/RR/SDES/BYE) and the RTT arithmetic; a
 * parsed report is rebuilt and must parse again.
 *   native/build/fuzz/fuzz_rtcp -max_total_time=600 native/fuzz/corpus/rtcp */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "rtp/rtcp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rtcp_info info, again;
    rtcp_report r;
    uint8_t out[512];
    uint32_t our = size >= 12 ? ((uint32_t)data[8] << 24 | (uint32_t)data[9] << 16 | (uint32_t)data[10] << 8 | data[11]) : 0;
    size_t n;

    if (rtcp_parse(data, size, our, &info) < 0)
        return 0;
    (void)rtcp_rtt_us(0x12345678u, info.block.lsr, info.block.dlsr);
    memset(&r, 0, sizeof(r));
    r.ssrc = info.sender_ssrc;
    r.has_sr = info.has_sr;
    r.has_block = info.has_block;
    r.block = info.block;
    r.rtp_ts = info.sr_rtp_ts;
    r.cname = "fuzz";
    n = rtcp_build(out, sizeof(out), &r);
    if (n == 0 || rtcp_parse(out, n, info.block.ssrc, &again) != 2)
        __builtin_trap();
    if (info.has_block && (again.block.cumulative_lost != info.block.cumulative_lost ||
                           again.block.ext_max_seq != info.block.ext_max_seq))
        __builtin_trap();
    return 0;
}

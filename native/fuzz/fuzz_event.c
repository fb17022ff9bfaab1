/* libFuzzer target: RFC 4733 telephone-event payloads through the receive state machine
 * (4-byte timestamp + payload records), plus SDES inline key decoding of the same bytes.
 *   native/build/fuzz/fuzz_event -max_total_time=600 native/fuzz/corpus/event */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "rtp/dtmf.h"
#include "rtp/srtp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dtmf_rx rx, prev;
    dtmf_tx tx;
    size_t off = 0;
    char key[80];
    uint8_t k[SGSRTP_KEY_LEN], pl[4];
    int i;

    memset(&rx, 0, sizeof(rx));
    memset(&tx, 0, sizeof(tx));
    while (off + 8 <= size) {
        dtmf_payload p;
        uint32_t ts = (uint32_t)data[off] << 24 | (uint32_t)data[off + 1] << 16 | (uint32_t)data[off + 2] << 8 | data[off + 3];
        if (dtmf_parse(data + off + 4, 4, &p) == 0) {
            int r = dtmf_rx_packet(&rx, ts, &p, &prev);
            if ((r & DTMF_RX_END) && rx.active)
                __builtin_trap();
            (void)dtmf_tx_queue(&tx, p.event, p.duration, p.volume);
        }
        off += 8;
    }
    for (i = 0; i < 64 && dtmf_tx_busy(&tx); i++)
        (void)dtmf_tx_tick(&tx, 160, 8000, pl);
    memset(key, 0, sizeof(key));
    memcpy(key, data, size < sizeof(key) - 1 ? size : sizeof(key) - 1);
    (void)sgsrtp_key_decode(key, k);
    return 0;
}

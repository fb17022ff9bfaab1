/* Struct sizes of the public structs outside spangate.h/tdm.h (engine, RTP, relay, span,
 * PRI, codec, DSP), for the loader's handshake (sg_struct_size). */
#include <string.h>
#include "core/abi_sizes.h"
#include "spangate/codec.h"
#include "spangate/dsp.h"
#include "spangate/engine.h"
#include "spangate/kfwd.h"
#include "spangate/pri.h"
#include "spangate/relay.h"
#include "spangate/rtp.h"
#include "spangate/span.h"
#include "spangate/steer.h"

_Static_assert(sizeof(sg_rtp_ev_addr_t) <= SG_EVENT_PAYLOAD, "event payload");
_Static_assert(sizeof(sg_rtp_ev_rtcp_t) <= SG_EVENT_PAYLOAD, "event payload");
_Static_assert(sizeof(sg_rtp_ev_closed_t) <= SG_EVENT_PAYLOAD, "event payload");
_Static_assert(sizeof(sg_relay_ev_t) <= SG_EVENT_PAYLOAD, "event payload");
_Static_assert(sizeof(sg_span_ev_alarm_t) <= SG_EVENT_PAYLOAD, "event payload");
_Static_assert(sizeof(sg_pri_ev_t) <= SG_EVENT_PAYLOAD, "event payload");
_Static_assert(sizeof(sg_counters_t) % 8 == 0, "counters are whole uint64s");

#define ENTRY(t) { #t, (uint32_t)sizeof(t) }

static const struct {
    const char *name;
    uint32_t size;
} sizes[] = {
    ENTRY(sg_engine_config_t),
    ENTRY(sg_counters_t),
    ENTRY(sg_kfwd_status_t),
    ENTRY(sg_steer_status_t),
    ENTRY(sg_rtp_config_t),
    ENTRY(sg_rtp_stats_t),
    ENTRY(sg_rtp_ev_addr_t),
    ENTRY(sg_rtp_ev_timeout_t),
    ENTRY(sg_rtp_ev_dtmf_t),
    ENTRY(sg_rtp_ev_ssrc_t),
    ENTRY(sg_rtp_ev_rtcp_t),
    ENTRY(sg_rtp_ev_closed_t),
    ENTRY(sg_relay_ev_t),
    ENTRY(sg_span_config_t),
    ENTRY(sg_span_stats_t),
    ENTRY(sg_span_ev_alarm_t),
    ENTRY(sg_pri_config_t),
    ENTRY(sg_pri_party_t),
    ENTRY(sg_pri_setup_t),
    ENTRY(sg_pri_call_info_t),
    ENTRY(sg_pri_status_t),
    ENTRY(sg_pri_ev_t),
    ENTRY(sg_codec_info_t),
    ENTRY(sg_codec_opts_t),
    ENTRY(sg_tone_info_t),
    ENTRY(sg_ec_opts_t),
    ENTRY(sg_dtmf_opts_t),
    ENTRY(sg_dsp_dtmf_payload_t),
};

uint32_t engine_struct_size(const char *name)
{
    size_t i;

    for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
        if (strcmp(sizes[i].name, name) == 0)
            return sizes[i].size;
    return 0;
}

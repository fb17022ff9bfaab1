/* Struct sizes of the engine's public structs, for the loader's handshake (sg_struct_size). */
#include <string.h>
#include "core/abi_sizes.h"
#include "spangate/engine.h"
#include "spangate/relay.h"
#include "spangate/rtp.h"

_Static_assert(sizeof(sg_rtp_ev_addr_t) <= SG_EVENT_PAYLOAD, "event payload");
_Static_assert(sizeof(sg_rtp_ev_rtcp_t) <= SG_EVENT_PAYLOAD, "event payload");
_Static_assert(sizeof(sg_rtp_ev_closed_t) <= SG_EVENT_PAYLOAD, "event payload");
_Static_assert(sizeof(sg_relay_ev_t) <= SG_EVENT_PAYLOAD, "event payload");
_Static_assert(sizeof(sg_counters_t) % 8 == 0, "counters are whole uint64s");

#define ENTRY(t) { #t, (uint32_t)sizeof(t) }

static const struct {
    const char *name;
    uint32_t size;
} sizes[] = {
    ENTRY(sg_engine_config_t),
    ENTRY(sg_counters_t),
    ENTRY(sg_rtp_config_t),
    ENTRY(sg_rtp_stats_t),
    ENTRY(sg_rtp_ev_addr_t),
    ENTRY(sg_rtp_ev_timeout_t),
    ENTRY(sg_rtp_ev_dtmf_t),
    ENTRY(sg_rtp_ev_ssrc_t),
    ENTRY(sg_rtp_ev_rtcp_t),
    ENTRY(sg_rtp_ev_closed_t),
    ENTRY(sg_relay_ev_t),
};

uint32_t engine_struct_size(const char *name)
{
    size_t i;

    for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
        if (strcmp(sizes[i].name, name) == 0)
            return sizes[i].size;
    return 0;
}

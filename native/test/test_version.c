/* ABI handshake functions. */
#include "sg_test.h"
#include "spangate/codec.h"
#include "spangate/dsp.h"
#include "spangate/engine.h"
#include "spangate/pri.h"
#include "spangate/relay.h"
#include "spangate/rtp.h"
#include "spangate/span.h"
#include "spangate/spangate.h"
#include "spangate/tdm.h"

SG_TEST(abi_version_matches_header)
{
    SG_CHECK_EQ_INT(sg_abi_version(), SG_ABI_VERSION);
}

SG_TEST(abi_info_fills_struct)
{
    sg_abi_info_t info;
    SG_CHECK_EQ_INT(sg_abi_info(&info, sizeof(info)), SG_OK);
    SG_CHECK_EQ_INT(info.abi_version, SG_ABI_VERSION);
    SG_CHECK_EQ_INT(info.struct_size, sizeof(info));
    SG_CHECK(info.version[0] != '\0');
}

SG_TEST(abi_info_rejects_small_buffer)
{
    sg_abi_info_t info;
    SG_CHECK_EQ_INT(sg_abi_info(&info, 4), SG_EINVAL);
    SG_CHECK_EQ_INT(sg_abi_info(NULL, sizeof(info)), SG_EINVAL);
}

SG_TEST(struct_size_known_and_unknown)
{
    SG_CHECK_EQ_INT(sg_struct_size("sg_abi_info_t"), sizeof(sg_abi_info_t));
    SG_CHECK_EQ_INT(sg_struct_size("no_such_struct"), 0);
    SG_CHECK_EQ_INT(sg_struct_size(NULL), 0);
}

/* Every struct of the public headers is in the handshake table, with its sizeof. */
SG_TEST(struct_size_lists_every_public_struct)
{
#define SIZE_OF(t) SG_CHECK_EQ_INT(sg_struct_size(#t), sizeof(t))
    SIZE_OF(sg_abi_info_t);
    SIZE_OF(sg_event_t);
    SIZE_OF(sg_engine_config_t);
    SIZE_OF(sg_counters_t);
    SIZE_OF(sg_rtp_config_t);
    SIZE_OF(sg_rtp_stats_t);
    SIZE_OF(sg_rtp_ev_addr_t);
    SIZE_OF(sg_rtp_ev_timeout_t);
    SIZE_OF(sg_rtp_ev_dtmf_t);
    SIZE_OF(sg_rtp_ev_ssrc_t);
    SIZE_OF(sg_rtp_ev_rtcp_t);
    SIZE_OF(sg_rtp_ev_closed_t);
    SIZE_OF(sg_relay_ev_t);
    SIZE_OF(sg_span_config_t);
    SIZE_OF(sg_span_stats_t);
    SIZE_OF(sg_span_ev_alarm_t);
    SIZE_OF(sg_pri_config_t);
    SIZE_OF(sg_pri_party_t);
    SIZE_OF(sg_pri_setup_t);
    SIZE_OF(sg_pri_call_info_t);
    SIZE_OF(sg_pri_status_t);
    SIZE_OF(sg_pri_ev_t);
    SIZE_OF(sg_codec_info_t);
    SIZE_OF(sg_codec_opts_t);
    SIZE_OF(sg_tone_info_t);
    SIZE_OF(sg_ec_opts_t);
    SIZE_OF(sg_dtmf_opts_t);
    SIZE_OF(sg_dsp_dtmf_payload_t);
    SIZE_OF(sg_tdm_config_t);
    SIZE_OF(sg_tdm_stats_t);
#undef SIZE_OF
    /* Names match whole: no prefix or case folding. */
    SG_CHECK_EQ_INT(sg_struct_size("sg_span_config"), 0);
    SG_CHECK_EQ_INT(sg_struct_size("SG_CODEC_INFO_T"), 0);
}

SG_TEST(strerror_names_codes)
{
    SG_CHECK(strcmp(sg_strerror(SG_OK), "ok") == 0);
    SG_CHECK(strcmp(sg_strerror(SG_ENOENT), "no such handle") == 0);
    SG_CHECK(strcmp(sg_strerror(-999), "unknown error") == 0);
}

/* ABI handshake: version and struct sizes for the TypeScript loader. */
#include <string.h>
#include "spangate/spangate.h"
#include "spangate/tdm.h"
#include "spangate/pri.h"
#include "spangate/span.h"
#include "core/abi_sizes.h"

_Static_assert(sizeof(sg_event_t) == SG_EVENT_SIZE, "sg_event_t must be SG_EVENT_SIZE bytes");

#ifndef SG_VERSION_STRING
#define SG_VERSION_STRING "0.0.0"
#endif

typedef struct struct_size_entry {
    const char *name;
    uint32_t size;
} struct_size_entry;

static const struct_size_entry struct_sizes[] = {
    { "sg_abi_info_t", (uint32_t)sizeof(sg_abi_info_t) },
    { "sg_event_t", (uint32_t)sizeof(sg_event_t) },
    { "sg_tdm_config_t", (uint32_t)sizeof(sg_tdm_config_t) },
    { "sg_tdm_stats_t", (uint32_t)sizeof(sg_tdm_stats_t) },
    { "sg_span_config_t", (uint32_t)sizeof(sg_span_config_t) },
    { "sg_span_stats_t", (uint32_t)sizeof(sg_span_stats_t) },
    { "sg_span_ev_alarm_t", (uint32_t)sizeof(sg_span_ev_alarm_t) },
    { "sg_pri_config_t", (uint32_t)sizeof(sg_pri_config_t) },
    { "sg_pri_party_t", (uint32_t)sizeof(sg_pri_party_t) },
    { "sg_pri_setup_t", (uint32_t)sizeof(sg_pri_setup_t) },
    { "sg_pri_call_info_t", (uint32_t)sizeof(sg_pri_call_info_t) },
    { "sg_pri_status_t", (uint32_t)sizeof(sg_pri_status_t) },
    { "sg_pri_ev_t", (uint32_t)sizeof(sg_pri_ev_t) },
};

uint32_t sg_abi_version(void)
{
    return SG_ABI_VERSION;
}

int sg_abi_info(sg_abi_info_t *out, uint32_t size)
{
    if (out == NULL || size < sizeof(*out))
        return SG_EINVAL;
    memset(out, 0, sizeof(*out));
    out->abi_version = SG_ABI_VERSION;
    out->struct_size = (uint32_t)sizeof(*out);
    strncpy(out->version, SG_VERSION_STRING, sizeof(out->version) - 1);
    return SG_OK;
}

uint32_t sg_struct_size(const char *name)
{
    size_t i;

    if (name == NULL)
        return 0;
    for (i = 0; i < sizeof(struct_sizes) / sizeof(struct_sizes[0]); i++) {
        if (strcmp(struct_sizes[i].name, name) == 0)
            return struct_sizes[i].size;
    }
    return engine_struct_size(name);
}

const char *sg_strerror(int err)
{
    switch (err) {
    case SG_OK: return "ok";
    case SG_EINVAL: return "invalid argument";
    case SG_ENOMEM: return "out of memory";
    case SG_ENOENT: return "no such handle";
    case SG_EBUSY: return "busy";
    case SG_EIO: return "i/o error";
    case SG_ESTATE: return "wrong state";
    case SG_ENOSYS: return "not built in";
    case SG_EPERM: return "not permitted";
    default: return "unknown error";
    }
}

/* Internal: sizes of engine.h/rtp.h/relay.h structs for sg_struct_size(). Any thread. */
#ifndef SG_CORE_ABI_SIZES_H
#define SG_CORE_ABI_SIZES_H

#include <stdint.h>

/* 0 when the name is not an engine struct. */
uint32_t engine_struct_size(const char *name);

#endif

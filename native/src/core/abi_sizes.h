/* Internal: sizes of the engine, RTP, relay, span, PRI, codec and DSP public structs for
 * sg_struct_size(). Any thread. */
#ifndef SG_CORE_ABI_SIZES_H
#define SG_CORE_ABI_SIZES_H

#include <stdint.h>

/* 0 when the name is none of those structs. */
uint32_t engine_struct_size(const char *name);

#endif

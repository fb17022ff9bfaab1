/* Internal: vspan hooks beyond the driver operations. */
#ifndef SG_SPAN_VSPAN_H
#define SG_SPAN_VSPAN_H

#include "span/span.h"

/* Any thread. Sends n raw octets on the D-channel timeslot in place of the HDLC stream
 * (the frame in progress resumes afterwards): fault injection for tests and line checks.
 * SG_EBUSY when more than 512 octets are pending. */
int vspan_inject_dchan_octets(span_t *s, const uint8_t *raw, unsigned n);

/* Any thread. Damages the next I-frame the D-channel sends, keeping its Q.921 header (so
 * the far end's Q.931 sees it): octet `offset` becomes `value` (offset past the end: no
 * change) and, when truncate > 0, the frame is cut to `truncate` octets. Tests only. */
int vspan_mangle_next_iframe(span_t *s, unsigned offset, uint8_t value, unsigned truncate);

#endif

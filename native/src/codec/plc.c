/* spandsp PLC wrappers (see plc.h). */
#include <string.h>
#include "codec/codec.h"
#include "codec/plc.h"

_Static_assert(PLC_PITCH_OVERLAP_MAX <= CODEC_PLC_MIN_SAMPLES, "PLC minimum below spandsp's overlap");

void codec_plc_rx(plc_state_t *s, int16_t *pcm, size_t n)
{
    plc_rx(s, pcm, (int)n);
}

/* Puts the history ring in time order (oldest first, buf_ptr 0) the way spandsp's own
 * normalise_history() does, but with memmove; spandsp then skips its overlapping memcpy. */
static void normalise(plc_state_t *s)
{
    int16_t head[PLC_HISTORY_LEN];
    size_t p = (size_t)s->buf_ptr;

    if (p == 0 || p >= PLC_HISTORY_LEN)
        return;
    memcpy(head, s->history, p * sizeof(int16_t));
    memmove(s->history, s->history + p, (PLC_HISTORY_LEN - p) * sizeof(int16_t));
    memcpy(s->history + PLC_HISTORY_LEN - p, head, p * sizeof(int16_t));
    s->buf_ptr = 0;
}

int codec_plc_fillin(plc_state_t *s, int16_t *pcm, size_t n)
{
    if (n < CODEC_PLC_MIN_SAMPLES || n > CODEC_MAX_FRAME_SAMPLES)
        return SG_EINVAL;
    if (s->missing_samples == 0)
        normalise(s);
    plc_fillin(s, pcm, (int)n);
    return (int)n;
}

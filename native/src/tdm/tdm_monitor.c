/* Line signal analyser of a TDM channel (SG_TDM_F_MONITOR): what arrived from the line, per
 * 1024-sample window (128 ms): total level, the dominant frequency and its share of the
 * energy. For the PSTN simulator and diagnostics; the gateway's own channels do not run it.
 *
 * Method: level from the mean square of the raw samples; the spectrum from a radix-2 FFT of
 * the Hann-windowed, mean-removed window; the peak bin between 50 Hz and 3950 Hz is refined by
 * parabolic interpolation of the log magnitudes of it and its neighbours (Hann: a steady tone
 * reads within a fraction of a Hz); the dominant component's energy is the peak bin +-2 (the
 * Hann main lobe). Media thread only, no allocation: tables are built once at setup. */
#define _GNU_SOURCE
#include <math.h>
#include <string.h>
#include "core/events.h"
#include "tdm/tdm_int.h"

_Static_assert(sizeof(sg_dsp_audio_payload_t) == 16 && sizeof(sg_dsp_audio_payload_t) <= SG_EVENT_PAYLOAD,
               "sg_dsp_audio_payload_t layout changed: bump SG_ABI_VERSION");
_Static_assert(sizeof(sg_dsp_play_payload_t) == 12 && sizeof(sg_dsp_play_payload_t) <= SG_EVENT_PAYLOAD,
               "sg_dsp_play_payload_t layout changed: bump SG_ABI_VERSION");

#define N TDM_MON_N
#define LOG2N 10
#define RATE 8000.0
#define DBM0_FULL_SCALE_SINE 3.14

static float hann[N];
static float tw_re[N / 2], tw_im[N / 2];
static uint16_t bitrev[N];
static int ready;

void tdm_monitor_init(void)
{
    if (ready)
        return;
    for (unsigned i = 0; i < N; i++) {
        unsigned r = 0;
        hann[i] = (float)(0.5 - 0.5 * cos(2.0 * M_PI * i / N));
        for (unsigned b = 0; b < LOG2N; b++)
            if (i & (1u << b))
                r |= 1u << (LOG2N - 1 - b);
        bitrev[i] = (uint16_t)r;
    }
    for (unsigned i = 0; i < N / 2; i++) {
        tw_re[i] = (float)cos(2.0 * M_PI * i / N);
        tw_im[i] = (float)-sin(2.0 * M_PI * i / N);
    }
    ready = 1;
}

static void fft(float *re, float *im)
{
    for (unsigned i = 0; i < N; i++) {
        unsigned j = bitrev[i];
        if (j > i) {
            float t = re[i];
            re[i] = re[j];
            re[j] = t;
            t = im[i];
            im[i] = im[j];
            im[j] = t;
        }
    }
    for (unsigned len = 2; len <= N; len <<= 1) {
        unsigned half = len / 2, step = N / len;
        for (unsigned i = 0; i < N; i += len) {
            for (unsigned k = 0; k < half; k++) {
                float wr = tw_re[k * step], wi = tw_im[k * step];
                float xr = re[i + k + half] * wr - im[i + k + half] * wi;
                float xi = re[i + k + half] * wi + im[i + k + half] * wr;
                re[i + k + half] = re[i + k] - xr;
                im[i + k + half] = im[i + k] - xi;
                re[i + k] += xr;
                im[i + k] += xi;
            }
        }
    }
}

/* dBm0 of a mean square (linear 16-bit samples). */
static double dbm0(double ms)
{
    /* a full-scale sine (amplitude 32767) has mean square 32767^2 / 2 and is +3.14 dBm0 */
    return ms > 0.0 ? DBM0_FULL_SCALE_SINE + 10.0 * log10(ms / (32767.0 * 32767.0 / 2.0)) : -99.0;
}

static int16_t db100(double db)
{
    if (db < -99.0)
        db = -99.0;
    if (db > 99.0)
        db = 99.0;
    return (int16_t)lrint(db * 100.0);
}

static void analyse(uint32_t handle, tdm_monitor *mon, uint32_t sample)
{
    sg_dsp_audio_payload_t p;
    double sum = 0.0, sq = 0.0, mean, total = 0.0, best = -1.0, peak = 0.0;
    unsigned k, kbest = 0, klo = (unsigned)(50.0 * N / RATE), khi = (unsigned)(3950.0 * N / RATE);

    for (unsigned i = 0; i < N; i++) {
        sum += mon->x[i];
        sq += (double)mon->x[i] * mon->x[i];
    }
    mean = sum / N;
    memset(&p, 0, sizeof(p));
    p.sample = sample;
    p.window = N;
    p.level_db100 = db100(dbm0(sq / N));
    p.peak_db100 = p.level_db100;
    if (sq / N - mean * mean < 1.0) {         /* digital silence (or DC): nothing to find */
        (void)events_post(SG_SUBSYS_DSP, SG_DSP_EV_AUDIO, handle, &p, sizeof(p));
        return;
    }
    for (unsigned i = 0; i < N; i++) {
        mon->re[i] = (float)((mon->x[i] - mean) * hann[i]);
        mon->im[i] = 0.0f;
    }
    fft(mon->re, mon->im);
    for (k = 1; k < N / 2; k++) {
        double pw = (double)mon->re[k] * mon->re[k] + (double)mon->im[k] * mon->im[k];
        mon->re[k] = (float)pw;               /* keep the power spectrum in re[] */
        total += pw;
        if (k >= klo && k <= khi && pw > best) {
            best = pw;
            kbest = k;
        }
    }
    if (kbest > 0 && total > 0.0) {
        double a = log(mon->re[kbest - 1] + 1e-9), b = log(mon->re[kbest] + 1e-9), c = log(mon->re[kbest + 1] + 1e-9);
        double den = a - 2.0 * b + c, delta = den < 0.0 ? 0.5 * (a - c) / den : 0.0;
        double f;
        if (delta > 0.5)
            delta = 0.5;
        if (delta < -0.5)
            delta = -0.5;
        for (k = kbest - 2; k <= kbest + 2; k++)
            if (k >= 1 && k < N / 2)
                peak += mon->re[k];
        f = ((double)kbest + delta) * RATE / N;
        p.freq_mhz = (uint32_t)lrint(f * 1000.0);
        p.tonality = (uint16_t)lrint(peak / total * 1000.0);
        p.peak_db100 = db100(dbm0(sq / N - mean * mean) + 10.0 * log10(peak / total));
    }
    (void)events_post(SG_SUBSYS_DSP, SG_DSP_EV_AUDIO, handle, &p, sizeof(p));
}

void tdm_monitor_feed(uint32_t handle, tdm_monitor *mon, const int16_t *pcm, uint32_t sample)
{
    uint32_t i = 0;

    while (i < TDM_FRAME) {
        uint32_t take = TDM_FRAME - i;
        if (take > N - mon->fill)
            take = N - mon->fill;
        memcpy(mon->x + mon->fill, pcm + i, take * sizeof(*pcm));
        mon->fill += take;
        i += take;
        if (mon->fill == N) {
            analyse(handle, mon, sample + i);
            mon->fill = 0;
        }
    }
}

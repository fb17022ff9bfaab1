/* spangate native engine: DSP building blocks (public part).
 * The DSP objects themselves (DTMF receiver/generator, tone generator, gain, echo canceller)
 * live inside the engine (native/src/dsp/) and belong to the media thread that runs the
 * channel. TypeScript sees: the tone plan table (to validate config and pick a tone), the
 * option structs it fills per channel, and the event records the DSP posts. */
#ifndef SPANGATE_DSP_H
#define SPANGATE_DSP_H

#include <stdint.h>
#include "spangate/spangate.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Call-progress tone kinds; every tone plan (country) defines all of them. */
typedef enum sg_tone_kind {
    SG_TONE_DIAL = 0,
    SG_TONE_RINGBACK = 1,
    SG_TONE_BUSY = 2,
    SG_TONE_CONGESTION = 3,
    SG_TONE_KIND_COUNT = 4
} sg_tone_kind;

#define SG_TONE_MAX_SEGMENTS 6u

/* One row of the tone table. Filled by sg_tone_info(). */
typedef struct sg_tone_info_t {
    char country[4];            /* "us", "uk", "de", "eu" */
    char name[16];              /* "dial", "ringback", "busy", "congestion" */
    uint32_t kind;              /* sg_tone_kind */
    uint32_t cycle_ms;          /* one cadence cycle; 0 for a continuous tone */
    uint32_t segments;          /* on/off segments in the cycle */
    uint16_t freq_hz[SG_TONE_MAX_SEGMENTS][2];  /* 0 = no component; both 0 = silence */
    int8_t level_dbm0[SG_TONE_MAX_SEGMENTS][2];
    uint16_t duration_ms[SG_TONE_MAX_SEGMENTS]; /* 0 = lasts for ever (continuous) */
} sg_tone_info_t;

/* Any thread. Number of rows in the tone table. */
SG_API uint32_t sg_tone_count(void);

/* Any thread. Row id of the tone for this country code (case-insensitive) and kind, or
 * SG_ENOENT / SG_EINVAL. */
SG_API int sg_tone_find(const char *country, uint32_t kind);

/* Any thread. Fills *out with row `id`; SG_OK, SG_ENOENT, or SG_EINVAL for NULL/short out. */
SG_API int sg_tone_info(uint32_t id, sg_tone_info_t *out, uint32_t size);

/* Echo canceller options for one channel (speexdsp MDF + residual echo suppression).
 * Zero means "default" for every field. */
typedef struct sg_ec_opts_t {
    uint16_t tail_ms;           /* echo tail covered: 0 = 64 ms; 16..256 ms */
    uint8_t nlp;                /* non-linear processor after the linear canceller:
                                 * 0 = default (1), 1 = line NLP (G.168 style: the residual is
                                 * attenuated by suppress_db while the far end talks, the
                                 * residual is more than 12 dB under it and the near end is
                                 * silent; cheap), 2 = off, 3 = speexdsp residual echo
                                 * suppressor (acoustic style; about doubles the EC's cost) */
    int8_t suppress_db;         /* residual echo attenuation, far end alone: 0 = -40 dB */
    int8_t suppress_active_db;  /* nlp 3 only: residual echo attenuation in double talk:
                                 * 0 = -15 dB (the line NLP passes double talk untouched) */
    uint8_t tone_disable;       /* G.165/G.168 tone disabler: 2100 Hz answer tone with phase
                                 * reversals (V.25 ANS/PR, V.8 ANSam/PR) in either direction
                                 * bypasses the canceller until 250 ms of silence:
                                 * 0 = default (on), 1 = on, 2 = off */
    uint8_t comfort_noise;      /* line NLP: while it suppresses the residual, fill with noise at
                                 * the measured background level of the line (G.168 comfort
                                 * noise) instead of near-silence: 0 = default (on), 1 = on,
                                 * 2 = off */
    uint8_t reserved;           /* keep zero */
} sg_ec_opts_t;

/* DTMF receiver options for one channel. Zero means "default" for every field. */
typedef struct sg_dtmf_opts_t {
    int8_t threshold_dbm0;      /* minimum tone level, negative dBm0: 0 = spandsp default */
    uint8_t twist_db;           /* accepted normal twist: 0 = default (8 dB) */
    uint8_t reverse_twist_db;   /* accepted reverse twist: 0 = default (4 dB) */
    uint8_t filter_dialtone;    /* 1 = notch out 350/440 Hz dial tone first */
} sg_dtmf_opts_t;

/* Events the DSP posts under SG_SUBSYS_DSP (see spangate.h sg_event_t). */
typedef enum sg_dsp_event_type {
    SG_DSP_EV_DTMF_BEGIN = 1,   /* a digit started; payload sg_dsp_dtmf_payload_t */
    SG_DSP_EV_DTMF_END = 2,     /* the digit ended; duration_ms is filled */
    SG_DSP_EV_AUDIO = 3,        /* one monitor window (SG_TDM_F_MONITOR); sg_dsp_audio_payload_t */
    SG_DSP_EV_PLAY_END = 4      /* a clip of sg_tdm_play finished; sg_dsp_play_payload_t */
} sg_dsp_event_type;

/* What arrived from the line in one monitor window (1024 samples, 128 ms). Levels in dBm0
 * (a full-scale sine is +3.14 dBm0), hundredths; -9900 = digital silence. The dominant
 * frequency comes from a Hann-windowed FFT with parabolic interpolation of the peak
 * (accurate to well under 1 Hz for a steady tone; meaningless for speech or silence: look at
 * tonality). */
typedef struct sg_dsp_audio_payload_t {
    uint32_t sample;            /* channel line sample counter at the end of the window */
    uint16_t window;            /* samples analysed */
    int16_t level_db100;        /* total level of the window */
    uint32_t freq_mhz;          /* dominant frequency, millihertz (0 when silent) */
    int16_t peak_db100;         /* level of the dominant component (peak bin +-2) */
    uint16_t tonality;          /* share of the window's energy in that component, 0..1000 */
} sg_dsp_audio_payload_t;

typedef struct sg_dsp_play_payload_t {
    uint32_t id;                /* the caller's id of the clip */
    uint32_t played;            /* samples played */
    uint8_t stopped;            /* 1 = replaced or stopped before its end */
    uint8_t reserved[3];
} sg_dsp_play_payload_t;

typedef struct sg_dsp_dtmf_payload_t {
    char digit;                 /* '0'-'9', '*', '#', 'A'-'D' */
    int8_t level_dbm0;          /* BEGIN: total level of the tone pair (two -10 dBm0 tones: -7) */
    uint16_t duration_ms;       /* END only: time between begin and end */
    uint32_t sample;            /* channel sample counter (8 kHz) of the detector block */
} sg_dsp_dtmf_payload_t;

#ifdef __cplusplus
}
#endif
#endif

/* Internal: an RTP endpoint's state and its media-thread entry points. */
#ifndef SG_RTP_ENDPOINT_H
#define SG_RTP_ENDPOINT_H

#include <stdatomic.h>
#include <stdint.h>
#include "core/engine.h"
#include "io/udp.h"
#include "rtp/dtmf.h"
#include "rtp/cn.h"
#include "rtp/jb.h"
#include "rtp/packet.h"
#include "rtp/rewrite.h"
#include "rtp/srtp.h"
#include "codec/codec.h"
#include "spangate/rtp.h"

/* Consumer of terminated media (the TDM side), called on the media thread once per tick with
 * the frame the jitter buffer played, decoded to PCM at the codec's rate: JB_AUDIO decoded,
 * JB_MISSING concealed by the codec's PLC (codec_plc, the codec layer's hook), JB_CN comfort
 * noise at the RFC 3389 level, JB_NONE silence while the buffer fills. */
typedef void (*rtp_ep_pcm_fn)(void *ctx, struct rtp_ep *ep, const int16_t *pcm, size_t n, jb_kind kind);

typedef struct rtp_ep {
    /* Control part (control thread, under the control lock). */
    atomic_uint state;            /* SLOT_* */
    uint32_t gen;
    uint32_t handle;
    uint32_t thread;
    uint16_t local_port;
    uint32_t ctl_relay;           /* relay slot + 1 while relayed, else 0 */

    /* Media part (owning media thread after CMD_EP_ADD). */
    uint32_t index;
    uint32_t owned_pos;
    uint32_t fast_pos;            /* position in the thread's fast list, UINT32_MAX = not on it */
    int rtp_fd, rtcp_fd;
    sg_rtp_config_t cfg;
    sg_sockaddr remote, remote_rtcp, latched_src;
    uint8_t have_remote, have_latched, have_rx, timed_out;
    sgsrtp srtp;
    rtp_rx_stats rx;
    rtp_out_stream out;
    dtmf_rx drx;
    dtmf_tx dtx;
    uint32_t dtx_ts;
    jb *jbuf;
    cn_gen cng;
    sg_codec dec;                 /* SG_RTP_F_JITTER_BUFFER with a table codec: the playout decoder */
    sg_codec enc;                 /* ... and the encoder for rtp_ep_send_pcm */
    uint32_t pcm_next_ts;         /* timestamp of the next rtp_ep_send_pcm frame */
    uint64_t pcm_last_ns;         /* when the last one was sent (0 = never) */
    rtp_ep_pcm_fn sink;
    void *sink_ctx;
    struct rtp_ep *peer;          /* relayed to */
    uint32_t relay_index;         /* valid while peer != NULL */
    uint64_t created_ns, last_rx_ns, next_rtcp_ns, lsr_arrival_ns;
    uint32_t lsr_mid;
    uint32_t sent_since_report;
    uint32_t srtp_fail;
    char cname[24];
    sg_rtp_stats_t st;            /* live statistics (read racily by sg_rtp_stats) */
    /* In-kernel forwarding of the direction received here (kfwd/kfwd.h). */
    uint8_t kf_on;                /* offloaded: the kernel forwards it */
    uint16_t kf_count;            /* stable packets seen toward the next offload attempt */
    uint16_t kf_wait;             /* ... needed (doubles after a refused offload) */
    uint32_t kf_key_saddr, kf_key_ports;
    uint64_t kf_packets, kf_bytes, kf_octets;   /* kernel counters already folded in */
} rtp_ep;

/* Media thread. Command handlers. */
void ep_on_add(media_thread *mt, rtp_ep *ep, uint64_t now);
void ep_on_update(media_thread *mt, rtp_ep *ep, cmd *c);
void ep_on_del(media_thread *mt, rtp_ep *ep);
void ep_on_dtmf(media_thread *mt, rtp_ep *ep, const cmd *c);
/* Media thread. The socket is readable. */
void ep_on_readable(media_thread *mt, rtp_ep *ep, int rtcp, uint64_t now);
/* Media thread. One datagram received for the endpoint (its RTP port, or its RTCP port when
 * rtcp) on another socket: the thread's steering socket (steer/steer.h). buf is in the
 * thread's receive batch; the caller flushes the send batch before reusing it. */
void ep_on_datagram(media_thread *mt, rtp_ep *ep, int rtcp, uint8_t *buf, uint32_t len, const sg_sockaddr *src,
                    uint64_t now);
/* Media thread. Per-tick work (DTMF sending, jitter-buffer playout) of an endpoint on the
 * thread's fast list; returns 0 when the endpoint no longer needs it. */
int ep_tick_fast(media_thread *mt, rtp_ep *ep, uint64_t now);
/* Media thread. Slow work (media timeout, RTCP schedule), visited for every endpoint once per
 * MT_HOUSE_TICKS ticks. */
void ep_housekeep(media_thread *mt, rtp_ep *ep, uint64_t now);
/* Control thread. Attaches (fn != NULL) or detaches the PCM consumer of a jitter-buffer
 * endpoint; takes effect on its media thread. SG_OK, SG_ENOENT, SG_ESTATE (no jitter buffer
 * or no decoder for its codec), SG_EBUSY. Internal API for the TDM side. */
int rtp_ep_set_pcm_sink(uint32_t handle, rtp_ep_pcm_fn fn, void *ctx);
/* Media thread (the TDM side runs its span I/O on the endpoint's media thread). Encodes one
 * frame of PCM (enc.rate, enc.frame_samples) and sends it as the endpoint's next RTP packet,
 * SRTP-protected when keyed. Timestamps advance by one frame per call; after a pause of more
 * than three frames the stream re-bases on elapsed time and the packet carries the marker.
 * SG_OK, SG_ESTATE (no encoder or no remote yet), SG_EINVAL (wrong n), SG_EIO. */
int rtp_ep_send_pcm(media_thread *mt, rtp_ep *ep, const int16_t *pcm, size_t n, uint64_t now);
/* Media thread. Handler of that command. */
void ep_on_sink(media_thread *mt, rtp_ep *ep, const cmd *c);
/* Media thread: packets of a timed-out endpoint were forwarded by the kernel: clear the
 * timeout and post SG_RTP_EV_RESUMED (as on_rtp does for its own packets). */
void ep_kf_resumed(rtp_ep *ep);
/* Control thread, with media threads stopped: release everything the slot holds. */
void ep_release(rtp_ep *ep);

#endif

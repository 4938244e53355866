/* struct tcp_info as of Linux 6.18 (include/uapi/linux/tcp.h), with the two
 * bit-field bytes spelled as plain bytes so offsets are explicit. The kernel
 * sends sizeof(its struct tcp_info) bytes in INET_DIAG_INFO: older kernels
 * send fewer (we zero-fill and record the length), newer ones more (ignored). */
#ifndef TCPLENS_TCP_INFO_H
#define TCPLENS_TCP_INFO_H

#include <linux/types.h>

struct tl_tcp_info {
	__u8 tcpi_state;
	__u8 tcpi_ca_state;
	__u8 tcpi_retransmits;
	__u8 tcpi_probes;
	__u8 tcpi_backoff;
	__u8 tcpi_options;
	__u8 wscale; /* tcpi_snd_wscale:4 (low nibble), tcpi_rcv_wscale:4 */
	__u8 flags;  /* tcpi_delivery_rate_app_limited:1, tcpi_fastopen_client_fail:2 */

	__u32 tcpi_rto;
	__u32 tcpi_ato;
	__u32 tcpi_snd_mss;
	__u32 tcpi_rcv_mss;

	__u32 tcpi_unacked;
	__u32 tcpi_sacked;
	__u32 tcpi_lost;
	__u32 tcpi_retrans;
	__u32 tcpi_fackets;

	__u32 tcpi_last_data_sent;
	__u32 tcpi_last_ack_sent;
	__u32 tcpi_last_data_recv;
	__u32 tcpi_last_ack_recv;

	__u32 tcpi_pmtu;
	__u32 tcpi_rcv_ssthresh;
	__u32 tcpi_rtt;
	__u32 tcpi_rttvar;
	__u32 tcpi_snd_ssthresh;
	__u32 tcpi_snd_cwnd;
	__u32 tcpi_advmss;
	__u32 tcpi_reordering;

	__u32 tcpi_rcv_rtt;
	__u32 tcpi_rcv_space;

	__u32 tcpi_total_retrans;

	__u64 tcpi_pacing_rate;
	__u64 tcpi_max_pacing_rate;
	__u64 tcpi_bytes_acked;
	__u64 tcpi_bytes_received;
	__u32 tcpi_segs_out;
	__u32 tcpi_segs_in;

	__u32 tcpi_notsent_bytes;
	__u32 tcpi_min_rtt;
	__u32 tcpi_data_segs_in;
	__u32 tcpi_data_segs_out;

	__u64 tcpi_delivery_rate;

	__u64 tcpi_busy_time;
	__u64 tcpi_rwnd_limited;
	__u64 tcpi_sndbuf_limited;

	__u32 tcpi_delivered;
	__u32 tcpi_delivered_ce;

	__u64 tcpi_bytes_sent;
	__u64 tcpi_bytes_retrans;
	__u32 tcpi_dsack_dups;
	__u32 tcpi_reord_seen;

	__u32 tcpi_rcv_ooopack;

	__u32 tcpi_snd_wnd;
	__u32 tcpi_rcv_wnd;

	__u32 tcpi_rehash;

	__u16 tcpi_total_rto;
	__u16 tcpi_total_rto_recoveries;
	__u32 tcpi_total_rto_time;
	__u32 tcpi_received_ce;
	__u32 tcpi_delivered_e1_bytes;
	__u32 tcpi_delivered_e0_bytes;
	__u32 tcpi_delivered_ce_bytes;
	__u32 tcpi_received_e1_bytes;
	__u32 tcpi_received_e0_bytes;
	__u32 tcpi_received_ce_bytes;
	__u16 tcpi_accecn_fail_mode;
	__u16 tcpi_accecn_opt_seen;
};

_Static_assert(sizeof(struct tl_tcp_info) == 280, "tcp_info mirror must match Linux 6.18");

#endif

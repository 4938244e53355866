/* The poll batch: one column per field, struct of arrays in one caller-owned
 * buffer. This table is the single definition of the layout; the TypeScript
 * mirror (src/layout/poll_columns.ts) is generated from layout() and checked
 * by test/native/layout.test.ts.
 *
 * Column order = order in the buffer. Every column starts 8-byte aligned
 * (its region is rounded up to 8 bytes), so typed-array views are aligned.
 *
 * Types: B16 = 16 raw bytes (an address in network byte order, IPv4 in the
 * first 4 bytes, as in inet_diag_sockid), U64/U32/U16/U8 = host-order ints.
 */
#ifndef TCPLENS_POLL_COLUMNS_H
#define TCPLENS_POLL_COLUMNS_H

/* tcp_info members copied verbatim: X(name, type). Each one's presence is
 * decided by the returned tcp_info length (see tl_column.tcpi_end). */
/* clang-format off */
#define TL_TCPI_U64(X) \
	X(tcpi_pacing_rate, U64) X(tcpi_max_pacing_rate, U64) \
	X(tcpi_bytes_acked, U64) X(tcpi_bytes_received, U64) \
	X(tcpi_delivery_rate, U64) X(tcpi_busy_time, U64) \
	X(tcpi_rwnd_limited, U64) X(tcpi_sndbuf_limited, U64) \
	X(tcpi_bytes_sent, U64) X(tcpi_bytes_retrans, U64)
/* clang-format on */

/* clang-format off */
#define TL_TCPI_U32(X) \
	X(tcpi_rto, U32) X(tcpi_ato, U32) X(tcpi_snd_mss, U32) X(tcpi_rcv_mss, U32) \
	X(tcpi_unacked, U32) X(tcpi_sacked, U32) X(tcpi_lost, U32) \
	X(tcpi_retrans, U32) X(tcpi_fackets, U32) \
	X(tcpi_last_data_sent, U32) X(tcpi_last_ack_sent, U32) \
	X(tcpi_last_data_recv, U32) X(tcpi_last_ack_recv, U32) \
	X(tcpi_pmtu, U32) X(tcpi_rcv_ssthresh, U32) X(tcpi_rtt, U32) \
	X(tcpi_rttvar, U32) X(tcpi_snd_ssthresh, U32) X(tcpi_snd_cwnd, U32) \
	X(tcpi_advmss, U32) X(tcpi_reordering, U32) X(tcpi_rcv_rtt, U32) \
	X(tcpi_rcv_space, U32) X(tcpi_total_retrans, U32) \
	X(tcpi_segs_out, U32) X(tcpi_segs_in, U32) X(tcpi_notsent_bytes, U32) \
	X(tcpi_min_rtt, U32) X(tcpi_data_segs_in, U32) X(tcpi_data_segs_out, U32) \
	X(tcpi_delivered, U32) X(tcpi_delivered_ce, U32) \
	X(tcpi_dsack_dups, U32) X(tcpi_reord_seen, U32) X(tcpi_rcv_ooopack, U32) \
	X(tcpi_snd_wnd, U32) X(tcpi_rcv_wnd, U32) X(tcpi_rehash, U32) \
	X(tcpi_total_rto_time, U32) X(tcpi_received_ce, U32) \
	X(tcpi_delivered_e1_bytes, U32) X(tcpi_delivered_e0_bytes, U32) \
	X(tcpi_delivered_ce_bytes, U32) X(tcpi_received_e1_bytes, U32) \
	X(tcpi_received_e0_bytes, U32) X(tcpi_received_ce_bytes, U32)
/* clang-format on */

/* clang-format off */
#define TL_TCPI_U16(X) \
	X(tcpi_total_rto, U16) X(tcpi_total_rto_recoveries, U16) \
	X(tcpi_accecn_fail_mode, U16) X(tcpi_accecn_opt_seen, U16)
/* clang-format on */

/* clang-format off */
#define TL_TCPI_U8(X) \
	X(tcpi_state, U8) X(tcpi_ca_state, U8) X(tcpi_retransmits, U8) \
	X(tcpi_probes, U8) X(tcpi_backoff, U8) X(tcpi_options, U8)
/* clang-format on */

/* All columns, largest first: X(name, type). */
/* clang-format off */
#define TL_POLL_COLUMNS(X) \
	X(src, B16) X(dst, B16) \
	X(ts_ns, U64) X(idiag_cookie, U64) X(netns_inode, U64) X(cgroup_id, U64) \
	TL_TCPI_U64(X) \
	X(attrs, U32) \
	X(idiag_expires, U32) X(idiag_rqueue, U32) X(idiag_wqueue, U32) \
	X(idiag_uid, U32) X(idiag_inode, U32) X(idiag_if, U32) \
	X(mark, U32) X(class_id, U32) \
	X(idiag_rmem, U32) X(idiag_wmem, U32) X(idiag_fmem, U32) X(idiag_tmem, U32) \
	X(skmem_rmem_alloc, U32) X(skmem_rcvbuf, U32) X(skmem_wmem_alloc, U32) \
	X(skmem_sndbuf, U32) X(skmem_fwd_alloc, U32) X(skmem_wmem_queued, U32) \
	X(skmem_optmem, U32) X(skmem_backlog, U32) X(skmem_drops, U32) \
	X(bbr_bw_lo, U32) X(bbr_bw_hi, U32) X(bbr_min_rtt, U32) \
	X(bbr_pacing_gain, U32) X(bbr_cwnd_gain, U32) \
	TL_TCPI_U32(X) \
	X(sport, U16) X(dport, U16) X(cong, U16) X(tcpi_len, U16) \
	TL_TCPI_U16(X) \
	X(idiag_family, U8) X(idiag_state, U8) X(idiag_timer, U8) X(idiag_retrans, U8) \
	X(tos, U8) X(tclass, U8) X(shutdown, U8) X(v6only, U8) \
	TL_TCPI_U8(X) \
	X(tcpi_snd_wscale, U8) X(tcpi_rcv_wscale, U8) \
	X(tcpi_delivery_rate_app_limited, U8) X(tcpi_fastopen_client_fail, U8)
/* clang-format on */

/* attrs: bit N set when inet_diag attribute N (INET_DIAG_*) was present, so
 * "absent" and "zero" differ (e.g. mark without CAP_NET_ADMIN). */

#endif

/* Wire record of the iterator poll (--poll-via iter): written by
 * tcp_iter.bpf.c with bpf_seq_write() into the iterator's seq_file, read by
 * native/iter_poll.c with read() on the iterator fd, one record per socket,
 * copied into the poll batch (native/poll_columns.h). Fixed size, largest
 * members first, explicit padding, a kind/size header to resynchronise on.
 */
#ifndef TCPLENS_TCP_ITER_H
#define TCPLENS_TCP_ITER_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif
#ifdef __cplusplus
#define _Static_assert static_assert
#endif

#define TL_REC_SOCK 0x5331 /* "S1": struct tl_sock_rec */

/* tl_sock_rec.flags */
#define TL_SR_FULL 0x01	     /* a full socket: every tcp_sock field below is filled */
#define TL_SR_NO_COOKIE 0x02 /* the cookie was read, not generated: 0 until someone generated it */

/* Program ids: bit n of the `refuse` setting (TCPLENS_TEST_REFUSE). */
enum tl_iter_prog {
	TL_ITP_poll_tcp,
	TL_ITP_poll_tcp_rd,
	TL_ITP_poll_tcp_all,
	TL_ITP_host_tcp,
	TL_ITP_host_tcp_cast,
};

/* Record fields copied verbatim into the poll column of the same meaning:
 * X(record member, poll column). The one list of what this view provides
 * (besides src/dst, sport/dport, family/state, cookie, cong, attrs, which
 * the reader sets itself); every other poll column is zero and listed as
 * not provided (iterProvides() in the addon). */
/* clang-format off */
#define TL_SOCK_REC_U64(X) \
	X(pacing_rate, tcpi_pacing_rate) X(max_pacing_rate, tcpi_max_pacing_rate) \
	X(bytes_acked, tcpi_bytes_acked) X(bytes_received, tcpi_bytes_received) \
	X(delivery_rate, tcpi_delivery_rate) X(bytes_sent, tcpi_bytes_sent) \
	X(bytes_retrans, tcpi_bytes_retrans)
#define TL_SOCK_REC_U32(X) \
	X(inode, idiag_inode) X(uid, idiag_uid) X(mark, mark) X(ifindex, idiag_if) \
	X(rqueue, idiag_rqueue) X(wqueue, idiag_wqueue) \
	X(rmem_alloc, skmem_rmem_alloc) X(rcvbuf, skmem_rcvbuf) X(wmem_alloc, skmem_wmem_alloc) \
	X(sndbuf, skmem_sndbuf) X(fwd_alloc, skmem_fwd_alloc) X(wmem_queued, skmem_wmem_queued) \
	X(optmem, skmem_optmem) X(backlog, skmem_backlog) \
	X(rmem_alloc, idiag_rmem) X(wmem_queued, idiag_wmem) X(fwd_alloc, idiag_fmem) X(wmem_alloc, idiag_tmem) \
	X(snd_mss, tcpi_snd_mss) X(rcv_mss, tcpi_rcv_mss) X(unacked, tcpi_unacked) \
	X(sacked, tcpi_sacked) X(lost, tcpi_lost) X(retrans, tcpi_retrans) X(pmtu, tcpi_pmtu) \
	X(rcv_ssthresh, tcpi_rcv_ssthresh) X(rtt, tcpi_rtt) X(rttvar, tcpi_rttvar) \
	X(snd_ssthresh, tcpi_snd_ssthresh) X(snd_cwnd, tcpi_snd_cwnd) X(advmss, tcpi_advmss) \
	X(reordering, tcpi_reordering) X(rcv_rtt, tcpi_rcv_rtt) X(rcv_space, tcpi_rcv_space) \
	X(total_retrans, tcpi_total_retrans) X(segs_out, tcpi_segs_out) X(segs_in, tcpi_segs_in) \
	X(notsent_bytes, tcpi_notsent_bytes) X(min_rtt, tcpi_min_rtt) \
	X(data_segs_in, tcpi_data_segs_in) X(data_segs_out, tcpi_data_segs_out) \
	X(delivered, tcpi_delivered) X(delivered_ce, tcpi_delivered_ce) \
	X(dsack_dups, tcpi_dsack_dups) X(reord_seen, tcpi_reord_seen) \
	X(rcv_ooopack, tcpi_rcv_ooopack) X(snd_wnd, tcpi_snd_wnd) X(rcv_wnd, tcpi_rcv_wnd)
#define TL_SOCK_REC_U8(X) \
	X(ca_state, tcpi_ca_state) X(retransmits, tcpi_retransmits) X(probes, tcpi_probes) \
	X(backoff, tcpi_backoff) X(options, tcpi_options) X(snd_wscale, tcpi_snd_wscale) \
	X(rcv_wscale, tcpi_rcv_wscale) X(app_limited, tcpi_delivery_rate_app_limited) \
	X(tos, tos) X(tclass, tclass) X(shutdown, shutdown) X(v6only, v6only)
/* clang-format on */

struct tl_sock_rec {
	__u8 saddr[16]; /* network byte order; IPv4 in the first 4 bytes */
	__u8 daddr[16]; /* network byte order */
	char cong[16];	/* icsk_ca_ops->name, NUL-padded */
	__u64 cookie;
	__u64 pacing_rate, max_pacing_rate, bytes_acked, bytes_received, delivery_rate, bytes_sent, bytes_retrans;
	__u32 inode, uid, mark, ifindex, rqueue, wqueue;
	__u32 rmem_alloc, rcvbuf, wmem_alloc, sndbuf, fwd_alloc, wmem_queued, optmem, backlog;
	__u32 snd_mss, rcv_mss, unacked, sacked, lost, retrans, pmtu, rcv_ssthresh, rtt, rttvar;
	__u32 snd_ssthresh, snd_cwnd, advmss, reordering, rcv_rtt, rcv_space, total_retrans, segs_out, segs_in;
	__u32 notsent_bytes, min_rtt, data_segs_in, data_segs_out, delivered, delivered_ce, dsack_dups, reord_seen;
	__u32 rcv_ooopack, snd_wnd, rcv_wnd;
	__u16 kind;  /* TL_REC_SOCK */
	__u16 size;  /* sizeof(struct tl_sock_rec) */
	__u16 sport; /* host byte order */
	__u16 dport; /* host byte order */
	__u8 family, state, flags, ca_state, retransmits, probes, backoff, options;
	__u8 snd_wscale, rcv_wscale, app_limited, tos, tclass, shutdown, v6only, pad0;
	__u32 netns; /* host pass: the socket's netns inode (iter/tcp: 0, the namespace walked) */
	__u32 pad1;
};
_Static_assert(sizeof(struct tl_sock_rec) == 48 + 8 + 56 + 44 * 4 + 8 + 16 + 8, "tl_sock_rec layout");

#endif

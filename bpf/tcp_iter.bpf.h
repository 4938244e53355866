/* Kernel-only helpers of tcp_iter.bpf.c: tcp_get_info()'s arithmetic,
 * field by field, on a tcp_sock the iterator hands us. */
#ifndef TCPLENS_TCP_ITER_BPF_H
#define TCPLENS_TCP_ITER_BPF_H

#define TL_AF_INET 2
#define TL_AF_INET6 10
#define TL_TCP_LISTEN 10
#define TL_TCP_TIME_WAIT 6
#define TL_TCP_SYN_RECV 3
#define TL_TCP_NEW_SYN_RECV 12

/* tcpi_options bits (include/uapi/linux/tcp.h) */
#define TL_OPT_TIMESTAMPS 1
#define TL_OPT_SACK 2
#define TL_OPT_WSCALE 4
#define TL_OPT_ECN 8
#define TL_OPT_ECN_SEEN 16
#define TL_OPT_SYN_DATA 32
#define TL_OPT_USEC_TS 64
#define TL_TCP_ECN_OK 1
#define TL_TCP_ECN_SEEN 8

/* tcp_sock flavour of kernels with usec timestamps (6.8+) */
struct tcp_sock___usec {
	u8 tcp_usec_ts : 1;
} __attribute__((preserve_access_index));

static __always_inline __u16 tl_ntohs(__u16 v)
{
	return (__u16)((v >> 8) | (v << 8));
}

/* struct sock of kernels whose sock_i_ino() reads a copy of the inode
 * number kept in the sock (sk_ino, "net: lockless sock_i_ino()", 6.18) */
struct sock___ino {
	unsigned long sk_ino;
} __attribute__((preserve_access_index));

/* sock_i_ino(): the inode of the socket's file, 0 without one. Where the
 * kernel keeps sk_ino (what its own sock_i_ino() returns), that one field,
 * next to sk_uid which the walk has read already; before, a probe read of the
 * socket's inode (two more cache lines and a helper call: ~10% of a pass
 * that emits every socket, perf at 99k sockets). */
static __always_inline __u32 sock_inode(struct sock *sk)
{
	struct socket *so;
	unsigned long ino = 0;

	if (bpf_core_field_exists(((struct sock___ino *)sk)->sk_ino))
		return (__u32)((struct sock___ino *)sk)->sk_ino;
	so = sk->sk_socket;
	if (!so)
		return 0;
	bpf_probe_read_kernel(&ino, sizeof(ino),
			      (char *)so - bpf_core_field_offset(struct socket_alloc, socket) +
				      bpf_core_field_offset(struct socket_alloc, vfs_inode) +
				      bpf_core_field_offset(struct inode, i_ino));
	return (__u32)ino;
}

/* Loads v into a register and nothing else: a load the compiler keeps. */
#define TL_TOUCH(v) asm volatile("" ::"r"(v))

/* One load from each cache line of sock and tcp_sock that fill_tcp() reads
 * beyond those the walk has touched (6.18's layout: 19 lines), issued back
 * to back before anything else of the record. At 99k sockets each line is a
 * miss; spread over fill_tcp's ~100 loads (~9 instructions each once JITed:
 * the exception-table guard) only a few were in flight at a time, and the
 * program was 27% of an all-changed pass (perf), most of it at the first
 * load from a line. Issued together, the misses overlap. Every field here is
 * one fill_tcp() reads anyway: on another layout, a line loaded twice at
 * worst. */
static __always_inline void touch_lines(struct sock *sk, struct tcp_sock *tp)
{
	struct inet_connection_sock *icsk = &tp->inet_conn;

	TL_TOUCH(sk->sk_rcvbuf);
	TL_TOUCH(sk->sk_wmem_queued);
	TL_TOUCH(sk->sk_pacing_rate);
	TL_TOUCH(sk->sk_uid.val);
	TL_TOUCH(sk->sk_max_ack_backlog);
	TL_TOUCH(icsk->icsk_inet.pinet6);
	TL_TOUCH(icsk->icsk_ca_ops);
	TL_TOUCH(icsk->icsk_retransmits);
	TL_TOUCH(tp->rcv_ssthresh);
	TL_TOUCH(tp->reordering);
	TL_TOUCH(tp->advmss);
	TL_TOUCH(tp->segs_out);
	TL_TOUCH(tp->ecn_flags);
	TL_TOUCH(tp->rcv_nxt);
	TL_TOUCH(tp->segs_in);
	TL_TOUCH(tp->bytes_acked);
	TL_TOUCH(tp->dsack_dups);
	TL_TOUCH(tp->reord_seen);
	TL_TOUCH(tp->total_retrans);
}

/* tcp_compute_delivery_rate() */
static __always_inline __u64 delivery_rate(struct tcp_sock *tp)
{
	__u32 rate = tp->rate_delivered, intv = tp->rate_interval_us;
	__u64 r;

	if (!rate || !intv)
		return 0;
	r = (__u64)rate * tp->mss_cache * 1000000ull;
	return r / intv;
}

static __always_inline __u8 tcp_options(struct tcp_sock *tp)
{
	__u8 o = 0;

	if (BPF_CORE_READ_BITFIELD(tp, rx_opt.tstamp_ok))
		o |= TL_OPT_TIMESTAMPS;
	if (BPF_CORE_READ_BITFIELD(tp, rx_opt.sack_ok))
		o |= TL_OPT_SACK;
	if (BPF_CORE_READ_BITFIELD(tp, rx_opt.wscale_ok))
		o |= TL_OPT_WSCALE;
	if (tp->ecn_flags & TL_TCP_ECN_OK)
		o |= TL_OPT_ECN;
	if (tp->ecn_flags & TL_TCP_ECN_SEEN)
		o |= TL_OPT_ECN_SEEN;
	if (BPF_CORE_READ_BITFIELD(tp, syn_data_acked))
		o |= TL_OPT_SYN_DATA;
	if (bpf_core_field_exists(((struct tcp_sock___usec *)tp)->tcp_usec_ts) &&
	    BPF_CORE_READ_BITFIELD((struct tcp_sock___usec *)tp, tcp_usec_ts))
		o |= TL_OPT_USEC_TS;
	return o;
}

#endif

/* Internals of the DNS proxy, shared by dns_proxy.c (queries, answers,
 * UDP) and dns_tcp.c (TCP connections). */
#ifndef DFL_PROXY_DNS_INT_H
#define DFL_PROXY_DNS_INT_H

#include <sys/socket.h>
#include <time.h>

#include "proxy/buf.h"
#include "proxy/dns_msg.h"
#include "proxy/internal.h"

#define DNS_MSG_MAX 65535
#define DNS_VEC	    32 /* datagrams per recvmmsg/sendmmsg */

struct dns_upstream;
struct dns_tcp;

/* A query forwarded upstream, waiting for its answer. Every transaction
 * waits in one FIFO (same timeout for all), so expiry costs no timer of
 * its own. */
struct dns_txn {
	struct dns_state *d;
	struct dns_upstream *up;       /* UDP: the socket it left on */
	struct listener *l;	       /* UDP: where the client asked */
	struct dns_tcp *tc;	       /* TCP: the client connection */
	struct dns_txn *next;	       /* in up->tab[] or tc->txns */
	struct dns_txn *fprev, *fnext; /* the timeout FIFO */
	uint64_t deadline_ms;
	uint16_t up_id, client_id;
	struct dfl_proxy_conn_info ci;
	struct dfl_proxy_policy pol; /* identities only (matchers released) */
	int selector;
	struct timespec t0;
	struct dfl_dns_query q;
	/* Question[0] as received, to answer SERVFAIL when the query bytes
	 * are long gone; q_len 0 when it did not fit. */
	uint8_t question[300];
	size_t q_len;
};

struct dns_tcp {
	struct dns_state *d;
	struct dfl_ev_io cio, uio;
	struct dfl_proxy_conn_info ci;
	struct dfl_buf cin, cout, uin, uout;
	bool c_rd, c_wr, u_rd, u_wr, u_connecting, c_eof, dead;
	bool running; /* inside tcp_run() */
	struct dfl_sockaddr up_addr, up_bind;
	uint32_t up_mark;
	struct dns_txn *txns;
	struct dfl_ev_timer timer;
	struct dfl_ev_defer reap;
	struct dfl_ev_defer kick; /* flush an answer from a timeout */
	struct dns_tcp *prev, *next;
};

/* One datagram waiting for the next sendmmsg(). */
struct dns_out {
	int fd;
	struct dfl_sockaddr to; /* AF_UNSPEC: connected socket */
	const uint8_t *data;	/* valid until dns_flush() */
	size_t len;
};

struct dns_state {
	struct dfl_proxy *p;
	struct dns_upstream *ups;
	struct reply_sock *replies;
	struct dns_tcp *tcps;
	uint64_t rng;
	/* the timeout FIFO */
	struct dns_txn *fifo_head, *fifo_tail;
	struct dfl_ev_timer fifo_timer;
	struct dns_txn *free_txns; /* recycled, up to DNS_POOL */
	size_t n_free;
	/* receive side */
	uint8_t (*rx)[DNS_MSG_MAX + 1]; /* DNS_VEC buffers */
	uint8_t buf[DNS_MSG_MAX + 1];	/* one TCP message */
	uint8_t out[DNS_MSG_MAX + 1];	/* a reply being built */
	/* send side */
	struct dns_out pending[DNS_VEC];
	size_t n_pending;
	uint8_t store[DNS_VEC][512]; /* copies of small replies we built */
	size_t n_store;
};

/* dns_proxy.c */
void dns_handle_query(struct dns_state *d, struct listener *l,
		      struct dns_tcp *tc, const struct dfl_proxy_conn_info *ci,
		      uint8_t *wire, size_t len);
/* Parses <msg> as the answer to one of <list>'s transactions with id <id>
 * and the same question. Returns it (with *bad set when the message is
 * malformed), or NULL. */
struct dns_txn *dns_match_answer(struct dns_txn *list, uint16_t id,
				 const uint8_t *msg, size_t len,
				 struct dfl_dns_answer *a, bool *bad);
void dns_txn_answer(struct dns_txn *t, uint8_t *msg, size_t len,
		    const struct dfl_dns_answer *a);
void dns_txn_fail(struct dns_txn *t, const char *why);
/* Drops a transaction nobody can be answered for any more. */
void dns_txn_free(struct dns_txn *t);
void dns_fifo_add(struct dns_state *d, struct dns_txn *t);
void dns_flush(struct dns_state *d);

/* dns_tcp.c */
void dns_tcp_forward(struct dns_tcp *tc, struct dns_txn *t, const uint8_t *wire,
		     size_t len, uint32_t mark,
		     const struct dfl_proxy_policy *pol);
void dns_tcp_answer(struct dns_tcp *tc, const uint8_t *msg, size_t len);
void dns_tcp_close_all(struct dns_state *d);

#endif

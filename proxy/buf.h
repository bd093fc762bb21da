/* A byte FIFO for streaming between sockets: append at the tail, consume at
 * the head. A zeroed struct is empty. */
#ifndef DFL_PROXY_BUF_H
#define DFL_PROXY_BUF_H

#include <stddef.h>

struct dfl_buf {
	char *data;
	size_t head; /* first unconsumed byte */
	size_t tail; /* end of the data */
	size_t cap;
};

static inline size_t dfl_buf__len(const struct dfl_buf *b)
{
	return b->tail - b->head;
}

/* Never NULL, so that zero-length memcpy and friends stay defined. */
static inline const char *dfl_buf__data(const struct dfl_buf *b)
{
	return b->data ? b->data + b->head : "";
}

/* Makes room for <n> more bytes at the tail (moving data to the front or
 * growing). Returns a pointer to the free space, or NULL (ENOMEM). */
char *dfl_buf__reserve(struct dfl_buf *b, size_t n);
/* Marks <n> bytes written into the reserved space as data. */
void dfl_buf__commit(struct dfl_buf *b, size_t n);
int dfl_buf__append(struct dfl_buf *b, const void *p, size_t n);
void dfl_buf__consume(struct dfl_buf *b, size_t n);
void dfl_buf__clear(struct dfl_buf *b);
void dfl_buf__release(struct dfl_buf *b);

#endif

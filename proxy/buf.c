#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "proxy/buf.h"

char *dfl_buf__reserve(struct dfl_buf *b, size_t n)
{
	size_t len = dfl_buf__len(b);

	if (b->cap - b->tail >= n)
		return b->data + b->tail;
	if (b->head && b->cap - len >= n) {
		memmove(b->data, b->data + b->head, len);
	} else {
		size_t cap = b->cap ? b->cap : 4096;
		char *p;

		while (cap - len < n)
			cap *= 2;
		p = malloc(cap);
		if (!p)
			return NULL;
		if (len)
			memcpy(p, b->data + b->head, len);
		free(b->data);
		b->data = p;
		b->cap = cap;
	}
	b->head = 0;
	b->tail = len;
	return b->data + b->tail;
}

void dfl_buf__commit(struct dfl_buf *b, size_t n)
{
	b->tail += n;
}

int dfl_buf__append(struct dfl_buf *b, const void *p, size_t n)
{
	char *dst;

	if (!n)
		return 0;
	dst = dfl_buf__reserve(b, n);
	if (!dst)
		return -ENOMEM;
	memcpy(dst, p, n);
	b->tail += n;
	return 0;
}

void dfl_buf__consume(struct dfl_buf *b, size_t n)
{
	b->head += n;
	if (b->head == b->tail)
		b->head = b->tail = 0;
}

void dfl_buf__clear(struct dfl_buf *b)
{
	b->head = b->tail = 0;
}

void dfl_buf__release(struct dfl_buf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

/* The last N flows in memory, and followers reading them (Hubble's ring
 * buffer behind `hubble observe --last/--follow`).
 *
 * Threads. One producer calls dfl_ring__push(); any number of readers, each
 * with its own struct dfl_ring_reader, may run on other threads (or in an
 * event loop, see dfl_ring__event_fd()). The producer never waits for a
 * reader: when a reader falls more than N records behind, the oldest records
 * are overwritten and the reader is told how many it lost (to be shown as a
 * lost_events record with source HUBBLE_RING_BUFFER). A mutex guards the
 * slots for a few instructions per call; nobody holds it while printing or
 * sending. Records are reference-counted, so a reader keeps the record it
 * was given even after the producer overwrote its slot.
 *
 * A reader object is used by one thread at a time. All readers must be freed
 * before the ring. */
#ifndef DFL_FLOW_RING_H
#define DFL_FLOW_RING_H

#include <stddef.h>
#include <stdint.h>

#include "flow/flow-t.h"

#define DFL_RING_DEFAULT_CAPACITY 4095

struct dfl_ring;
struct dfl_ring_reader;

/* A ring of <capacity> records (0: DFL_RING_DEFAULT_CAPACITY). Returns NULL
 * with errno set. */
struct dfl_ring *dfl_ring__new(size_t capacity);
void dfl_ring__free(struct dfl_ring *r);
/* Copies <f> in (dfl_flow__pack), overwriting the oldest record when full.
 * Returns 0 or -ENOMEM (the record is then not stored). */
int dfl_ring__push(struct dfl_ring *r, const struct dfl_flow *f);
/* Records pushed since creation. */
uint64_t dfl_ring__written(struct dfl_ring *r);
size_t dfl_ring__capacity(const struct dfl_ring *r);
/* Wakes every waiting reader; afterwards next() returns what is left, then
 * -ESHUTDOWN. For agent shutdown. */
void dfl_ring__shutdown(struct dfl_ring *r);
/* An eventfd that becomes readable after a push when a reader found nothing
 * to read (next() returned 0 with timeout 0). An event loop polls it, reads
 * it to clear it, and calls next() until it returns 0 again. Created on
 * first call; owned by the ring. Returns the fd or -errno. */
int dfl_ring__event_fd(struct dfl_ring *r);

enum dfl_ring_start {
	DFL_RING_OLDEST, /* everything still in the ring */
	DFL_RING_NEWEST, /* only records pushed from now on (--follow) */
	DFL_RING_LAST,	 /* the last <n> records, then new ones */
};

struct dfl_ring_reader *dfl_ring_reader__new(struct dfl_ring *r,
					     enum dfl_ring_start start,
					     size_t n);
/* Next record for this reader. Waits up to <timeout_ms> (0: not at all, -1:
 * forever). Returns 1 with *flow valid until the next call or free(); 0 when
 * nothing came in time; -ESHUTDOWN after dfl_ring__shutdown() once drained.
 * *lost is the number of records overwritten before this reader could read
 * them, counted since the previous call (0 normally): report it before
 * *flow. */
int dfl_ring_reader__next(struct dfl_ring_reader *rd,
			  const struct dfl_flow **flow, uint64_t *lost,
			  int timeout_ms);
void dfl_ring_reader__free(struct dfl_ring_reader *rd);

#endif

/* A scripted HTTP/1.1 server on 127.0.0.1 for tests: each connection gets the
 * next step of the script, checked against what the step expects. */
#ifndef DFL_TESTS_HTTP_REPLAY_H
#define DFL_TESTS_HTTP_REPLAY_H

#include <stdbool.h>
#include <stddef.h>

enum dfl_replay_end {
	DFL_REPLAY_END = 0, /* finish the response and close */
	DFL_REPLAY_DROP,    /* close in the middle of a chunked body */
	DFL_REPLAY_HOLD,    /* keep the connection open until the server stops */
};

struct dfl_replay_step {
	const char *expect; /* substrings (separated by '|') the request must contain */
	int status;
	const char *body;
	bool chunked;	    /* send the body line by line as chunks (watches) */
	enum dfl_replay_end end;
};

struct dfl_replay;

struct dfl_replay *dfl_replay__start(const struct dfl_replay_step *steps, size_t n);
int dfl_replay__port(const struct dfl_replay *r);
/* Steps answered so far. */
size_t dfl_replay__served(struct dfl_replay *r);
/* The request (request line and headers) that step <i> received, or NULL. */
const char *dfl_replay__request(struct dfl_replay *r, size_t i);
/* Number of requests that did not contain what their step expected. */
size_t dfl_replay__mismatches(struct dfl_replay *r);
void dfl_replay__stop(struct dfl_replay *r);

#endif

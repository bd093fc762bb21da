#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/k8s_client.h"
#include "util/mem.h"

struct dfl_k8s_client {
	struct dfl_k8s_creds creds; /* owned copy */
	CURL *curl;
	atomic_bool *stop;
};

/* curl_global_init is not thread-safe before 7.84 on every backend; one
 * process-wide call, made before the first client exists. */
static void global_init_once(void)
{
	static atomic_flag done = ATOMIC_FLAG_INIT;

	if (!atomic_flag_test_and_set(&done))
		curl_global_init(CURL_GLOBAL_DEFAULT);
}

static int copy_creds(struct dfl_k8s_creds *dst, const struct dfl_k8s_creds *src)
{
	memset(dst, 0, sizeof(*dst));
	dst->insecure = src->insecure;
#define COPY(f)                                             \
	do {                                                \
		dst->f = dfl_strdup(src->f);                \
		if (src->f && !dst->f)                      \
			return -ENOMEM;                     \
	} while (0)
	COPY(server);
	COPY(token);
	COPY(token_file);
	COPY(ca_file);
	COPY(ca_pem);
	COPY(cert_file);
	COPY(cert_pem);
	COPY(key_file);
	COPY(key_pem);
#undef COPY
	return 0;
}

struct dfl_k8s_client *dfl_k8s_client__new(const struct dfl_k8s_creds *creds)
{
	struct dfl_k8s_client *c;

	global_init_once();
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	if (copy_creds(&c->creds, creds))
		goto nomem;
	c->curl = curl_easy_init();
	if (!c->curl)
		goto nomem;
	return c;
nomem:
	dfl_k8s_client__free(c);
	errno = ENOMEM;
	return NULL;
}

void dfl_k8s_client__free(struct dfl_k8s_client *c)
{
	if (!c)
		return;
	if (c->curl)
		curl_easy_cleanup(c->curl);
	dfl_k8s_creds__release(&c->creds);
	free(c);
}

void dfl_k8s_client__set_stop(struct dfl_k8s_client *c, atomic_bool *stop)
{
	c->stop = stop;
}

/* Reads a bearer token file, trimming the trailing newline. */
static char *read_token_file(const char *path)
{
	struct dfl_strbuf sb = { 0 };
	char buf[4096];
	size_t n;
	FILE *f = fopen(path, "r");

	if (!f)
		return NULL;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		dfl_strbuf__append(&sb, buf, n);
	fclose(f);
	while (sb.len && (sb.buf[sb.len - 1] == '\n' || sb.buf[sb.len - 1] == '\r'))
		sb.buf[--sb.len] = '\0';
	return dfl_strbuf__detach(&sb);
}

struct transfer {
	struct dfl_k8s_client *client;
	int (*on_line)(const char *line, size_t len, void *ctx);
	void *ctx;
	struct dfl_strbuf pending; /* partial line of a stream */
	struct dfl_strbuf *body;
	long status;
	bool stopped_by_callback;
};

static size_t on_header(char *buf, size_t size, size_t n, void *arg)
{
	struct transfer *t = arg;
	long code;

	/* The status line of each response ("HTTP/1.1 200 OK"): remember the
	 * code so the body callback knows whether to stream or collect. */
	if (n * size > 5 && !strncmp(buf, "HTTP/", 5) &&
	    sscanf(buf, "HTTP/%*s %ld", &code) == 1)
		t->status = code;
	return size * n;
}

static size_t on_body(char *buf, size_t size, size_t n, void *arg)
{
	struct transfer *t = arg;
	size_t len = size * n;

	if (!t->on_line || t->status < 200 || t->status > 299) {
		if (t->body && dfl_strbuf__append(t->body, buf, len))
			return 0;
		return len;
	}
	if (dfl_strbuf__append(&t->pending, buf, len))
		return 0;
	for (;;) {
		char *nl = memchr(t->pending.buf, '\n', t->pending.len);
		size_t line_len;

		if (!nl)
			break;
		line_len = (size_t)(nl - t->pending.buf);
		*nl = '\0';
		if (t->on_line(t->pending.buf, line_len, t->ctx)) {
			t->stopped_by_callback = true;
			return 0; /* aborts the transfer */
		}
		memmove(t->pending.buf, nl + 1, t->pending.len - line_len - 1);
		t->pending.len -= line_len + 1;
		t->pending.buf[t->pending.len] = '\0';
	}
	return len;
}

static int on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow,
		       curl_off_t ultotal, curl_off_t ulnow)
{
	struct transfer *t = arg;

	return t->client->stop && atomic_load(t->client->stop);
}

static int perform(struct dfl_k8s_client *c, const char *method, const char *path,
		   const char *content_type, const char *payload,
		   struct transfer *t, long *status, struct dfl_strbuf *err)
{
	struct curl_slist *headers = NULL;
	struct dfl_strbuf url = { 0 }, auth = { 0 };
	char *token = NULL;
	CURL *h = c->curl;
	CURLcode rc;
	int ret = 0;

	*status = 0;
	if (c->stop && atomic_load(c->stop))
		return -ECANCELED;
	curl_easy_reset(h);
	dfl_strbuf__printf(&url, "%s%s", c->creds.server, path);
	token = c->creds.token_file ? read_token_file(c->creds.token_file)
				    : dfl_strdup(c->creds.token);
	if (token && *token) {
		dfl_strbuf__printf(&auth, "Authorization: Bearer %s", token);
		headers = curl_slist_append(headers, dfl_strbuf__str(&auth));
	}
	headers = curl_slist_append(headers, "Accept: application/json");
	if (content_type) {
		struct dfl_strbuf ct = { 0 };

		dfl_strbuf__printf(&ct, "Content-Type: %s", content_type);
		headers = curl_slist_append(headers, dfl_strbuf__str(&ct));
		dfl_strbuf__release(&ct);
	}
	if (url.err || auth.err) {
		ret = -ENOMEM;
		goto out;
	}
	curl_easy_setopt(h, CURLOPT_URL, dfl_strbuf__str(&url));
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "deflector-agent");
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 10L);
	/* A watch with no bytes (not even bookmarks) for 6 minutes is dead. */
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, 360L);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, t);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, t);
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(h, CURLOPT_XFERINFODATA, t);
	if (c->creds.insecure) {
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (c->creds.ca_file)
		curl_easy_setopt(h, CURLOPT_CAINFO, c->creds.ca_file);
	if (c->creds.ca_pem) {
		struct curl_blob blob = { c->creds.ca_pem, strlen(c->creds.ca_pem),
					  CURL_BLOB_COPY };
		curl_easy_setopt(h, CURLOPT_CAINFO_BLOB, &blob);
	}
	if (c->creds.cert_file)
		curl_easy_setopt(h, CURLOPT_SSLCERT, c->creds.cert_file);
	if (c->creds.cert_pem) {
		struct curl_blob blob = { c->creds.cert_pem, strlen(c->creds.cert_pem),
					  CURL_BLOB_COPY };
		curl_easy_setopt(h, CURLOPT_SSLCERT_BLOB, &blob);
		curl_easy_setopt(h, CURLOPT_SSLCERTTYPE, "PEM");
	}
	if (c->creds.key_file)
		curl_easy_setopt(h, CURLOPT_SSLKEY, c->creds.key_file);
	if (c->creds.key_pem) {
		struct curl_blob blob = { c->creds.key_pem, strlen(c->creds.key_pem),
					  CURL_BLOB_COPY };
		curl_easy_setopt(h, CURLOPT_SSLKEY_BLOB, &blob);
		curl_easy_setopt(h, CURLOPT_SSLKEYTYPE, "PEM");
	}
	if (strcmp(method, "GET"))
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	if (payload)
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, payload);

	rc = curl_easy_perform(h);
	*status = t->status;
	if (rc == CURLE_OK)
		goto out;
	if (t->stopped_by_callback) {
		ret = 0;
	} else if (rc == CURLE_ABORTED_BY_CALLBACK) {
		ret = -ECANCELED;
		dfl_strbuf__printf(err, "%s %s: stopped", method, path);
	} else {
		/* A response that started and then broke off (a watch whose
		 * chunked body never finished) is a dropped connection; no
		 * response at all means the server could not be reached. */
		ret = *status || rc == CURLE_PARTIAL_FILE ||
				      rc == CURLE_RECV_ERROR ||
				      rc == CURLE_GOT_NOTHING
			      ? -EPIPE
			      : -ECONNREFUSED;
		dfl_strbuf__printf(err, "%s %s%s: %s", method, c->creds.server,
				   path, curl_easy_strerror(rc));
	}
out:
	curl_slist_free_all(headers);
	dfl_strbuf__release(&url);
	dfl_strbuf__release(&auth);
	free(token);
	return ret;
}

int dfl_k8s_client__get(struct dfl_k8s_client *c, const char *path,
			long *status, struct dfl_strbuf *body,
			struct dfl_strbuf *err)
{
	struct transfer t = { .client = c, .body = body };
	int ret = perform(c, "GET", path, NULL, NULL, &t, status, err);

	dfl_strbuf__release(&t.pending);
	return ret;
}

int dfl_k8s_client__stream(struct dfl_k8s_client *c, const char *path,
			   int (*on_line)(const char *line, size_t len, void *ctx),
			   void *ctx, long *status, struct dfl_strbuf *body,
			   struct dfl_strbuf *err)
{
	struct transfer t = { .client = c, .on_line = on_line, .ctx = ctx,
			      .body = body };
	int ret = perform(c, "GET", path, NULL, NULL, &t, status, err);

	dfl_strbuf__release(&t.pending);
	return ret;
}

int dfl_k8s_client__patch(struct dfl_k8s_client *c, const char *path,
			  const char *content_type, const char *payload,
			  long *status, struct dfl_strbuf *body,
			  struct dfl_strbuf *err)
{
	struct transfer t = { .client = c, .body = body };
	int ret = perform(c, "PATCH", path, content_type, payload, &t, status, err);

	dfl_strbuf__release(&t.pending);
	return ret;
}

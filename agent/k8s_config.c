/* kubeconfig is a fixed schema, so it is loaded with libcyaml straight into
 * structs; unknown keys (preferences, extensions, exec plugins' extras) are
 * ignored as kubectl ignores them. */
#include <cyaml/cyaml.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "agent/k8s_config.h"
#include "util/mem.h"

struct kc_cluster {
	char *server;
	char *ca;
	char *ca_data;
	bool insecure;
};

struct kc_named_cluster {
	char *name;
	struct kc_cluster *cluster;
};

struct kc_exec {
	char *command;
};

struct kc_user {
	char *token;
	char *token_file;
	char *cert;
	char *cert_data;
	char *key;
	char *key_data;
	struct kc_exec *exec;
};

struct kc_named_user {
	char *name;
	struct kc_user *user;
};

struct kc_context {
	char *cluster;
	char *user;
};

struct kc_named_context {
	char *name;
	struct kc_context *context;
};

struct kubeconfig {
	char *current_context;
	struct kc_named_cluster *clusters;
	unsigned clusters_count;
	struct kc_named_user *users;
	unsigned users_count;
	struct kc_named_context *contexts;
	unsigned contexts_count;
};

#define OPT_STR(key, type, member)                                            \
	CYAML_FIELD_STRING_PTR(key, CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,  \
			       type, member, 0, CYAML_UNLIMITED)

static const cyaml_schema_field_t cluster_fields[] = {
	OPT_STR("server", struct kc_cluster, server),
	OPT_STR("certificate-authority", struct kc_cluster, ca),
	OPT_STR("certificate-authority-data", struct kc_cluster, ca_data),
	CYAML_FIELD_BOOL("insecure-skip-tls-verify", CYAML_FLAG_OPTIONAL,
			 struct kc_cluster, insecure),
	CYAML_FIELD_END
};

static const cyaml_schema_field_t named_cluster_fields[] = {
	OPT_STR("name", struct kc_named_cluster, name),
	CYAML_FIELD_MAPPING_PTR("cluster", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
				struct kc_named_cluster, cluster, cluster_fields),
	CYAML_FIELD_END
};

static const cyaml_schema_field_t exec_fields[] = {
	OPT_STR("command", struct kc_exec, command),
	CYAML_FIELD_END
};

static const cyaml_schema_field_t user_fields[] = {
	OPT_STR("token", struct kc_user, token),
	OPT_STR("tokenFile", struct kc_user, token_file),
	OPT_STR("client-certificate", struct kc_user, cert),
	OPT_STR("client-certificate-data", struct kc_user, cert_data),
	OPT_STR("client-key", struct kc_user, key),
	OPT_STR("client-key-data", struct kc_user, key_data),
	CYAML_FIELD_MAPPING_PTR("exec", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
				struct kc_user, exec, exec_fields),
	CYAML_FIELD_END
};

static const cyaml_schema_field_t named_user_fields[] = {
	OPT_STR("name", struct kc_named_user, name),
	CYAML_FIELD_MAPPING_PTR("user", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
				struct kc_named_user, user, user_fields),
	CYAML_FIELD_END
};

static const cyaml_schema_field_t context_fields[] = {
	OPT_STR("cluster", struct kc_context, cluster),
	OPT_STR("user", struct kc_context, user),
	CYAML_FIELD_END
};

static const cyaml_schema_field_t named_context_fields[] = {
	OPT_STR("name", struct kc_named_context, name),
	CYAML_FIELD_MAPPING_PTR("context", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
				struct kc_named_context, context, context_fields),
	CYAML_FIELD_END
};

static const cyaml_schema_value_t named_cluster_schema = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, struct kc_named_cluster,
			    named_cluster_fields),
};
static const cyaml_schema_value_t named_user_schema = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, struct kc_named_user,
			    named_user_fields),
};
static const cyaml_schema_value_t named_context_schema = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, struct kc_named_context,
			    named_context_fields),
};

static const cyaml_schema_field_t kubeconfig_fields[] = {
	OPT_STR("current-context", struct kubeconfig, current_context),
	CYAML_FIELD_SEQUENCE("clusters", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
			     struct kubeconfig, clusters, &named_cluster_schema,
			     0, CYAML_UNLIMITED),
	CYAML_FIELD_SEQUENCE("users", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
			     struct kubeconfig, users, &named_user_schema, 0,
			     CYAML_UNLIMITED),
	CYAML_FIELD_SEQUENCE("contexts", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
			     struct kubeconfig, contexts, &named_context_schema,
			     0, CYAML_UNLIMITED),
	CYAML_FIELD_END
};

static const cyaml_schema_value_t kubeconfig_schema = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_POINTER, struct kubeconfig,
			    kubeconfig_fields),
};

static const cyaml_config_t cyaml_cfg = {
	.log_fn = NULL, /* errors are reported through cyaml_strerror */
	.mem_fn = cyaml_mem,
	.log_level = CYAML_LOG_ERROR,
	.flags = CYAML_CFG_IGNORE_UNKNOWN_KEYS,
};

int dfl_base64_decode(const char *in, char **out, size_t *len)
{
	static const char alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t n = strlen(in), o = 0;
	unsigned int acc = 0, bits = 0;
	char *buf = malloc(n / 4 * 3 + 4);

	if (!buf)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const char *p;

		if (in[i] == '=' || in[i] == '\n' || in[i] == '\r' || in[i] == ' ')
			continue;
		p = strchr(alphabet, in[i]);
		if (!p || !in[i]) {
			free(buf);
			return -EINVAL;
		}
		acc = (acc << 6) | (unsigned int)(p - alphabet);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf[o++] = (char)((acc >> bits) & 0xff);
		}
	}
	buf[o] = '\0';
	*out = buf;
	*len = o;
	return 0;
}

static int take_data(char **dst, const char *b64, const char *path,
		     const char *field, struct dfl_strbuf *err)
{
	size_t len;

	if (!b64)
		return 0;
	if (dfl_base64_decode(b64, dst, &len)) {
		dfl_strbuf__printf(err, "%s: %s is not valid base64", path, field);
		return -EINVAL;
	}
	return 0;
}

static int fill_from_kubeconfig(struct dfl_k8s_creds *c, const struct kubeconfig *kc,
				const char *path, const char *context,
				struct dfl_strbuf *err)
{
	const struct kc_context *ctx = NULL;
	const struct kc_cluster *cl = NULL;
	const struct kc_user *u = NULL;
	const char *want = context ? context : kc->current_context;
	int ret;

	if (!want) {
		dfl_strbuf__printf(err, "%s: no current-context and no --context given", path);
		return -EINVAL;
	}
	for (unsigned i = 0; i < kc->contexts_count; i++)
		if (kc->contexts[i].name && !strcmp(kc->contexts[i].name, want))
			ctx = kc->contexts[i].context;
	if (!ctx || !ctx->cluster) {
		dfl_strbuf__printf(err, "%s: context \"%s\" not found (or has no cluster)",
				   path, want);
		return -ENOENT;
	}
	for (unsigned i = 0; i < kc->clusters_count; i++)
		if (kc->clusters[i].name && !strcmp(kc->clusters[i].name, ctx->cluster))
			cl = kc->clusters[i].cluster;
	if (!cl || !cl->server) {
		dfl_strbuf__printf(err, "%s: cluster \"%s\" of context \"%s\" not found or has no server",
				   path, ctx->cluster, want);
		return -ENOENT;
	}
	for (unsigned i = 0; ctx->user && i < kc->users_count; i++)
		if (kc->users[i].name && !strcmp(kc->users[i].name, ctx->user))
			u = kc->users[i].user;
	if (ctx->user && !u) {
		dfl_strbuf__printf(err, "%s: user \"%s\" of context \"%s\" not found",
				   path, ctx->user, want);
		return -ENOENT;
	}
	if (u && u->exec && !u->token && !u->cert && !u->cert_data) {
		dfl_strbuf__printf(err, "%s: user \"%s\" authenticates with an exec plugin (%s), which deflector does not run; use a token or client certificate",
				   path, ctx->user, u->exec->command ? u->exec->command : "?");
		return -ENOTSUP;
	}
	c->server = strdup(cl->server);
	c->insecure = cl->insecure;
	c->ca_file = dfl_strdup(cl->ca);
	ret = take_data(&c->ca_pem, cl->ca_data, path, "certificate-authority-data", err);
	if (!ret && u) {
		c->token = dfl_strdup(u->token);
		c->token_file = dfl_strdup(u->token_file);
		c->cert_file = dfl_strdup(u->cert);
		c->key_file = dfl_strdup(u->key);
		ret = take_data(&c->cert_pem, u->cert_data, path,
				"client-certificate-data", err);
		if (!ret)
			ret = take_data(&c->key_pem, u->key_data, path,
					"client-key-data", err);
	}
	if (!ret && !c->server)
		ret = -ENOMEM;
	return ret;
}

int dfl_k8s_creds__from_kubeconfig(struct dfl_k8s_creds *c, const char *path,
				   const char *context, struct dfl_strbuf *err)
{
	struct kubeconfig *kc = NULL;
	cyaml_err_t cerr;
	int ret;

	memset(c, 0, sizeof(*c));
	cerr = cyaml_load_file(path, &cyaml_cfg, &kubeconfig_schema,
			       (cyaml_data_t **)&kc, NULL);
	if (cerr != CYAML_OK) {
		dfl_strbuf__printf(err, "%s: cannot load kubeconfig: %s", path,
				   cyaml_strerror(cerr));
		return cerr == CYAML_ERR_FILE_OPEN ? -ENOENT : -EINVAL;
	}
	ret = fill_from_kubeconfig(c, kc, path, context, err);
	cyaml_free(&cyaml_cfg, &kubeconfig_schema, kc, 0);
	if (ret)
		dfl_k8s_creds__release(c);
	return ret;
}

int dfl_k8s_creds__in_cluster(struct dfl_k8s_creds *c, const char *sa_dir,
			      struct dfl_strbuf *err)
{
	const char *host = getenv("KUBERNETES_SERVICE_HOST");
	const char *port = getenv("KUBERNETES_SERVICE_PORT");
	struct dfl_strbuf sb = { 0 };

	memset(c, 0, sizeof(*c));
	if (!sa_dir)
		sa_dir = "/var/run/secrets/kubernetes.io/serviceaccount";
	if (!host || !*host) {
		dfl_strbuf__puts(err, "not running in a cluster: KUBERNETES_SERVICE_HOST is not set (use --kubeconfig FILE)");
		return -ENOENT;
	}
	/* An IPv6 service host needs brackets in the URL. */
	dfl_strbuf__printf(&sb, strchr(host, ':') ? "https://[%s]:%s" : "https://%s:%s",
			   host, port && *port ? port : "443");
	c->server = dfl_strbuf__detach(&sb);
	dfl_strbuf__printf(&sb, "%s/token", sa_dir);
	c->token_file = dfl_strbuf__detach(&sb);
	dfl_strbuf__printf(&sb, "%s/ca.crt", sa_dir);
	c->ca_file = dfl_strbuf__detach(&sb);
	if (!c->server || !c->token_file || !c->ca_file) {
		dfl_k8s_creds__release(c);
		return -ENOMEM;
	}
	return 0;
}

void dfl_k8s_creds__release(struct dfl_k8s_creds *c)
{
	if (!c)
		return;
	free(c->server);
	free(c->token);
	free(c->token_file);
	free(c->ca_file);
	free(c->ca_pem);
	free(c->cert_file);
	free(c->cert_pem);
	free(c->key_file);
	free(c->key_pem);
	memset(c, 0, sizeof(*c));
}

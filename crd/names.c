#include <string.h>

#include "crd/names.h"

static bool alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9');
}

/* ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9] */
static bool qualified_name_part(const char *s, size_t n)
{
	if (!n || !alnum(s[0]) || !alnum(s[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!alnum(s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
			return false;
	return true;
}

/* [a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)* */
static bool subdomain(const char *s, size_t n)
{
	size_t start = 0;

	if (!n)
		return false;
	for (size_t i = 0; i <= n; i++) {
		if (i < n && s[i] != '.') {
			char c = s[i];

			if (!((c >= 'a' && c <= 'z') ||
			      (c >= '0' && c <= '9') || c == '-'))
				return false;
			continue;
		}
		if (i == start || s[start] == '-' || s[i - 1] == '-')
			return false;
		start = i + 1;
	}
	return true;
}

const char *dfl_check_label_key(const char *s)
{
	const char *slash = strchr(s, '/');
	const char *name = slash ? slash + 1 : s;

	if (slash) {
		size_t plen = (size_t)(slash - s);

		if (!plen)
			return "prefix part must be non-empty";
		if (plen > 253)
			return "prefix part must be no more than 253 "
			       "characters";
		if (!subdomain(s, plen))
			return "prefix part must be a lowercase RFC 1123 "
			       "subdomain (lower case alphanumeric characters, "
			       "'-' or '.', starting and ending with an "
			       "alphanumeric character)";
		if (strchr(name, '/'))
			return "a qualified name may contain at most one '/'";
	}
	if (!*name)
		return "name part must be non-empty";
	if (strlen(name) > 63)
		return "name part must be no more than 63 characters";
	if (!qualified_name_part(name, strlen(name)))
		return "name part must consist of alphanumeric characters, "
		       "'-', '_' or '.', and must start and end with an "
		       "alphanumeric character";
	return NULL;
}

const char *dfl_check_label_value(const char *s)
{
	size_t n = strlen(s);

	if (!n)
		return NULL;
	if (n > 63)
		return "must be no more than 63 characters";
	if (!qualified_name_part(s, n))
		return "a valid label value must be an empty string or consist "
		       "of alphanumeric characters, '-', '_' or '.', and must "
		       "start and end with an alphanumeric character";
	return NULL;
}

const char *dfl_check_cilium_label_key(const char *s)
{
	const char *colon = strchr(s, ':');

	if (!colon)
		return dfl_check_label_key(s);
	if (strchr(colon + 1, ':'))
		return "a valid label key only support ':' character as a "
		       "source separator with non empty value";
	if (colon == s)
		return "label source should be a non empty string with only "
		       "alphanumeric characters";
	for (const char *p = s; p < colon; p++)
		if (!alnum(*p))
			return "label source should be a non empty string with "
			       "only alphanumeric characters";
	return dfl_check_label_key(colon + 1);
}

const char *dfl_check_dns_subdomain(const char *s)
{
	size_t n = strlen(s);

	if (n > 253)
		return "must be no more than 253 characters";
	if (!subdomain(s, n))
		return "must be a lowercase RFC 1123 subdomain: lower case "
		       "alphanumeric characters, '-' or '.', starting and "
		       "ending with an alphanumeric character";
	return NULL;
}

const char *dfl_check_dns_label(const char *s)
{
	size_t n = strlen(s);

	if (n > 63)
		return "must be no more than 63 characters";
	if (!subdomain(s, n) || strchr(s, '.'))
		return "must be a lowercase RFC 1123 label: lower case "
		       "alphanumeric characters or '-', starting and ending "
		       "with an alphanumeric character";
	return NULL;
}

const char *dfl_check_dns1035_label(const char *s)
{
	const char *why = dfl_check_dns_label(s);

	if (why)
		return why;
	if (!(s[0] >= 'a' && s[0] <= 'z'))
		return "must be an RFC 1035 label: it must start with a lower "
		       "case letter";
	return NULL;
}

bool dfl_is_svc_name(const char *s)
{
	size_t n = strlen(s);
	bool letter = false;

	if (n < 1 || n > 15 || s[0] == '-' || s[n - 1] == '-')
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '-') {
			if (s[i + 1] == '-')
				return false;
			continue;
		}
		if (!alnum(s[i]))
			return false;
		if ((s[i] | 0x20) >= 'a' && (s[i] | 0x20) <= 'z')
			letter = true;
	}
	return letter;
}

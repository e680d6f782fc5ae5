/*
 * err.c - error classes and the per-thread detail string.
 *
 * The library reports failures as negative codes; the detail is a static
 * string (never formatted with input or secrets) so that it can be printed
 * by the programs without leaking anything an attacker could steer.
 */
#include "xc.h"

static _Thread_local const char *detail;

int
xc_fail(int err, const char *d)
{
	detail = d;
	return err;
}

const char *
xc_errdetail(void)
{
	return detail ? detail : "";
}

const char *
xc_strerror(int err)
{
	switch (err) {
	case XC_OK: return "success";
	case XC_ENOMATCH: return "no identity matched";
	case XC_EHEADER: return "header failure";
	case XC_EMAC: return "header MAC failure";
	case XC_EPAYLOAD: return "payload failure";
	case XC_EARMOR: return "armor failure";
	case XC_EREAD: return "read error";
	case XC_EWRITE: return "write error";
	case XC_ENOMEM: return "out of memory";
	case XC_EKEY: return "malformed key";
	case XC_EUNSUPPORTED: return "unsupported";
	case XC_EINVAL: return "invalid argument";
	case XC_ELIMIT: return "limit exceeded";
	case XC_ECARD: return "malformed card";
	case XC_ESIG: return "bad signature";
	case XC_EEXPIRED: return "expired";
	case XC_ECHAIN: return "broken card chain";
	case XC_EEXIST: return "already exists";
	case XC_EINSECURE: return "insecure file";
	case XC_ENOTFOUND: return "not found";
	case XC_ELOCKED: return "passphrase needed";
	case XC_EKEYCHANGE: return "key changed";
	case XC_ETAKEN: return "name taken";
	case XC_EEQUIVOCAL: return "equivocation";
	case XC_EJSON: return "malformed JSON";
	case XC_ENET: return "network error";
	}
	return "unknown error";
}

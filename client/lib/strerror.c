/* SPDX-License-Identifier: MIT */
/* Error texts: what an errno means when it comes from talking to lastframed. */
#include <errno.h>
#include <string.h>

#include "client/lastframe.h"

const char *lastframe_strerror(int err)
{
	const char *s;

	if (err < 0)
		err = -err;
	switch (err) {
	case 0: return "success";
	case ENOENT: return "lastframed is not running (no socket)";
	case ECONNREFUSED: return "lastframed is not running (connection refused)";
	case EPIPE: return "lastframed closed the connection";
	case ECONNRESET: return "lastframed went away";
	case EPROTO: return "protocol error talking to lastframed";
	case ETIMEDOUT: return "timed out waiting for lastframed";
	case EAGAIN: return "no frame available yet";
	case ENODATA: return "no stream format yet";
	case EUSERS:
	case EBUSY: return "lastframed has too many clients";
	case ENOBUFS: return "lastframed dropped us: replies did not fit the socket";
	case EINVAL: return "invalid argument (or a frame this client does not hold)";
	case EACCES: return "permission denied by lastframed";
	case EPROTONOSUPPORT: return "lastframed speaks an incompatible protocol version";
	case EBADMSG: return "lastframed sent a buffer smaller than announced";
	case ENAMETOOLONG: return "socket path too long";
	}
	/* strerrordesc_np: static strings, so this stays thread-safe. */
	s = strerrordesc_np(err);
	return s ? s : "unknown error";
}

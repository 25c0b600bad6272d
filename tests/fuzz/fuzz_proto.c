/*
 * The socket protocol's decoders, on any line a peer may send: twd's
 * request decoder and twctl's reply decoder each decode it or refuse it
 * with a cause, never crash or leak; what decodes encodes again.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *line = (const char *)data, *code = NULL;
	struct proto_request req;
	struct proto_reply rep;
	char *cause = NULL, *out;
	json_t *msg;
	size_t len;

	if (proto_request_decode(&req, line, size, &code, &cause) == -1) {
		if (code == NULL || cause == NULL) {
			abort(); /* a refusal says what and why */
		}
		free(cause);
		cause = NULL;
	} else {
		if (req.cmd == NULL || !json_is_object(req.args)) {
			abort();
		}
		/* The answer to it is a line the client can read. */
		msg = proto_reply_ok(req.id, json_deep_copy(req.args));
		if ((out = proto_encode(msg, 1 << 20, &len)) != NULL) {
			if (len == 0 || out[len - 1] != '\n' ||
			    proto_reply_decode(&rep, out, len - 1, &cause) ==
			        -1) {
				abort();
			}
			proto_reply_release(&rep);
			free(out);
		}
		json_decref(msg);
	}
	proto_request_release(&req);
	if (proto_reply_decode(&rep, line, size, &cause) == -1) {
		if (cause == NULL) {
			abort();
		}
		free(cause);
	} else {
		proto_reply_release(&rep);
	}
	return 0;
}

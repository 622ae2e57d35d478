/* `expect delivered all`: the runtime's record of every TCP stream, kept
 * only in a run that has that expectation. */
#pragma once

#include <glib.h>

#include "netsim/host.h"

typedef struct NsStreams NsStreams;

NsStreams *ns_streams_new(void);
void ns_streams_free(NsStreams *st);
/* Watch every TCP byte written and read on h (its socket layer's stream
 * observer). */
void ns_streams_watch(NsStreams *st, NsHost *h);
/* Streams seen so far. */
uint32_t ns_streams_count(const NsStreams *st);
/* True when every byte written so far was read once, in order, at the
 * other end; otherwise false, with "; WHO: WHAT" per bad stream appended
 * to why. */
bool ns_streams_check(const NsStreams *st, GString *why);

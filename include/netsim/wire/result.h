/* Result codes shared by every parser of the wire layer (sim/wire).
 *
 * Parsers run on untrusted bytes, so they never assert on input: they
 * return one of these small values instead (smoltcp's Error, not GError). */
#pragma once

typedef enum {
    NS_WIRE_OK = 0,
    NS_WIRE_TRUNCATED,    /* fewer bytes than a header or length field needs */
    NS_WIRE_MALFORMED,    /* a field has a value the RFC forbids */
    NS_WIRE_BAD_CHECKSUM, /* well formed, but the checksum does not verify */
    NS_WIRE_UNSUPPORTED,  /* valid, but a variant netsim does not model */
} NsWireResult;

/* Static lowercase name of `result` ("ok", "truncated", ...) for traces;
 * "invalid" for a value outside the enum. Never NULL. */
const char *ns_wire_result_name(NsWireResult result);

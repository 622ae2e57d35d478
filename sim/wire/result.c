/* Names of the wire layer's parse results, for traces and test output. */
#include "netsim/wire/result.h"

const char *ns_wire_result_name(NsWireResult result)
{
    switch (result) {
    case NS_WIRE_OK:
        return "ok";
    case NS_WIRE_TRUNCATED:
        return "truncated";
    case NS_WIRE_MALFORMED:
        return "malformed";
    case NS_WIRE_BAD_CHECKSUM:
        return "bad-checksum";
    case NS_WIRE_UNSUPPORTED:
        return "unsupported";
    }
    return "invalid";
}

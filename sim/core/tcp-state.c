/* Names of the TCP states (RFC 9293 spelling) and congestion states (as
 * Linux names them). */
#include "netsim/tcp-state.h"

#include <stddef.h>

static const char *const state_names[NS_TCP_STATE_COUNT] = {
    [NS_TCP_STATE_CLOSED] = "CLOSED",           /* no connection */
    [NS_TCP_STATE_LISTEN] = "LISTEN",           /* waiting for a SYN */
    [NS_TCP_STATE_SYN_SENT] = "SYN-SENT",       /* our SYN sent, waiting for theirs */
    [NS_TCP_STATE_SYN_RECEIVED] = "SYN-RECEIVED", /* both SYNs seen, ours not yet ACKed */
    [NS_TCP_STATE_ESTABLISHED] = "ESTABLISHED", /* data flows both ways */
    [NS_TCP_STATE_FIN_WAIT_1] = "FIN-WAIT-1",   /* our FIN sent, not yet ACKed */
    [NS_TCP_STATE_FIN_WAIT_2] = "FIN-WAIT-2",   /* our FIN ACKed, waiting for theirs */
    [NS_TCP_STATE_CLOSE_WAIT] = "CLOSE-WAIT",   /* their FIN received, app not closed */
    [NS_TCP_STATE_CLOSING] = "CLOSING",         /* both FINs sent, ours not yet ACKed */
    [NS_TCP_STATE_LAST_ACK] = "LAST-ACK",       /* their FIN then ours, waiting for the ACK */
    [NS_TCP_STATE_TIME_WAIT] = "TIME-WAIT",     /* 2*MSL so old duplicates die out */
};

const char *ns_tcp_state_name(NsTcpState s)
{
    return (unsigned)s < NS_TCP_STATE_COUNT ? state_names[s] : "?";
}

bool ns_tcp_state_from_name(const char *name, NsTcpState *out)
{
    if (!name)
        return false;
    for (unsigned i = 0; i < NS_TCP_STATE_COUNT; i++) {
        const char *a = state_names[i], *b = name;
        while (*a && *b) {
            char x = *a, y = *b;
            if (y >= 'a' && y <= 'z')
                y = (char)(y - 'a' + 'A');
            if (y == '_')
                y = '-';
            if (x != y)
                break;
            a++, b++;
        }
        if (!*a && !*b) {
            *out = (NsTcpState)i;
            return true;
        }
    }
    return false;
}

static const char *const ca_names[NS_TCP_CA_COUNT] = {
    [NS_TCP_CA_OPEN] = "Open",
    [NS_TCP_CA_DISORDER] = "Disorder",
    [NS_TCP_CA_RECOVERY] = "Recovery",
    [NS_TCP_CA_LOSS] = "Loss",
};

const char *ns_tcp_ca_name(NsTcpCaState s)
{
    return (unsigned)s < NS_TCP_CA_COUNT ? ca_names[s] : "?";
}

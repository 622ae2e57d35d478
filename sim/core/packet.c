/* Pooled packet buffers in four size classes: headers (a pure ACK, or a
 * frame whose payload is the pattern left unmade), standard frames (up to
 * a 1500-byte MTU plus headroom), jumbo frames (up to a 9000-byte MTU) and
 * whole IP datagrams (up to 65,535 bytes), so that any datagram a sender
 * may build fits before IP compares it with the MTU (EMSGSIZE). */
#include "netsim/packet.h"
#include "netsim-private/packet.h"

#include <string.h>

#include "netsim/pattern.h"

#define N_CLASSES 4
/* A standard frame's buffer is its headroom and a 1500-byte datagram,
 * rounded up to 16 bytes: no more, as W2's thousands of frames in flight
 * are most of its memory. A header's is the headroom and a TCP header with
 * the most options (60 bytes), rounded up the same way. */
static const uint32_t class_cap[N_CLASSES] = {(NS_PACKET_HEADROOM + 60 + 15) / 16 * 16,
                                              (NS_PACKET_HEADROOM + 1500 + 15) / 16 * 16,
                                              9216 + NS_PACKET_HEADROOM,
                                              65536 + NS_PACKET_HEADROOM};

struct NsPacketPool {
    NsPacket *free_list[N_CLASSES];
    GPtrArray *blocks; /* every buffer ever made: freed with the pool, even
                        * those still held by events of a run cut short */
    uint64_t next_id;
    size_t in_use;
};

NsPacketPool *ns_packet_pool_new(void)
{
    NsPacketPool *pool = g_new0(NsPacketPool, 1);
    pool->blocks = g_ptr_array_new_with_free_func(g_free);
    return pool;
}

void ns_packet_pool_free(NsPacketPool *pool)
{
    if (!pool)
        return;
    g_ptr_array_free(pool->blocks, TRUE);
    g_free(pool);
}

/* A block whose room holds `need` bytes, from its class's free list. */
static NsPacket *block_get(NsPacketPool *pool, size_t need)
{
    int cls = 0;
    while (need > class_cap[cls])
        cls++;
    NsPacket *p = pool->free_list[cls];
    if (p) {
        pool->free_list[cls] = p->next;
    } else {
        p = g_malloc(sizeof(NsPacket) + class_cap[cls]);
        g_ptr_array_add(pool->blocks, p);
        p->cls = (uint8_t)cls;
        p->pool = pool;
    }
    p->buf = p->room;
    p->cap = class_cap[p->cls];
    p->store = NULL;
    return p;
}

static void block_put(NsPacket *p)
{
    NsPacketPool *pool = p->pool;
    p->next = pool->free_list[p->cls];
    pool->free_list[p->cls] = p;
}

NsPacket *ns_packet_new(NsPacketPool *pool, size_t headroom, size_t len)
{
    g_return_val_if_fail(pool != NULL, NULL);
    size_t need = headroom + len;
    g_return_val_if_fail(need <= class_cap[N_CLASSES - 1], NULL);
    NsPacket *p = block_get(pool, need);
    p->next = NULL;
    p->data = p->buf + headroom;
    p->len = (uint32_t)len;
    p->id = ++pool->next_id;
    p->meta = 0;
    p->flags = 0;
    p->pat_len = 0;
    pool->in_use++;
    return p;
}

NsPacket *ns_packet_new_lazy(NsPacketPool *pool, size_t headroom, size_t hlen, uint32_t pat_len,
                             uint32_t phase)
{
    g_return_val_if_fail(pool != NULL, NULL);
    NsPacket *p = ns_packet_new(pool, headroom, hlen);
    if (pat_len == 0)
        return p;
    p->len += pat_len;
    p->pat_at = (uint32_t)(headroom + hlen);
    p->pat_len = pat_len;
    p->pat_phase = (uint8_t)(phase % NS_PATTERN_PERIOD);
    p->flags |= NS_PACKET_LAZY;
    return p;
}

uint8_t *ns_packet_bytes(NsPacket *p)
{
    if (!ns_packet_is_lazy(p))
        return p->data;
    size_t front = (size_t)(p->data - p->buf);
    size_t at = p->pat_at;
    NsPacket *s = block_get(p->pool, at + p->pat_len);
    memcpy(s->buf + front, p->data, at - front);
    ns_pattern_fill(p->pat_phase, s->buf + at, p->pat_len);
    p->store = s;
    p->buf = s->buf;
    p->cap = s->cap;
    p->data = s->buf + front;
    p->flags &= (uint8_t)~NS_PACKET_LAZY;
    return p->data;
}

NsPacket *ns_packet_copy(const NsPacket *p)
{
    size_t headroom = (size_t)(p->data - p->buf);
    NsPacket *c = ns_packet_new(p->pool, headroom, p->len);
    if (ns_packet_is_lazy(p)) {
        size_t front = p->pat_at - headroom;
        memcpy(c->data, p->data, front);
        ns_pattern_fill(p->pat_phase, c->data + front, p->pat_len);
    } else {
        memcpy(c->data, p->data, p->len);
    }
    c->meta = p->meta;
    return c;
}

void ns_packet_free(NsPacket *p)
{
    if (!p)
        return;
    NsPacketPool *pool = p->pool;
    g_assert(pool->in_use > 0);
    pool->in_use--;
    if (p->store)
        block_put(p->store);
    block_put(p);
}

uint8_t *ns_packet_push(NsPacket *p, size_t n)
{
    g_assert((size_t)(p->data - p->buf) >= n);
    p->data -= n;
    p->len += (uint32_t)n;
    return p->data;
}

void ns_packet_pull(NsPacket *p, size_t n)
{
    g_assert(n <= p->len);
    if (ns_packet_is_lazy(p) && (size_t)(p->data - p->buf) + n > p->pat_at)
        ns_packet_bytes(p); /* into the unmade tail: the rest is kept whole */
    p->data += n;
    p->len -= (uint32_t)n;
}

void ns_packet_trim(NsPacket *p, size_t len)
{
    g_assert(len <= p->len);
    if (ns_packet_is_lazy(p) && len < p->len) {
        size_t cut = p->len - len;
        if (cut >= p->pat_len) {
            p->flags &= (uint8_t)~NS_PACKET_LAZY; /* nothing left unmade */
            p->pat_len = 0;
        } else {
            p->pat_len -= (uint32_t)cut;
        }
    }
    p->len = (uint32_t)len;
}

size_t ns_packet_headroom(const NsPacket *p)
{
    return (size_t)(p->data - p->buf);
}

size_t ns_packet_pool_in_use(const NsPacketPool *pool)
{
    return pool->in_use;
}

void ns_packet_queue_push(NsPacketQueue *q, NsPacket *p)
{
    p->next = NULL;
    if (q->tail)
        q->tail->next = p;
    else
        q->head = p;
    q->tail = p;
    q->count++;
}

NsPacket *ns_packet_queue_pop(NsPacketQueue *q)
{
    NsPacket *p = q->head;
    if (!p)
        return NULL;
    q->head = p->next;
    if (!q->head)
        q->tail = NULL;
    q->count--;
    p->next = NULL;
    return p;
}

void ns_packet_queue_clear(NsPacketQueue *q)
{
    NsPacket *p;
    while ((p = ns_packet_queue_pop(q)))
        ns_packet_free(p);
}

void ns_packet_mark_pattern(NsPacket *p, const uint8_t *data, uint32_t len, uint32_t phase)
{
    g_assert(data >= p->buf && data + len <= p->buf + p->cap);
    p->pat_at = (uint32_t)(data - p->buf);
    p->pat_len = len;
    p->pat_phase = (uint8_t)(phase % NS_PATTERN_PERIOD);
}

bool ns_packet_pattern(const NsPacket *p, const uint8_t *data, uint32_t len, uint32_t *phase)
{
    if (!p || !p->pat_len || !(p->flags & NS_PACKET_RX_CSUM_OK) || data < p->buf)
        return false;
    size_t at = (size_t)(data - p->buf);
    if (at < p->pat_at || at + len > (size_t)p->pat_at + p->pat_len)
        return false;
    *phase = (uint32_t)((p->pat_phase + (at - p->pat_at)) % NS_PATTERN_PERIOD);
    return true;
}

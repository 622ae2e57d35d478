/* Packet buffers (sim/core/packet.c): a lazy packet, whose tail is the
 * payload pattern left unmade, costs its headers; ns_packet_bytes() makes
 * it whole with the same bytes a whole packet would hold. */
#include <CUnit/CUnit.h>
#include <string.h>

#include "netsim-private/packet.h"
#include "netsim/pattern.h"

static NsPacketPool *pool;

int ns_packet_suite_init(void);
int ns_packet_suite_clean(void);

int ns_packet_suite_init(void)
{
    pool = ns_packet_pool_new();
    return 0;
}

int ns_packet_suite_clean(void)
{
    ns_packet_pool_free(pool);
    return 0;
}

/* A lazy packet with a 20-byte front "0123...", 1000 pattern bytes from
 * phase 5 behind it. */
static NsPacket *lazy(void)
{
    NsPacket *p = ns_packet_new_lazy(pool, 100, 20, 1000, 5);
    for (int i = 0; i < 20; i++)
        p->data[i] = (uint8_t)i;
    return p;
}

/* Whether p holds the front and then n pattern bytes from phase 5 + skip. */
static bool whole_and_right(NsPacket *p, size_t front, uint32_t n)
{
    const uint8_t *d = ns_packet_bytes(p);
    for (size_t i = 0; i < front; i++)
        if (d[i] != (uint8_t)(20 - front + i))
            return false;
    return !ns_packet_is_lazy(p) && p->len == front + n && ns_pattern_equal(5, d + front, n);
}

static void test_lazy_packet_holds_its_front_only(void)
{
    NsPacket *p = lazy();
    CU_ASSERT_TRUE(ns_packet_is_lazy(p));
    CU_ASSERT_EQUAL(p->len, 1020);
    CU_ASSERT_TRUE(p->cap < 100 + 1020);
    CU_ASSERT_EQUAL(ns_packet_headroom(p), 100);
    CU_ASSERT_EQUAL(p->pat_at, 120);
    CU_ASSERT_EQUAL(p->pat_len, 1000);
    CU_ASSERT_EQUAL(p->pat_phase, 5);
    ns_packet_free(p);
    CU_ASSERT_EQUAL(ns_packet_pool_in_use(pool), 0);
}

static void test_bytes_makes_the_tail_and_keeps_the_mark(void)
{
    NsPacket *p = lazy();
    p->flags |= NS_PACKET_RX_CSUM_OK;
    CU_ASSERT_TRUE(whole_and_right(p, 20, 1000));
    CU_ASSERT_TRUE(p->cap >= 120 + 1000);
    CU_ASSERT_EQUAL(ns_packet_headroom(p), 100);
    uint32_t phase = 99;
    CU_ASSERT_TRUE(ns_packet_pattern(p, p->data + 30, 990, &phase));
    CU_ASSERT_EQUAL(phase, 15);
    uint8_t *d = p->data;
    CU_ASSERT_PTR_EQUAL(ns_packet_bytes(p), d); /* whole: nothing more to do */
    CU_ASSERT_EQUAL(ns_packet_pool_in_use(pool), 1);
    ns_packet_free(p);
    CU_ASSERT_EQUAL(ns_packet_pool_in_use(pool), 0);
}

static void test_headers_pushed_and_pulled_in_front_stay_lazy(void)
{
    NsPacket *p = lazy();
    uint8_t *h = ns_packet_push(p, 34);
    memset(h, 0xee, 34);
    CU_ASSERT_TRUE(ns_packet_is_lazy(p));
    CU_ASSERT_EQUAL(p->len, 1054);
    ns_packet_pull(p, 34);
    ns_packet_pull(p, 20); /* up to the tail: still nothing to make */
    CU_ASSERT_TRUE(ns_packet_is_lazy(p));
    CU_ASSERT_EQUAL(p->len, 1000);
    CU_ASSERT_TRUE(whole_and_right(p, 0, 1000));
    ns_packet_free(p);
}

static void test_pull_into_the_tail_makes_it(void)
{
    NsPacket *p = lazy();
    ns_packet_pull(p, 30);
    CU_ASSERT_FALSE(ns_packet_is_lazy(p));
    CU_ASSERT_EQUAL(p->len, 990);
    CU_ASSERT_TRUE(ns_pattern_equal(15, p->data, 990));
    ns_packet_free(p);
    CU_ASSERT_EQUAL(ns_packet_pool_in_use(pool), 0);
}

static void test_trim_shortens_the_tail(void)
{
    NsPacket *p = lazy();
    ns_packet_trim(p, 520);
    CU_ASSERT_TRUE(ns_packet_is_lazy(p));
    CU_ASSERT_EQUAL(p->pat_len, 500);
    CU_ASSERT_TRUE(whole_and_right(p, 20, 500));
    ns_packet_free(p);
    p = lazy();
    ns_packet_trim(p, 10); /* into the front: nothing unmade is left */
    CU_ASSERT_FALSE(ns_packet_is_lazy(p));
    CU_ASSERT_EQUAL(p->pat_len, 0);
    CU_ASSERT_EQUAL(p->data[9], 9);
    ns_packet_free(p);
}

static void test_copy_of_a_lazy_packet_is_whole(void)
{
    NsPacket *p = lazy();
    p->meta = 7;
    NsPacket *c = ns_packet_copy(p);
    CU_ASSERT_FALSE(ns_packet_is_lazy(c));
    CU_ASSERT_EQUAL(c->pat_len, 0); /* a copy carries no mark */
    CU_ASSERT_EQUAL(c->meta, 7);
    CU_ASSERT_TRUE(whole_and_right(c, 20, 1000));
    CU_ASSERT_TRUE(ns_packet_is_lazy(p)); /* the original is left as it was */
    ns_packet_free(c);
    ns_packet_free(p);
    CU_ASSERT_EQUAL(ns_packet_pool_in_use(pool), 0);
}

static void test_a_frame_of_headers_takes_the_smallest_block(void)
{
    /* An IPv4 TCP segment with the most options and its payload unmade. */
    NsPacket *p = ns_packet_new_lazy(pool, NS_PACKET_ROOM_IPV4, 60, 1448, 0);
    CU_ASSERT_EQUAL(p->cap, 96);
    CU_ASSERT_EQUAL(sizeof *p, 96);
    ns_packet_free(p);
}

static void test_push_past_the_room_moves_the_bytes(void)
{
    NsPacket *p = ns_packet_new(pool, 4, 20);
    for (int i = 0; i < 20; i++)
        p->data[i] = (uint8_t)i;
    uint8_t *h = ns_packet_push(p, 14);
    memset(h, 0xee, 14);
    CU_ASSERT_EQUAL(p->len, 34);
    CU_ASSERT_EQUAL(ns_packet_headroom(p), NS_PACKET_HEADROOM);
    CU_ASSERT_EQUAL(p->data[13], 0xee);
    CU_ASSERT_EQUAL(p->data[14], 0);
    CU_ASSERT_EQUAL(p->data[33], 19);
    CU_ASSERT_EQUAL(ns_packet_pool_in_use(pool), 1);
    ns_packet_free(p);
    CU_ASSERT_EQUAL(ns_packet_pool_in_use(pool), 0);
}

static void test_push_past_the_room_keeps_a_tail_unmade(void)
{
    NsPacket *p = ns_packet_new_lazy(pool, 0, 20, 1000, 5);
    for (int i = 0; i < 20; i++)
        p->data[i] = (uint8_t)i;
    p->flags |= NS_PACKET_RX_CSUM_OK;
    ns_packet_push(p, 40);
    CU_ASSERT_TRUE(ns_packet_is_lazy(p));
    CU_ASSERT_EQUAL(p->len, 1060);
    CU_ASSERT_TRUE(p->cap < 1060);
    uint32_t phase = 99; /* the mark moved with the bytes */
    CU_ASSERT_TRUE(ns_packet_pattern(p, p->data + 60, 1000, &phase));
    CU_ASSERT_EQUAL(phase, 5);
    ns_packet_pull(p, 40);
    CU_ASSERT_TRUE(whole_and_right(p, 20, 1000));
    ns_packet_free(p);
    CU_ASSERT_EQUAL(ns_packet_pool_in_use(pool), 0);
}

static void test_no_tail_is_an_ordinary_packet(void)
{
    NsPacket *p = ns_packet_new_lazy(pool, 100, 20, 0, 5);
    CU_ASSERT_FALSE(ns_packet_is_lazy(p));
    CU_ASSERT_EQUAL(p->len, 20);
    CU_ASSERT_EQUAL(p->pat_len, 0);
    ns_packet_free(p);
}

static void test_blocks_come_back_to_the_pool(void)
{
    /* Made whole and freed a thousand times: the same two blocks serve. */
    NsPacket *first = lazy();
    ns_packet_bytes(first);
    uint8_t *room = first->buf;
    ns_packet_free(first);
    for (int i = 0; i < 1000; i++) {
        NsPacket *p = lazy();
        ns_packet_bytes(p);
        CU_ASSERT_PTR_EQUAL(p, first);
        CU_ASSERT_PTR_EQUAL(p->buf, room);
        ns_packet_free(p);
    }
    CU_ASSERT_EQUAL(ns_packet_pool_in_use(pool), 0);
}

/* ---- lent packets (a flooded frame shown to each port): copy on keep ---- */

static void test_keep_of_a_given_packet_is_the_packet(void)
{
    NsPacket *p = ns_packet_new(pool, 0, 60);
    uint64_t made = ns_packet_pool_made(pool);
    CU_ASSERT_PTR_EQUAL(ns_packet_keep(p), p);
    CU_ASSERT_EQUAL(ns_packet_pool_made(pool), made);
    ns_packet_free(p);
}

static void test_keep_of_a_lent_packet_is_an_owned_copy(void)
{
    NsPacket *p = ns_packet_new(pool, 14, 60);
    memset(p->data, 0x5a, 60);
    p->flags |= NS_PACKET_LENT;
    NsPacket *own = ns_packet_keep(p);
    CU_ASSERT_PTR_NOT_EQUAL(own, p);
    CU_ASSERT_FALSE(ns_packet_is_lent(own));
    CU_ASSERT_EQUAL(ns_packet_headroom(own), 14);
    CU_ASSERT_EQUAL(own->len, 60);
    CU_ASSERT_EQUAL(memcmp(own->data, p->data, 60), 0);
    ns_packet_free(own);
    p->flags &= (uint8_t)~NS_PACKET_LENT;
    ns_packet_free(p);
}

static void test_release_of_a_lent_packet_leaves_it_to_the_lender(void)
{
    NsPacket *p = ns_packet_new(pool, 0, 60);
    p->flags |= NS_PACKET_LENT;
    ns_packet_release(p);
    CU_ASSERT_EQUAL(ns_packet_pool_in_use(pool), 1);
    p->flags &= (uint8_t)~NS_PACKET_LENT;
    ns_packet_release(p); /* given: freed */
    CU_ASSERT_EQUAL(ns_packet_pool_in_use(pool), 0);
}

#define T(f) {#f, f}
CU_TestInfo ns_packet_tests[] = {
    T(test_lazy_packet_holds_its_front_only),
    T(test_bytes_makes_the_tail_and_keeps_the_mark),
    T(test_headers_pushed_and_pulled_in_front_stay_lazy),
    T(test_pull_into_the_tail_makes_it),
    T(test_trim_shortens_the_tail),
    T(test_copy_of_a_lazy_packet_is_whole),
    T(test_a_frame_of_headers_takes_the_smallest_block),
    T(test_push_past_the_room_moves_the_bytes),
    T(test_push_past_the_room_keeps_a_tail_unmade),
    T(test_no_tail_is_an_ordinary_packet),
    T(test_blocks_come_back_to_the_pool),
    T(test_keep_of_a_given_packet_is_the_packet),
    T(test_keep_of_a_lent_packet_is_an_owned_copy),
    T(test_release_of_a_lent_packet_leaves_it_to_the_lender),
    CU_TEST_INFO_NULL,
};

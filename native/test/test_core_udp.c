/* UDP helpers: address literals, even/odd port pairs inside a range, exhaustion. */
#include <unistd.h>
#include "sg_test.h"
#include "io/udp.h"
#include "spangate/spangate.h"

SG_TEST(udp_addresses)
{
    sg_sockaddr a, b;
    char txt[64];

    SG_CHECK_EQ_INT(udp_addr_parse("127.0.3.1", 4000, &a), 0);
    SG_CHECK_EQ_INT(udp_addr_port(&a), 4000);
    SG_CHECK_EQ_INT(udp_addr_parse("127.0.3.1", 4002, &b), 0);
    SG_CHECK(!udp_addr_equal(&a, &b));
    SG_CHECK(udp_addr_same_host(&a, &b));
    udp_addr_set_port(&b, 4000);
    SG_CHECK(udp_addr_equal(&a, &b));
    udp_addr_format(&a, txt, sizeof(txt));
    SG_CHECK(strcmp(txt, "127.0.3.1") == 0);
    SG_CHECK_EQ_INT(udp_addr_parse("2001:db8::1", 5, &b), 0);
    SG_CHECK(!udp_addr_same_host(&a, &b));
    udp_addr_format(&b, txt, sizeof(txt));
    SG_CHECK(strcmp(txt, "2001:db8::1") == 0);
    SG_CHECK_EQ_INT(udp_addr_parse("", 1, &a), -1);
    SG_CHECK_EQ_INT(udp_addr_parse("127.0.0.256", 1, &a), -1);
    SG_CHECK_EQ_INT(udp_addr_parse(NULL, 1, &a), -1);
}

SG_TEST(udp_pairs_in_a_range_until_exhausted)
{
    int rtp[3], rtcp[3], i, rc;
    uint16_t port[3];
    uint32_t cursor = 0;

    /* Range 48101..48105 holds the even/odd pairs 48102/3 and 48104/5 only. */
    for (i = 0; i < 2; i++) {
        rc = udp_bind_pair("127.0.3.1", 0, 48101, 48105, &cursor, 1, &rtp[i], &rtcp[i], &port[i]);
        SG_CHECK_EQ_INT(rc, SG_OK);
        SG_CHECK(port[i] % 2 == 0 && port[i] >= 48102 && port[i] <= 48104);
        SG_CHECK(rtcp[i] >= 0);
    }
    SG_CHECK(port[0] != port[1]);
    SG_CHECK_EQ_INT(udp_bind_pair("127.0.3.1", 0, 48101, 48105, &cursor, 1, &rtp[2], &rtcp[2], &port[2]), SG_EBUSY);
    /* The same port again, explicitly: taken. RTCP-mux needs no odd port. */
    SG_CHECK_EQ_INT(udp_bind_pair("127.0.3.1", port[0], 0, 0, &cursor, 0, &rtp[2], &rtcp[2], &port[2]), SG_EBUSY);
    SG_CHECK_EQ_INT(udp_bind_pair("bogus", 0, 48101, 48105, &cursor, 1, &rtp[2], &rtcp[2], &port[2]), SG_EINVAL);
    for (i = 0; i < 2; i++) {
        close(rtp[i]);
        close(rtcp[i]);
    }
    /* IPv6 loopback works the same way. */
    rc = udp_bind_pair("::1", 0, 48110, 48119, &cursor, 0, &rtp[0], &rtcp[0], &port[0]);
    if (rc == SG_OK) {
        SG_CHECK_EQ_INT(rtcp[0], -1);
        close(rtp[0]);
    } else {
        SG_CHECK_EQ_INT(rc, SG_EIO);   /* a host without IPv6 */
    }
}

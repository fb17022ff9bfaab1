/* ABI handshake functions. */
#include "sg_test.h"
#include "spangate/spangate.h"

SG_TEST(abi_version_matches_header)
{
    SG_CHECK_EQ_INT(sg_abi_version(), SG_ABI_VERSION);
}

SG_TEST(abi_info_fills_struct)
{
    sg_abi_info_t info;
    SG_CHECK_EQ_INT(sg_abi_info(&info, sizeof(info)), SG_OK);
    SG_CHECK_EQ_INT(info.abi_version, SG_ABI_VERSION);
    SG_CHECK_EQ_INT(info.struct_size, sizeof(info));
    SG_CHECK(info.version[0] != '\0');
}

SG_TEST(abi_info_rejects_small_buffer)
{
    sg_abi_info_t info;
    SG_CHECK_EQ_INT(sg_abi_info(&info, 4), SG_EINVAL);
    SG_CHECK_EQ_INT(sg_abi_info(NULL, sizeof(info)), SG_EINVAL);
}

SG_TEST(struct_size_known_and_unknown)
{
    SG_CHECK_EQ_INT(sg_struct_size("sg_abi_info_t"), sizeof(sg_abi_info_t));
    SG_CHECK_EQ_INT(sg_struct_size("no_such_struct"), 0);
    SG_CHECK_EQ_INT(sg_struct_size(NULL), 0);
}

SG_TEST(strerror_names_codes)
{
    SG_CHECK(strcmp(sg_strerror(SG_OK), "ok") == 0);
    SG_CHECK(strcmp(sg_strerror(SG_ENOENT), "no such handle") == 0);
    SG_CHECK(strcmp(sg_strerror(-999), "unknown error") == 0);
}

/* SPDX-License-Identifier: MIT */
/* Status messages and the version string. */
#include "mha.h"

#define STR(x) #x
#define XSTR(x) STR(x)

const char *mha_status_string(mha_status s)
{
    switch (s) {
    case MHA_OK:
        return "success";
    case MHA_ERR_NULL_POINTER:
        return "null pointer for a non-empty buffer";
    case MHA_ERR_INVALID_ARGUMENT:
        return "invalid argument (dimensions, heads, strides, scale or flags)";
    case MHA_ERR_TOO_LARGE:
        return "size too large (overflows size_t or exceeds the BLAS's int)";
    case MHA_ERR_OVERLAP:
        return "an output overlaps an input or another output";
    case MHA_ERR_OUT_OF_MEMORY:
        return "out of memory";
    case MHA_ERR_WORKSPACE_TOO_SMALL:
        return "workspace smaller than mha_attention_workspace_size()";
    }
    return "unknown mha_status value";
}

const char *mha_version(void)
{
    return XSTR(MHA_VERSION_MAJOR) "." XSTR(MHA_VERSION_MINOR) "." XSTR(MHA_VERSION_PATCH);
}

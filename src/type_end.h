/* SPDX-License-Identifier: MIT */
/* Ends one instantiation: forgets the traits of type_<T>.h, so the next type can define them. */
#undef STORE
#undef REAL
#undef REAL_MAX
#undef REAL_BYTES
#undef DTYPE
#undef FORMAT
#undef TYPE_NAME
#undef PUB
#undef RPUB
#undef SFX
#undef RSFX
#undef EXP
#undef LOG
#undef STAGE_IMPL
#undef TO_REAL
#undef WIDEN
#undef NARROW
#undef PUB_WIDEN
#undef PUB_NARROW
#undef HALF_GEMM
#undef HALF_GEMM_OUT

# SPDX-License-Identifier: MIT
"""The C API of include/mha.h as ctypes sees it: prototypes, the descriptor, status -> exception.

Buffers are passed as raw addresses (c_void_p). The caller keeps the numpy arrays that own them
alive for the duration of the call; every function here takes the arrays, not the addresses, so
that holds by construction.
"""

import ctypes
from ctypes import c_char_p, c_double, c_int, c_size_t, c_uint, c_void_p

from . import _loader

# Whichever libopenblas.so.0 the process loads first is the one every later library gets: the
# pthreads one when numpy or torch came first, the OpenMP one of the default build when libmha did.
# libmha runs at full speed over either (runtime_info()["setup"] says how), so the order of the
# imports does not matter.
import numpy as np

lib, library_path = _loader.load()

MHA_OK = 0
MHA_CAUSAL = 1


class MhaError(ValueError):
    """A call that libmha refused; `status` is the mha_status value, the message its text."""

    def __init__(self, status, function):
        self.status = status
        super().__init__(f"{function}: {status_string(status)} (mha_status {status})")


class AttentionDesc(ctypes.Structure):
    """mha_attention_desc, field for field as include/mha.h declares it, struct_size first.

    struct_size is this mirror's own size (ctypes.sizeof), whatever libmha was loaded: new_desc()
    hands it to mha_attention_desc_init_sized(), which writes that many bytes and no more, and
    mha_attention reads the fields inside it and gives any later one its default. So a library
    newer than this mirror (more fields) never writes or reads past it, and one older than it
    refuses the descriptor (MhaError, invalid argument) rather than ignore fields it does not know.
    """

    _fields_ = [
        (name, c_size_t)
        for name in (
            "struct_size",
            "batch", "seq_q", "seq_kv", "n_heads", "n_kv_heads", "d_head", "d_v",
            "ld_q", "ld_k", "ld_v", "ld_out", "ld_mask",
            "batch_stride_q", "batch_stride_k", "batch_stride_v", "batch_stride_out",
            "batch_stride_mask",
        )
    ] + [("scale", c_double), ("flags", c_uint), ("n_threads", c_size_t),
         ("kv_lens", c_void_p)]  # const size_t *: NULL or `batch` lengths


class Runtime(ctypes.Structure):
    """mha_runtime, field for field as include/mha.h declares it."""

    _fields_ = [
        ("gemm_backend", ctypes.c_char * 32),
        ("blas_name", ctypes.c_char * 32),
        ("blas_version", ctypes.c_char * 32),
        ("blas_core", ctypes.c_char * 32),
        ("blas_threading", ctypes.c_char * 16),
        ("blas_threads", c_int),
        ("workers", c_int),
        ("softmax_isa", ctypes.c_char * 16),
        ("cpu_isa", ctypes.c_char * 16),
        ("blas_below_cpu", c_int),
        ("reason", ctypes.c_char * 192),
        ("bf16_gemm", ctypes.c_char * 32),
        ("setup", ctypes.c_char * 256),
    ]


def _declare(name, argtypes, restype=c_int):
    fn = getattr(lib, name)
    fn.argtypes = argtypes
    fn.restype = restype
    return fn


_declare("mha_status_string", [c_int], c_char_p)
_declare("mha_version", [], c_char_p)
_declare("mha_runtime_info", [ctypes.POINTER(Runtime)])
_declare("mha_attention_desc_init_sized", [ctypes.POINTER(AttentionDesc)] + [c_size_t] * 7, None)
# Every storage format has the same signatures; the storage picks the suffix. The keys are what
# the arrays handed over hold: numpy's float32, float64 and float16 (IEEE binary16, the C mha_f16),
# and BF16, uint16 arrays of bfloat16 bits (the C mha_bf16), which only this package makes.
BF16 = "bf16"
_SUFFIX = {np.dtype(np.float32): "", np.dtype(np.float64): "_f64", np.dtype(np.float16): "_f16",
           BF16: "_bf16"}
_QKV = {}
_ATTENTION = {}
for _storage, _suffix in _SUFFIX.items():
    _QKV[_storage] = _declare("mha_compute_qkv" + _suffix,
                              [c_void_p] * 4 + [c_size_t] * 2 + [c_void_p] * 3)
    _ATTENTION[_storage] = _declare(
        "mha_attention" + _suffix, [ctypes.POINTER(AttentionDesc)] + [c_void_p] * 6
    )
_declare("mha_convert_f32_to_bf16", [c_void_p, c_void_p, c_size_t])
_declare("mha_convert_bf16_to_f32", [c_void_p, c_void_p, c_size_t])


def status_string(status):
    return lib.mha_status_string(status).decode()


def version():
    return lib.mha_version().decode()


def runtime_info():
    """mha_runtime_info() as a dict: what libmha runs on in this process (include/mha.h). The
    library file itself is under "library"."""
    r = Runtime()
    _check(lib.mha_runtime_info(ctypes.byref(r)), "mha_runtime_info")
    info = {}
    for name, kind in Runtime._fields_:
        value = getattr(r, name)
        info[name] = value.decode() if isinstance(value, bytes) else value
    info["blas_below_cpu"] = bool(info["blas_below_cpu"])
    info["library"] = library_path
    return info


def _check(status, function):
    if status != MHA_OK:
        raise MhaError(status, function)


def _address(a):
    return None if a is None else a.ctypes.data


def new_desc(seq_q, seq_kv, n_heads, n_kv_heads, d_head, d_v):
    """A descriptor with the library's defaults (packed layout, 1/sqrt(d_head), no flags), and
    struct_size = the mirror's size (mha_attention_desc_init() in C passes its sizeof likewise)."""
    desc = AttentionDesc()
    lib.mha_attention_desc_init_sized(ctypes.byref(desc), ctypes.sizeof(AttentionDesc), seq_q,
                                      seq_kv, n_heads, n_kv_heads, d_head, d_v)
    return desc


def compute_qkv(X, W_q, W_k, W_v, Q, K, V, storage):
    """mha_compute_qkv[_f64|_f16|_bf16] on contiguous arrays of one storage; writes Q, K, V."""
    seq_len, d_model = X.shape
    status = _QKV[storage](*map(_address, (X, W_q, W_k, W_v)), seq_len, d_model,
                           *map(_address, (Q, K, V)))
    _check(status, "mha_compute_qkv" + _SUFFIX[storage])


def attention(desc, Q, K, V, mask, out, storage):
    """mha_attention[_f64|_f16|_bf16]; each array's address is its element [0, …, 0] as desc
    describes. The mask is of the storage's dtype for float32/float64, float32 for the halves."""
    status = _ATTENTION[storage](ctypes.byref(desc), *map(_address, (Q, K, V, mask, out)), None)
    _check(status, "mha_attention" + _SUFFIX[storage])


def f32_to_bf16(src, dst):
    """mha_convert_f32_to_bf16 from a contiguous float32 array into a contiguous uint16 one."""
    _check(lib.mha_convert_f32_to_bf16(_address(src), _address(dst), src.size),
           "mha_convert_f32_to_bf16")


def bf16_to_f32(src, dst):
    """mha_convert_bf16_to_f32 from a contiguous uint16 array into a contiguous float32 one."""
    _check(lib.mha_convert_bf16_to_f32(_address(src), _address(dst), src.size),
           "mha_convert_bf16_to_f32")

"""The engine's compiled Numba kernels, one module per kind of kernel.

Private: a kernel trusts its arguments (shapes, dtypes, contiguity). The public functions in
`engine/` and `engine/nn/` check what a learner passes in and explain what is wrong, then call
these.
"""

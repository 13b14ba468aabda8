"""Numba kernels: plain arrays in, caller-allocated arrays out; no estimators.

Every kernel here has a slow, obvious twin in ``tests/_reference.py`` and a
test that they agree.  Callers validate inputs before calling a kernel.
"""

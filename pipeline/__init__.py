"""Geneva Digital Atlas pipeline: raw profile text in, validated and versioned open datasets out.

Scope: the package root only marks the package; it does no work at import time.
"""

"""scripts/cluster: Renkei's production topology rehearsed on one machine (docs/DEPLOYMENT.md).

Each host is a Linux network namespace (``rk-…``) on a bridge of its own, running
the real engines with the files under deploy/.
"""

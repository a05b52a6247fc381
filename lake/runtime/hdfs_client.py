"""WebHDFS client for the lake (mtth/hdfs), bound to the settings' NameNode."""
from __future__ import annotations

from lake.settings import Settings


def client(s: Settings):
    from hdfs import InsecureClient

    return InsecureClient(s.webhdfs_url, user=s.user, timeout=30)

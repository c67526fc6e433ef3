"""Sphinx extension: the book build reads kernel messages without stalling.

myst-nb executes the notebooks through nbclient, whose asyncio kernel client waits for a
reply with ``await socket.poll(timeout)``.  A message that arrives during that poll is
sometimes noticed only when the poll times out (jupyter/nbclient#312), so a cell that ran in
two seconds held the build for the whole cell timeout (150 s, seen on 2 of 7 notebooks in
one CI run).  Polling in short slices bounds that delay by the slice: through nbclient with a
10 s timeout, a notebook of 156 small cells had a cell stall for exactly 10 s in 3 of 25 runs,
and none in 25 runs with this extension.  Otherwise nothing changes: ``Empty`` after
``timeout`` seconds, as before.  Not widget-specific: the stalled cells only printed.
"""

import time
from queue import Empty

from jupyter_client.channels import AsyncZMQSocketChannel

SLICE = 0.2  # seconds


async def _get_msg(self, timeout=None):
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        wait = SLICE if deadline is None else max(0.0, min(SLICE, deadline - time.monotonic()))
        if await self.socket.poll(int(wait * 1000)):
            return await self._recv()
        if deadline is not None and time.monotonic() >= deadline:
            raise Empty


def setup(app):
    AsyncZMQSocketChannel.get_msg = _get_msg
    return {"parallel_read_safe": True, "parallel_write_safe": True}

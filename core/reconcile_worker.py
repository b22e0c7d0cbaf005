"""The Stripe side of a large reconciliation in a process of its own (decision 153).

``core/reconcile.build_report`` starts ``python -m emitra.core.reconcile_worker`` for a period with
many Stripe lines (``EMITRA_RECONCILE_WORKER``, docs/operations.md): the bank side is matched in
the caller's process while this one matches the Stripe side, each with its own Python (a process
has one interpreter lock: two sides in one process took turns for it). It reads the job (JSON) on
its input, connects to the database its environment names (``EMITRA_DATABASE_URL``), writes
``progress <n>`` lines and then ``result`` and the pickled result on its output, and exits 0; on
any failure it exits 1 with the error on its error output, and the caller's run fails with it
(nothing is recorded: the run is read-only until its report is complete).
"""

from __future__ import annotations

import asyncio
import json
import sys


async def _main() -> None:
    from tortoise import Tortoise

    from emitra.core import reconcile
    from emitra.core.db import tortoise_config

    job = json.loads(sys.stdin.buffer.read())
    out = sys.stdout.buffer

    def say(line: bytes) -> None:
        out.write(line)
        out.flush()

    await Tortoise.init(config=tortoise_config())
    try:
        data = await reconcile.run_worker_job(job, say)
    finally:
        await Tortoise.close_connections()
    say(b"result\n")
    out.write(data)
    out.flush()


def main() -> None:
    asyncio.run(_main())


if __name__ == "__main__":
    main()

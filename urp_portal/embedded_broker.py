"""The embedded default's broker: kombu's filesystem transport, with messages written atomically.

kombu writes a message file in place (open, lock, write) while a reader claims files by moving
them, which ignores the lock: a worker polling often could claim a file before its bytes were
written, fail to decode it and stop ("Unrecoverable error: JSONDecodeError"). Here each message is
written under a name the readers do not look at, then renamed into place, which is atomic.

It also reads the queues in their declared order at every fetch (settings' CELERY_TASK_QUEUES,
most urgent first), as the Redis transport does with queue_order_strategy "priority": kombu's
virtual channels go round the queues in turn, which would serve a broadcast's batch as soon as
a citizen's message."""

import os
import uuid
from queue import Empty
from time import monotonic

from kombu.transport import filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps
from kombu.utils.scheduling import FairCycle


class PriorityCycle(FairCycle):
    """Every fetch starts again from the first (most urgent) queue."""

    def get(self, callback, **kwargs):
        self.pos = 0
        return super().get(callback, **kwargs)


class Channel(filesystem.Channel):
    def _reset_cycle(self):
        self._cycle = PriorityCycle(self._get_and_deliver, self._active_queues, Empty)

    def _put(self, queue, payload, **kwargs):  # type: ignore[override]  # as kombu's own
        name = f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        # Readers take only names ending in ".<queue>.msg": the ".part" file is invisible to them.
        partial = f"{final}.part"
        try:
            with open(partial, "wb") as f:
                f.write(str_to_bytes(dumps(payload)))
            os.replace(partial, final)
        except OSError as exc:
            raise filesystem.ChannelError(f"Cannot add file {final!r} to directory") from exc


class Transport(filesystem.Transport):
    Channel = Channel

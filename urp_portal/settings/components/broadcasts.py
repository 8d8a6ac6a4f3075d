"""Broadcasts: batch sizes, in-flight limits and the delays after which a campaign is resumed."""

from urp_portal.settings.env import env

# --- Broadcasts ---------------------------------------------------------------------------------
# Deliveries handed to the gateway per batch (one send task each), and at most this many waiting
# at the gateway at once: the rest wait in the database, so an emergency alert queues behind
# at most 5 s of a broadcast at 80/s. 200 / 400 kept two workers busy where 100 / 300 left them
# waiting for the next hand-off (benchmarks/results/campaign_fanout.txt: 73% of the bare loop
# instead of 59%).
BROADCAST_BATCH_SIZE = env.int("BROADCAST_BATCH_SIZE", default=200)
BROADCAST_MAX_IN_FLIGHT = env.int("BROADCAST_MAX_IN_FLIGHT", default=400)
# Sends of one batch in flight at once (gateway/services/outbox_batch.py): a send waits ~20 ms
# on round trips for ~3.5 ms of CPU, so one sender alone makes 40-50/s and the two batches at
# the gateway fell short of 80/s. Each sender is a thread with its own database connection:
# a broadcasts worker holds up to (its concurrency x this) more connections while it sends.
BROADCAST_SEND_THREADS = env.int("BROADCAST_SEND_THREADS", default=4)
BROADCAST_PLAN_CHUNK = 5000
BROADCAST_WAIT_SECONDS = 1.0
BROADCAST_EMERGENCY_YIELD_SECONDS = 5.0
# A sending campaign with no batch for this long lost its worker; a message handed to the
# gateway and still queued after this long lost its send task. Both are picked up again.
BROADCAST_STUCK_AFTER_SECONDS = 30
BROADCAST_LOST_AFTER_SECONDS = 600

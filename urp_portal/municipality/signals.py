"""What the comune's configuration tells the apps, which it never imports."""

from django.dispatch import Signal

# A comune was added or updated from a preset on a deployment serving several
# (load_preset --comune): the apps give it what each comune has of theirs (tickets: its
# municipal services; moderation: its preset's policy and lists). Arguments: comune, preset
# (the preset's name). Receivers are idempotent (a preset loaded again).
comune_loaded = Signal()

# Another comune became the active one (municipality_activate). When it had rows of its own,
# the rows with no comune were handed to the comune active before (`previous`, or None) and
# its own rows took their place: apps that cache something per "the active comune's rows"
# (moderation's screener) forget it. Arguments: comune, previous, moved (whether rows moved).
comune_activated = Signal()

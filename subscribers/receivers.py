from .services import privacy_notice_in_force


def privacy_notice_snapshot_on_change(sender, instance, raw=False, **kwargs) -> None:
    """A change to the comune's privacy notice becomes a new version at once, so the date it came
    into force is the date of the edit, not of the next subscription."""
    if raw:
        return
    privacy_notice_in_force(municipality=instance)

"""The background work every instance runs on a tick: replays, reminders, escalation, the digest."""

"""The decision: the approval state machine, its rules, and what a post will say."""

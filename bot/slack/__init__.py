"""Everything Slack-shaped: Block Kit builders, ids, cards and replies, reading messages, the Web API."""
